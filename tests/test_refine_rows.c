/* test_refine_rows.c — a refine wrapper that reads its rows by id
 * (rvcidx_faiss_IndexRefine_new_from_rows: a big build's tuning index) is
 * the refine that holds those rows: for RFlat, SQfp16 and SQ8, under L2 and
 * inner product, its searches give the same labels and distances bit for
 * bit, reconstruct() the same vectors, and its file written with the rows
 * streamed (rvcidx__index_save_from_rows) is faiss's own file of the
 * holding refine, byte for byte. A row that cannot be read ranks last and
 * is remembered, never thrown through faiss's OpenMP loop. */
#include "test_util.h"

#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <stdatomic.h>

#include "../src/base/threads.h"
#include "../src/index/faiss_c_ext.h"
#include "../src/index/index_io.h"

enum { ROWS = 3000, DIM = 64, NQ = 40, K = 8, NPROBE = 4, K_FACTOR = 16 };

typedef struct rows_source {
    const float *x;
    int64_t fail_id; /* -1: never */
    atomic_int failures;
} rows_source;

static int one_row(void *user, int64_t id, float *out) {
    rows_source *s = user;
    if (id == s->fail_id) return atomic_fetch_add(&s->failures, 1), -1;
    memcpy(out, s->x + id * DIM, sizeof(float) * DIM);
    return 0;
}

static int rows_in_order(void *user, int64_t first, int64_t n, float *out) {
    memcpy(out, ((rows_source *)user)->x + first * DIM, sizeof(float) * (size_t)n * DIM);
    return 0;
}

static float *random_rows(unsigned seed, size_t n) {
    float *x = malloc(sizeof(float) * n * DIM);
    assert_non_null(x);
    srand(seed);
    for (size_t i = 0; i < n * DIM; i++) x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return x;
}

static FaissIndex *trained_ivf(const float *x, FaissMetricType metric) {
    FaissIndex *base = NULL;
    assert_int_equal(faiss_index_factory(&base, DIM, "IVF16,PQ32x4fs", metric), 0);
    assert_int_equal(rvcidx_faiss_pq_quiet(base), 0);
    assert_int_equal(faiss_Index_train(base, ROWS, x), 0);
    return base;
}

static FaissIndex *trained_sq(const char *kind, const float *x, FaissMetricType metric) {
    if (!kind) return NULL;
    FaissIndex *sq = NULL;
    assert_int_equal(faiss_index_factory(&sq, DIM, kind, metric), 0);
    assert_int_equal(faiss_Index_train(sq, ROWS, x), 0);
    return sq;
}

/* The refine holding x (faiss's own) and the one reading x by id, alike. */
static void both_indexes(const char *sq_kind, FaissMetricType metric, const float *x, rows_source *src,
                         FaissIndex **holding, FaissIndex **by_id) {
    FaissIndex *base = trained_ivf(x, metric), *sq = trained_sq(sq_kind, x, metric);
    if (sq) {
        assert_int_equal(rvcidx_faiss_IndexRefine_new(base, sq, holding), 0);
    } else {
        FaissIndexRefineFlat *flat = NULL;
        assert_int_equal(faiss_IndexRefineFlat_new(&flat, base), 0);
        faiss_IndexRefineFlat_set_own_fields(flat, 1);
        *holding = (FaissIndex *)flat;
    }
    assert_int_equal(rvcidx_faiss_IndexRefine_new_from_rows(trained_ivf(x, metric), trained_sq(sq_kind, x, metric),
                                                            one_row, src, by_id), 0);
    assert_int_equal(faiss_Index_add(*holding, ROWS, x), 0);
    assert_int_equal(faiss_Index_add(*by_id, ROWS, x), 0);
    assert_int_equal(rvcidx__index_set_params(*holding, NPROBE, K_FACTOR), 0);
    assert_int_equal(rvcidx__index_set_params(*by_id, NPROBE, K_FACTOR), 0);
}

