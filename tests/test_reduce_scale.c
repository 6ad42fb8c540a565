/* test_reduce_scale.c — the reduction's bounds at any input size
 * (reduce.c, reduce_kmeans.c): past `reduce_measure_rows` rows auto
 * measures its methods on a seeded per-speaker sample (written beside the
 * output and removed after), the same rows twice give the same kept
 * vectors, every phase reports progress and a stop asked in any of them
 * leaves neither reduced.h5 nor the sample; kmeans's training rows and the
 * planned memory stay bounded whatever the rows. */
#include "test_util.h"

#include <string.h>

#include "reduce/reduce_internal.h"
#include "rvcidx/demo.h"
#include "rvcidx/error.h"
#include "backend/run_context.h"
#include "rvcidx/ingest.h"
#include "rvcidx/store.h"
#include "store/store_impl.h"

static char dir[4096], store[4200], out_dir[4200];

static rvcidx_index_params one_thread(void) { return rvcidx_index_default_params(); }

/* The reduction in a run of its own: one thread on the CPU, reporting to fn. */
static int reduce(const rvcidx_index_params *p, const rvcidx_reduce_params *b, rvcidx_progress_fn fn, void *user,
                  char *path, size_t n, rvcidx_index_params *reduced, rvcidx_reduce_result *r) {
    rvcidx_run run = rvcidx_run_default();
    run.threads = 1;
    run.gpu = RVCIDX_GPU_OFF;
    run.progress = fn, run.progress_user = user;
    rvcidx__ctx ctx;
    rvcidx__ctx_open(&ctx, &run);
    int rc = rvcidx__reduce_store(store, out_dir, p, b, &ctx, path, n, reduced, r);
    rvcidx__ctx_close(&ctx);
    return rc;
}

static rvcidx_reduce_params budgeted(uint64_t measure_rows) {
    rvcidx_reduce_params b = rvcidx_reduce_default_params();
    b.max_vectors = 1200;
    b.method = RVCIDX_REDUCE_AUTO;
    b.measure_rows = measure_rows;
    return b;
}

static void reduced_rows_sha(const char *path, uint64_t *rows, char sha[65]) {
    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(path, &st), 0);
    *rows = rvcidx_store_rows(st);
    snprintf(sha, 65, "%s", rvcidx__store_recorded_rows_sha256(st));
    rvcidx_store_close(st);
}

/* 0 or the status, the library's message printed when not 0. */
static int said(int rc) {
    if (rc) print_message("%s\n", rvcidx_last_error());
    return rc;
}

static int exists(const char *name) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    return access(path, F_OK) == 0;
}

static void sampled_measurement(void **state) {
    (void)state;
    rvcidx_index_params p = one_thread(), reduced;
    rvcidx_reduce_params b = budgeted(3000);
    rvcidx_reduce_result r;
    char path[4400], sha1[65], sha2[65];
    uint64_t rows = 0;
    assert_int_equal(said(reduce(&p, &b, NULL, NULL, path, sizeof path, &reduced, &r)), 0);
    assert_true(r.applied && r.measured);
    assert_int_equal(r.n_trials, 3); /* 4 speakers: kmeans, stratified and hubs */
    assert_non_null(strstr(r.measured_on, "sample of all 6000"));
    assert_int_equal(r.kept, 1200);
    assert_false(exists("reduce-sample.h5"));
    reduced_rows_sha(path, &rows, sha1);
    assert_int_equal(rows, 1200);
    assert_int_equal(said(reduce(&p, &b, NULL, NULL, path, sizeof path, &reduced, &r)), 0);
    reduced_rows_sha(path, &rows, sha2);
    assert_string_equal(sha1, sha2); /* seeded: the same rows kept */
}

static void all_rows_under_the_cap(void **state) {
    (void)state;
    rvcidx_index_params p = one_thread(), reduced;
    rvcidx_reduce_params b = budgeted(0);
    rvcidx_reduce_result r;
    char path[4400];
    assert_int_equal(said(reduce(&p, &b, NULL, NULL, path, sizeof path, &reduced, &r)), 0);
    assert_true(r.measured);
    assert_null(strstr(r.measured_on, "sample"));
    assert_non_null(strstr(r.measured_on, "the last speaker"));
}

typedef struct seen {
    int sample, kmeans, stratified, hubs, knn, reduce, finished;
    const char *stop_at; /* a stage to ask a stop in */
} seen;

