/* test_build.c — rvcidx_build, the whole build as an embedding program
 * calls it: a build with its events and result, the up-to-date no-op, two
 * builds at once in two threads of one process (their outputs must be the
 * bytes a build alone makes: no shared mutable state), and the failures an
 * embedder classes by rvcidx_exit_code, with the note `status` reads when
 * the build failed after taking OUTDIR's lock (and none before it). */
#include <pthread.h>

#include "rvcidx/rvcidx.h"
#include "test_util.h"

static char g_src[4096];

static int setup(void **state) {
    (void)state;
    char root[4096];
    test_scratch_dir("build", root, sizeof root);
    snprintf(g_src, sizeof g_src, "%s/data", root);
    rvcidx_demo_params dp = rvcidx_demo_default_params();
    dp.speakers = 2;
    dp.minutes = 1.0;
    dp.dim = 256;
    return rvcidx_demo_write(g_src, &dp, NULL);
}

typedef struct events {
    int ingested, index_done, manifest, up_to_date;
} events;

static void count_event(const rvcidx_build_event *e, void *user) {
    events *ev = user;
    ev->ingested += e->kind == RVCIDX_EVENT_INGESTED;
    ev->index_done += e->kind == RVCIDX_EVENT_INDEX_DONE;
    ev->manifest += e->kind == RVCIDX_EVENT_MANIFEST;
    ev->up_to_date += e->kind == RVCIDX_EVENT_UP_TO_DATE;
}

static rvcidx_build_params params_for(const char *outdir, const char *const *srcs, events *ev) {
    rvcidx_build_params p = rvcidx_build_default_params();
    p.outdir = outdir;
    p.sources = srcs;
    p.n_sources = 1;
    p.name = "demo";
    p.run.threads = 1;
    p.eval.queries = 200;
    p.on_event = ev ? count_event : NULL;
    p.event_user = ev;
    return p;
}

static void outdir_of(const char *name, char *out, size_t n) {
    char root[4096];
    snprintf(root, sizeof root, "%s", g_src);
    *strrchr(root, '/') = '\0';
    snprintf(out, n, "%s/%s", root, name);
}

static void test_build_events_result_and_noop(void **state) {
    (void)state;
    char out[4200];
    outdir_of("alone", out, sizeof out);
    const char *srcs[1] = {g_src};
    events ev = {0};
    rvcidx_build_params p = params_for(out, srcs, &ev);
    rvcidx_build_result r;
    assert_int_equal(rvcidx_build(&p, &r), 0);
    assert_int_equal(r.unchanged, 0);
    assert_int_equal(r.n_indexes, 1);
    assert_int_equal(access(r.indexes[0].result.index_path, R_OK), 0);
    assert_int_equal(access(r.manifest_path, R_OK), 0);
    assert_non_null(r.indexes[0].result.eval);
    assert_true(r.indexes[0].result.eval->chosen >= 0);
    assert_int_equal(ev.ingested, 1);
    assert_int_equal(ev.index_done, 1);
    assert_int_equal(ev.manifest, 1);
    char *json = NULL;
    assert_int_equal(rvcidx_build_result_json(&r, &json), 0);
    assert_non_null(strstr(json, r.indexes[0].result.index_path));
    assert_non_null(strstr(json, "\"recall_k\""));
    free(json);
    rvcidx_build_result_clear(&r);

    events again = {0};
    p.event_user = &again;
    assert_int_equal(rvcidx_build(&p, &r), 0);
    assert_int_equal(r.unchanged, 1);
    assert_int_equal(again.up_to_date, 1);
    assert_int_equal(again.index_done, 0);
    rvcidx_build_result_clear(&r);
}

typedef struct thread_build {
    char outdir[4200];
    int status;
} thread_build;

static void *build_in_thread(void *arg) {
    thread_build *t = arg;
    const char *srcs[1] = {g_src};
    rvcidx_build_params p = params_for(t->outdir, srcs, NULL);
    t->status = rvcidx_build(&p, NULL);
    return NULL;
}