static void same_as_holding(const char *sq_kind, FaissMetricType metric, const char *name) {
    float *x = random_rows(11, ROWS), *q = random_rows(12, NQ);
    rows_source src = {x, -1, 0};
    FaissIndex *holding = NULL, *by_id = NULL;
    both_indexes(sq_kind, metric, x, &src, &holding, &by_id);
    float da[NQ * K], db[NQ * K], va[DIM], vb[DIM];
    idx_t la[NQ * K], lb[NQ * K];
    assert_int_equal(faiss_Index_search(holding, NQ, q, K, da, la), 0);
    assert_int_equal(faiss_Index_search(by_id, NQ, q, K, db, lb), 0);
    assert_memory_equal(la, lb, sizeof la);
    assert_memory_equal(da, db, sizeof da);
    for (idx_t id = 0; id < ROWS; id += 97) {
        assert_int_equal(faiss_Index_reconstruct(holding, id, va), 0);
        assert_int_equal(faiss_Index_reconstruct(by_id, id, vb), 0);
        assert_memory_equal(va, vb, sizeof va);
    }
    int kind = -1;
    float kf = 0;
    assert_int_equal(rvcidx_faiss_IndexRefine_describe(by_id, &kind, &kf), 0);
    assert_int_equal(kind, !sq_kind ? 0 : !strcmp(sq_kind, "SQfp16") ? 1 : 2);
    char dir[4096], whole[4200], streamed[4200];
    test_scratch_dir(name, dir, sizeof dir);
    snprintf(whole, sizeof whole, "%s/whole.index", dir);
    snprintf(streamed, sizeof streamed, "%s/streamed.index", dir);
    assert_int_equal(rvcidx__index_save(holding, whole), 0);
    assert_int_equal(rvcidx__index_save_from_rows(by_id, rows_in_order, &src, streamed), 0);
    size_t na = 0, nb = 0;
    unsigned char *a = test_read_file(whole, &na), *b = test_read_file(streamed, &nb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a), free(b), free(x), free(q);
    faiss_Index_free(holding);
    faiss_Index_free(by_id);
}

static void flat_l2(void **state) { (void)state, same_as_holding(NULL, METRIC_L2, "rows_flat_l2"); }
static void flat_ip(void **state) { (void)state, same_as_holding(NULL, METRIC_INNER_PRODUCT, "rows_flat_ip"); }
static void fp16_l2(void **state) { (void)state, same_as_holding("SQfp16", METRIC_L2, "rows_fp16_l2"); }
static void sq8_l2(void **state) { (void)state, same_as_holding("SQ8", METRIC_L2, "rows_sq8_l2"); }
static void sq8_ip(void **state) { (void)state, same_as_holding("SQ8", METRIC_INNER_PRODUCT, "rows_sq8_ip"); }

/* The nearest row to a query cannot be read: the search goes on, that row
 * is not returned, and the source saw the failure. */
static void unreadable_row_ranks_last(void **state) {
    (void)state;
    float *x = random_rows(13, ROWS);
    rows_source src = {x, -1, 0};
    FaissIndex *holding = NULL, *by_id = NULL;
    both_indexes(NULL, METRIC_L2, x, &src, &holding, &by_id);
    float d[2 * K];
    idx_t l[2 * K];
    assert_int_equal(faiss_Index_search(holding, 2, x, K, d, l), 0); /* queries: rows 0 and 1 */
    src.fail_id = l[0];
    assert_int_equal(faiss_Index_search(by_id, 2, x, K, d, l), 0);
    assert_true(atomic_load(&src.failures) > 0);
    for (int i = 0; i < K; i++) assert_true(l[i] != src.fail_id);
    float v[DIM];
    assert_int_not_equal(faiss_Index_reconstruct(by_id, src.fail_id, v), 0); /* one call: faiss reports it */
    free(x);
    faiss_Index_free(holding);
    faiss_Index_free(by_id);
}

int main(void) {
    rvcidx__set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flat_l2), cmocka_unit_test(flat_ip), cmocka_unit_test(fp16_l2),
        cmocka_unit_test(sq8_l2),  cmocka_unit_test(sq8_ip),  cmocka_unit_test(unreadable_row_ranks_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