static int record(const rvcidx_progress *pr, void *user) {
    seen *s = user;
    s->sample |= !strcmp(pr->stage, "auto: sample");
    s->kmeans |= !strcmp(pr->stage, "auto: kmeans");
    s->stratified |= !strcmp(pr->stage, "auto: stratified");
    s->hubs |= !strcmp(pr->stage, "auto: hubs");
    s->knn |= !strcmp(pr->stage, "auto: exact k-NN");
    s->reduce |= !strncmp(pr->stage, "reduce: ", 8);
    s->finished |= pr->finished && pr->total && pr->done == pr->total;
    return s->stop_at && !strncmp(pr->stage, s->stop_at, strlen(s->stop_at));
}

static void every_phase_reports(void **state) {
    (void)state;
    seen s = {0};
    rvcidx_index_params p = one_thread(), reduced;
    rvcidx_reduce_params b = budgeted(3000);
    rvcidx_reduce_result r;
    char path[4400];
    assert_int_equal(said(reduce(&p, &b, record, &s, path, sizeof path, &reduced, &r)), 0);
    assert_true(s.sample && s.kmeans && s.stratified && s.hubs && s.knn && s.reduce && s.finished);
}

static void a_stop_leaves_nothing(void **state) {
    (void)state;
    static const char *const stages[] = {"auto: sample", "auto: exact k-NN", "auto: kmeans", "auto: stratified",
                                          "auto: hubs", "reduce: "};
    for (size_t i = 0; i < sizeof stages / sizeof *stages; i++) {
        char cmd[4400];
        snprintf(cmd, sizeof cmd, "rm -f '%s'/*.h5", out_dir);
        assert_int_equal(system(cmd), 0);
        seen s = {.stop_at = stages[i]};
        rvcidx_index_params p = one_thread(), reduced;
        rvcidx_reduce_params b = budgeted(3000);
        rvcidx_reduce_result r;
        char path[4400];
        assert_int_equal(reduce(&p, &b, record, &s, path, sizeof path, &reduced, &r), RVCIDX_EINTR);
        assert_false(exists("reduced.h5"));
        assert_false(exists("reduce-sample.h5"));
        snprintf(cmd, sizeof cmd, "'%s'/*.tmp*", out_dir);
        assert_int_equal(test_count_glob(cmd), 0);
    }
}

static void kmeans_rows_bounded(void **state) {
    (void)state;
    assert_int_equal(rvcidx__reduce_kmeans_rows(60000, 10000), 60000);  /* small: every row, as before */
    assert_int_equal(rvcidx__reduce_kmeans_rows(1000000, 100), 25600);   /* 256 a centre */
    assert_int_equal(rvcidx__reduce_kmeans_rows(5000000, 100000), RVCIDX_REDUCE_MEASURE_ROWS);
    assert_int_equal(rvcidx__reduce_kmeans_rows(5000000, 2000000), 2000000); /* the centres are the rows */
}

/* The reduction's planned peak at 5M and 18M x 768 into 1M stays below
 * half the data, and above the kept vectors it must hold. */
static void planned_memory_bounded(void **state) {
    (void)state;
    rvcidx_reduce_params p = rvcidx_reduce_default_params();
    const uint64_t vec = 768 * 4, sizes[2] = {5000000, 18000000};
    for (int i = 0; i < 2; i++) {
        uint64_t ram = rvcidx__reduce_predict_ram(&p, sizes[i], 768, 40, 1000000);
        assert_true(ram < sizes[i] * vec / 2);
        assert_true(ram > 1000000 * vec);
    }
    assert_int_equal(rvcidx__reduce_predict_ram(&p, 1000, 768, 4, 0), 0); /* no budget: no reduction */
}

int main(void) {
    test_scratch_dir("reduce_scale", dir, sizeof dir);
    rvcidx_demo_params d = rvcidx_demo_default_params();
    d.dim = 256;
    d.minutes = 0.5; /* 4 speakers x 1,500 rows */
    assert_int_equal(rvcidx_demo_write(dir, &d, NULL), 0);
    snprintf(store, sizeof store, "%s/store.h5", dir);
    const char *srcs[] = {dir};
    assert_int_equal(rvcidx_ingest(store, srcs, 1, NULL, NULL, NULL), 0);
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", out_dir);
    assert_int_equal(system(cmd), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sampled_measurement),   cmocka_unit_test(all_rows_under_the_cap),
        cmocka_unit_test(every_phase_reports),   cmocka_unit_test(a_stop_leaves_nothing),
        cmocka_unit_test(kmeans_rows_bounded),   cmocka_unit_test(planned_memory_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