static void assert_same_file(const char *dir_a, const char *dir_b, const char *name) {
    char a[4400], b[4400];
    snprintf(a, sizeof a, "%s/%s", dir_a, name);
    snprintf(b, sizeof b, "%s/%s", dir_b, name);
    size_t na = 0, nb = 0;
    unsigned char *x = test_read_file(a, &na), *y = test_read_file(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    free(x);
    free(y);
}

static void test_two_builds_in_two_threads(void **state) {
    (void)state;
    char alone[4200];
    outdir_of("alone", alone, sizeof alone); /* built by the test above */
    thread_build t[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        outdir_of(i ? "thread-b" : "thread-a", t[i].outdir, sizeof t[i].outdir);
        t[i].status = -100;
        assert_int_equal(pthread_create(&th[i], NULL, build_in_thread, &t[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(t[i].status, 0);
        const char *names[] = {"store.h5", "centroids.h5", "report.json", "manifest.json"};
        for (size_t k = 0; k < 4; k++) assert_same_file(alone, t[i].outdir, names[k]);
    }
    char cmd[9000]; /* the index file, whatever nprobe tuning chose */
    snprintf(cmd, sizeof cmd, "cmp -s \"$(ls '%s'/added_*.index)\" \"$(ls '%s'/added_*.index)\" && "
             "cmp -s \"$(ls '%s'/added_*.index)\" \"$(ls '%s'/added_*.index)\"", alone, t[0].outdir, alone, t[1].outdir);
    assert_int_equal(system(cmd), 0);
}

static void test_failures_are_classed_and_noted(void **state) {
    (void)state;
    char out[4200], missing[4200];
    outdir_of("failed", out, sizeof out);
    snprintf(missing, sizeof missing, "%s/no-such-folder", out);
    assert_int_equal(rvcidx_outdir_make(out), 0);
    const char *srcs[1] = {missing};
    rvcidx_build_params p = params_for(out, srcs, NULL);
    rvcidx_build_result r;
    int rc = rvcidx_build(&p, &r); /* refused by the plan check, before the lock: no note in OUTDIR */
    assert_int_equal(rvcidx_exit_code(rc), 3);
    assert_non_null(strstr(rvcidx_last_error(), "no-such-folder"));
    assert_int_equal(r.started, 0);
    rvcidx_build_result_clear(&r);
    rvcidx_outdir_state st;
    assert_int_equal(rvcidx_outdir_state_get(out, &st), 0);
    assert_int_equal(st.kind, RVCIDX_OUTDIR_NONE);

    p.check_fit = 0; /* now ingest, under the lock, meets the missing folder: the note says so */
    rc = rvcidx_build(&p, &r);
    assert_int_equal(rvcidx_exit_code(rc), 3);
    assert_non_null(strstr(rvcidx_last_error(), "no-such-folder"));
    assert_int_equal(r.started, 1);
    rvcidx_build_result_clear(&r);
    assert_int_equal(rvcidx_outdir_state_get(out, &st), 0);
    assert_int_equal(st.kind, RVCIDX_OUTDIR_FAILED);
    assert_int_equal(st.failed_exit, 3);

    const char *good[1] = {g_src};
    p = params_for(out, good, NULL);
    int lock = -1;
    assert_int_equal(rvcidx_outdir_lock(out, &lock), 0);
    rc = rvcidx_build(&p, NULL);
    rvcidx_outdir_unlock(lock);
    assert_int_equal(rc, RVCIDX_ELOCKED);
    assert_int_equal(rvcidx_exit_code(rc), 9);

    p.outdir = NULL;
    assert_int_equal(rvcidx_build(&p, NULL), RVCIDX_EINVAL);
    assert_int_equal(rvcidx_exit_code(RVCIDX_EINVAL), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_events_result_and_noop),
        cmocka_unit_test(test_two_builds_in_two_threads),
        cmocka_unit_test(test_failures_are_classed_and_noted),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
