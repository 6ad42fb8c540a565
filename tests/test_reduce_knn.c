/* test_reduce_knn.c — exact k-NN streamed from a store by blocks
 * (reduce_knn.c), which the reduction's measurement and `hubs` rely on:
 * over more rows than one block holds, it finds what one IndexFlatL2 over
 * all the rows finds; a range that starts inside the store gives rows
 * counted from its first; fewer rows than k leave -1; the merge keeps the
 * closer, then the lower row. */
#include "test_util.h"

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <stdlib.h>
#include <string.h>

#include "reduce/reduce_internal.h"
#include "rvcidx/demo.h"
#include "rvcidx/ingest.h"
#include "rvcidx/store.h"

enum { K = 8, NQ = 200 };

static char dir[4096], store[4200];

/* Exact k-NN of q over rows [first, first+n), all in memory, by faiss. */
static void reference_knn(rvcidx_store *st, uint64_t first, uint64_t n, const float *q, int64_t *ids) {
    int d = rvcidx_store_dim(st);
    float *x = malloc(sizeof *x * n * d), *dist = malloc(sizeof *dist * NQ * K);
    assert_non_null(x), assert_non_null(dist);
    assert_int_equal(rvcidx_store_read_rows(st, first, n, x), 0);
    FaissIndexFlatL2 *flat = NULL;
    assert_int_equal(faiss_IndexFlatL2_new_with(&flat, d), 0);
    assert_int_equal(faiss_Index_add(flat, (idx_t)n, x), 0);
    assert_int_equal(faiss_Index_search(flat, NQ, q, K, dist, ids), 0);
    faiss_Index_free(flat);
    free(x), free(dist);
}

/* NQ queries: every 331st row of the store, moved a little off it. */
static float *queries(rvcidx_store *st) {
    int d = rvcidx_store_dim(st);
    float *q = malloc(sizeof *q * NQ * d);
    assert_non_null(q);
    for (int i = 0; i < NQ; i++) {
        assert_int_equal(rvcidx_store_read_rows(st, (uint64_t)i * 331, 1, q + (size_t)i * d), 0);
        q[(size_t)i * d] += 0.01f * (float)(i % 7);
    }
    return q;
}

static void same_as_one_flat_index(void **state) {
    (void)state;
    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    uint64_t n = rvcidx_store_rows(st);
    assert_true(n > 65536); /* more than one block */
    float *q = queries(st);
    int64_t got[NQ * K], want[NQ * K];
    uint64_t starts[2] = {0, 1234};
    for (int s = 0; s < 2; s++) {
        uint64_t first = starts[s], rows = n - first - 777;
        assert_int_equal(rvcidx__knn_store(st, NULL, first, rows, q, NQ, K, got), 0);
        reference_knn(st, first, rows, q, want);
        assert_memory_equal(got, want, sizeof got);
    }
    free(q);
    rvcidx_store_close(st);
}

static void fewer_rows_than_k(void **state) {
    (void)state;
    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    float *q = queries(st);
    int64_t got[NQ * K];
    assert_int_equal(rvcidx__knn_store(st, NULL, 100, 3, q, NQ, K, got), 0);
    for (int i = 0; i < NQ; i++) {
        for (int j = 0; j < 3; j++) assert_true(got[i * K + j] >= 0 && got[i * K + j] < 3);
        for (int j = 3; j < K; j++) assert_int_equal(got[i * K + j], -1);
    }
    assert_int_not_equal(rvcidx__knn_store(st, NULL, 0, 10, q, NQ, 65, got), 0); /* k above the limit: refused */
    free(q);
    rvcidx_store_close(st);
}

static void merge_keeps_closer_then_lower_row(void **state) {
    (void)state;
    float dist[4] = {1, 2, 3, 3.5f};
    int64_t row[4] = {10, 20, 30, 40};
    const float nd[4] = {2, 3, 9, 0};
    const int64_t nr[4] = {5, 1, 2, -1}; /* rows 105, 101, 102 after the base; -1: none */
    rvcidx__knn_merge(dist, row, nd, nr, 100, 4);
    /* 2 ties 2: row 20 stays before 105; 3 ties 3: row 30 before 101 */
    const int64_t want[4] = {10, 20, 105, 30};
    assert_memory_equal(row, want, sizeof want);
    assert_true(dist[2] == 2.0f && dist[3] == 3.0f);
}

int main(void) {
    test_scratch_dir("reduce_knn", dir, sizeof dir);
    rvcidx_demo_params d = rvcidx_demo_default_params();
    d.dim = 256;
    d.minutes = 6; /* 4 x 18,000 = 72,000 rows: two blocks of 65,536 */
    assert_int_equal(rvcidx_demo_write(dir, &d, NULL), 0);
    snprintf(store, sizeof store, "%s/store.h5", dir);
    const char *srcs[] = {dir};
    assert_int_equal(rvcidx_ingest(store, srcs, 1, NULL, NULL, NULL), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_as_one_flat_index),
        cmocka_unit_test(fewer_rows_than_k),
        cmocka_unit_test(merge_keeps_closer_then_lower_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
