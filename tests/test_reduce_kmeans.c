/* test_reduce_kmeans.c — the kmeans reduction's two levels (reduce_kmeans.c):
 * exactly the budget, the same bytes twice, each group's share by its rows,
 * and centres about as close to the rows as one k-means's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reduce/reduce_internal.h"
#include "rvcidx/error.h"
#include "rvcidx/index.h"

enum { DIM = 16, ROWS = 6000, CLUSTERS = 24 };

/* Rows around CLUSTERS random centres of uneven sizes, from a fixed LCG. */
static double next_uniform(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 40) / (double)(1 << 24);
}

static float *clustered_rows(void) {
    uint64_t s = 12345;
#define NEXT() next_uniform(&s)
    float centres[CLUSTERS][DIM];
    for (int c = 0; c < CLUSTERS; c++)
        for (int j = 0; j < DIM; j++) centres[c][j] = (float)(10.0 * NEXT());
    float *x = malloc(sizeof(float) * ROWS * DIM);
    for (int i = 0; i < ROWS; i++) {
        double u = NEXT();
        int c = (int)(u * NEXT() * CLUSTERS); /* skewed: low clusters hold more rows */
        for (int j = 0; j < DIM; j++) x[i * DIM + j] = centres[c][j] + (float)(NEXT() - 0.5);
    }
#undef NEXT
    return x;
}

/* Mean squared distance of every row to its nearest centre. */
static double distortion(const float *x, const float *c, uint64_t k) {
    double sum = 0;
    for (int i = 0; i < ROWS; i++) {
        double best = -1;
        for (uint64_t m = 0; m < k; m++) {
            double d = 0;
            for (int j = 0; j < DIM; j++) d += (x[i * DIM + j] - c[m * DIM + j]) * (double)(x[i * DIM + j] - c[m * DIM + j]);
            if (best < 0 || d < best) best = d;
        }
        sum += best;
    }
    return sum / ROWS;
}

static void shares_follow_rows_and_add_up(void **state) {
    (void)state;
    uint64_t rows[4] = {7, 0, 90, 3}, share[4];
    rvcidx__reduce_split_budget(10, rows, 4, 100, share);
    assert_int_equal(share[0] + share[1] + share[2] + share[3], 10);
    assert_int_equal(share[1], 0);
    assert_int_equal(share[2], 9); /* 9.0 */
    assert_int_equal(share[0], 1); /* remainder 0.7 beats 0.3 */
    rvcidx__reduce_split_budget(100, rows, 4, 100, share); /* everything: no part above its rows */
    for (int i = 0; i < 4; i++) assert_int_equal(share[i], rows[i]);
}

static void two_levels_give_the_budget_the_same_way_each_time(void **state) {
    (void)state;
    float *x = clustered_rows(), *a = NULL, *b = NULL, *flat = NULL;
    rvcidx_index_params p = rvcidx_index_default_params();
    const uint64_t want = 300;
    assert_int_equal(rvcidx__reduce_kmeans_two_level(&p, NULL, DIM, want, x, ROWS, &a), 0);
    assert_int_equal(rvcidx__reduce_kmeans_two_level(&p, NULL, DIM, want, x, ROWS, &b), 0);
    assert_memory_equal(a, b, sizeof(float) * want * DIM);
    assert_int_equal(rvcidx__reduce_kmeans(&p, NULL, DIM, want, x, ROWS, &flat), 0); /* 6000 x 300: one level */
    double two = distortion(x, a, want), one = distortion(x, flat, want);
    assert_true(two > 0 && one > 0);
    assert_true(two < 1.5 * one); /* the shortcut may lose a little, not its point */
    assert_true(two < distortion(x, x, want)); /* and beats keeping the first rows */
    free(x), free(a), free(b), free(flat);
}

static void a_budget_above_the_rows_is_refused(void **state) {
    (void)state;
    float *x = clustered_rows(), *out = (float *)1;
    rvcidx_index_params p = rvcidx_index_default_params();
    assert_int_equal(rvcidx__reduce_kmeans_two_level(&p, NULL, DIM, ROWS + 1, x, ROWS, &out), RVCIDX_EINVAL);
    assert_null(out);
    free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shares_follow_rows_and_add_up),
        cmocka_unit_test(two_levels_give_the_budget_the_same_way_each_time),
        cmocka_unit_test(a_budget_above_the_rows_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
