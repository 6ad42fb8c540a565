/* test_index_stream.c — the RFlat file written with its float rows streamed
 * (rvcidx__index_save_refine_flat_streamed, used by big tuned builds) is
 * the file faiss's own writer writes for the same index, byte for byte,
 * for L2 and inner product; a failing row source leaves nothing behind. */
#include "test_util.h"

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/index_factory_c.h>

#include "../src/base/fsutil.h"
#include "../src/base/threads.h"
#include "../src/index/faiss_c_ext.h"
#include "../src/index/index_io.h"
#include "rvcidx/error.h"

enum { ROWS = 3000, DIM = 64, NLIST = 16, NPROBE = 5, K_FACTOR = 12 };

static float *random_rows(unsigned seed) {
    float *x = malloc(sizeof(float) * ROWS * DIM);
    assert_non_null(x);
    srand(seed);
    for (size_t i = 0; i < (size_t)ROWS * DIM; i++) x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return x;
}

typedef struct rows_source {
    const float *x;
    int64_t fail_at; /* -1: never */
    int64_t asked;
} rows_source;

static int give_rows(void *user, int64_t first, int64_t n, float *out) {
    rows_source *s = user;
    assert_int_equal(first, s->asked); /* in order, each row once */
    s->asked += n;
    if (s->fail_at >= 0 && first + n > s->fail_at) return -1;
    memcpy(out, s->x + first * DIM, sizeof(float) * (size_t)n * DIM);
    return 0;
}

/* A trained IndexRefineFlat around IVF,PQx4fs holding x, nprobe and k_factor set. */
static FaissIndex *refine_flat_index(const float *x, FaissMetricType metric) {
    FaissIndex *base = NULL;
    assert_int_equal(faiss_index_factory(&base, DIM, "IVF16,PQ32x4fs", metric), 0);
    assert_int_equal(rvcidx_faiss_pq_quiet(base), 0);
    assert_int_equal(faiss_Index_train(base, ROWS, x), 0);
    FaissIndexRefineFlat *refine = NULL;
    assert_int_equal(faiss_IndexRefineFlat_new(&refine, base), 0);
    faiss_IndexRefineFlat_set_own_fields(refine, 1);
    FaissIndex *index = (FaissIndex *)refine;
    assert_int_equal(faiss_Index_add(index, ROWS, x), 0);
    assert_int_equal(rvcidx__index_set_params(index, NPROBE, K_FACTOR), 0);
    return index;
}

static void same_bytes_as_faiss(FaissMetricType metric, const char *name) {
    char dir[4096], whole[4200], streamed[4200];
    test_scratch_dir(name, dir, sizeof dir);
    snprintf(whole, sizeof whole, "%s/whole.index", dir);
    snprintf(streamed, sizeof streamed, "%s/streamed.index", dir);
    float *x = random_rows(metric == METRIC_L2 ? 7 : 8);
    FaissIndex *index = refine_flat_index(x, metric);
    assert_int_equal(rvcidx__index_save(index, whole), 0);
    FaissIndex *base = NULL;
    assert_int_equal(rvcidx_faiss_IndexRefine_take_base(index, &base), 0); /* index is gone */
    rows_source src = {x, -1, 0};
    assert_int_equal(rvcidx__index_save_refine_flat_streamed(base, K_FACTOR, give_rows, &src, streamed), 0);
    assert_int_equal(src.asked, ROWS);
    size_t n_whole = 0, n_streamed = 0;
    unsigned char *a = test_read_file(whole, &n_whole), *b = test_read_file(streamed, &n_streamed);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(n_whole > (size_t)ROWS * DIM * sizeof(float));
    assert_int_equal(n_whole, n_streamed);
    assert_memory_equal(a, b, n_whole);
    FaissIndex *back = NULL;
    rvcidx__index_info info;
    assert_int_equal(rvcidx__index_load(streamed, &back, &info), 0);
    assert_int_equal(info.ntotal, ROWS);
    assert_int_equal(info.k_factor, K_FACTOR);
    assert_int_equal(info.nprobe, NPROBE);
    faiss_Index_free(back);
    free(a), free(b), free(x);
    faiss_Index_free(base);
}

static void l2_file_is_faiss_bytes(void **state) {
    (void)state;
    same_bytes_as_faiss(METRIC_L2, "stream_l2");
}

static void ip_file_is_faiss_bytes(void **state) {
    (void)state;
    same_bytes_as_faiss(METRIC_INNER_PRODUCT, "stream_ip");
}

static void failing_rows_leave_nothing(void **state) {
    (void)state;
    char dir[4096], path[4200], pattern[4300];
    test_scratch_dir("stream_fail", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.index", dir);
    float *x = random_rows(9);
    FaissIndex *index = refine_flat_index(x, METRIC_L2);
    FaissIndex *base = NULL;
    assert_int_equal(rvcidx_faiss_IndexRefine_take_base(index, &base), 0);
    rows_source src = {x, 1000, 0}; /* the source fails within its first batch */
    assert_int_not_equal(rvcidx__index_save_refine_flat_streamed(base, K_FACTOR, give_rows, &src, path), 0);
    assert_non_null(strstr(rvcidx_last_error(), "out.index"));
    assert_int_equal(access(path, F_OK), -1);
    snprintf(pattern, sizeof pattern, "'%s'/.*" RVCIDX__TMP_MARK "*", dir);
    assert_int_equal(test_count_glob(pattern), 0);
    faiss_Index_free(base);
    free(x);
}

int main(void) {
    rvcidx__set_threads(1); /* PQ training's tiny parallel loops crawl on shared cores; the bytes are the same */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(l2_file_is_faiss_bytes),
        cmocka_unit_test(ip_file_is_faiss_bytes),
        cmocka_unit_test(failing_rows_leave_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
