/* test_build_params.c — the build's parameters by name (rvcidx/build.h):
 * the CLI's defaults, every key, bad values refused with a message naming
 * the key, '-' and '_' alike, create/destroy. */
#include "test_util.h"

#include "rvcidx/rvcidx.h"
#include "rvcidx/build.h"
#include "cli/cli.h"
#include "pipeline/build_internal.h"

static void defaults_are_the_clis(void **state) {
    (void)state;
    rvcidx_build_params p = rvcidx_build_default_params();
    rvcidx_index_params ip = rvcidx_index_default_params();
    rvcidx_eval_params ep = rvcidx_eval_default_params();
    rvcidx_ingest_params gp = rvcidx_ingest_default_params();
    assert_null(p.outdir);
    assert_null(p.sources);
    assert_int_equal(p.n_sources, 0);
    assert_null(p.name);
    assert_int_equal(p.per_speaker, 0);
    assert_int_equal(p.split, 0);
    assert_int_equal(p.stage, RVCIDX_STAGE_ALL);
    assert_int_equal(p.part, -1);
    assert_int_equal(p.check_fit, 1);
    assert_int_equal(p.assume_memory, 0);
    assert_int_equal(p.assume_disk, 0);
    assert_memory_equal(&p.index, &ip, sizeof ip);
    assert_memory_equal(&p.ingest, &gp, sizeof gp);
    assert_int_equal(p.eval.k, ep.k);
    assert_int_equal(p.eval.queries, ep.queries);
    assert_true(p.eval.target_recall == ep.target_recall);
    assert_int_equal(p.eval.tune, 1);
    assert_int_equal(p.eval.measure_speed, 1);
    rvcidx_run run = rvcidx_run_default(); /* one device and thread count for every stage */
    assert_memory_equal(&p.run, &run, sizeof run);
    assert_int_equal(p.run.gpu, RVCIDX_GPU_AUTO);
    assert_int_equal(p.run.gpu_device, 0);
    assert_int_equal(p.run.threads, 0);
    assert_null(p.run.progress);
    assert_null(p.on_event);
    assert_null(p.plot);
}

#define SET_OK(p, k, v) assert_int_equal(rvcidx_build_params_set(p, k, v), 0)

static void every_key_sets_its_field(void **state) {
    (void)state;
    rvcidx_build_params *p = rvcidx_build_params_create();
    assert_non_null(p);
    SET_OK(p, "outdir", "out");
    assert_string_equal(p->outdir, "out");
    SET_OK(p, "name", "alice");
    assert_string_equal(p->name, "alice");
    SET_OK(p, "per_speaker", "yes");
    assert_int_equal(p->per_speaker, 1);
    SET_OK(p, "split", "3");
    assert_int_equal(p->split, 3);
    SET_OK(p, "stage", "finish");
    assert_int_equal(p->stage, RVCIDX_STAGE_FINISH);
    SET_OK(p, "part", "2");
    assert_int_equal(p->part, 2);
    SET_OK(p, "check_fit", "false");
    assert_int_equal(p->check_fit, 0);
    SET_OK(p, "no_plan_check", "no"); /* --no-plan-check: check_fit's opposite */
    assert_int_equal(p->check_fit, 1);
    SET_OK(p, "no-plan-check", "yes");
    assert_int_equal(p->check_fit, 0);
    SET_OK(p, "assume_memory", "64G");
    assert_int_equal(p->assume_memory, 64ull << 30);
    SET_OK(p, "assume-disk", "1.5T");
    assert_int_equal(p->assume_disk, 3ull << 39);
    SET_OK(p, "assume_disk", "0"); /* none: what the machine shows */
    assert_int_equal(p->assume_disk, 0);
    SET_OK(p, "dim", "256");
    assert_int_equal(p->ingest.dim, 256);
    SET_OK(p, "version", "v2");
    assert_int_equal(p->ingest.dim, 768);
    SET_OK(p, "skip_bad", "true");
    assert_int_equal(p->ingest.skip_bad, 1);
    SET_OK(p, "check", "stat");
    assert_int_equal(p->ingest.check, RVCIDX_CHECK_STAT);
    SET_OK(p, "index", "ivfflat");
    assert_int_equal(p->index.type, RVCIDX_INDEX_IVFFLAT);
    SET_OK(p, "metric", "cosine");
    assert_int_equal(p->index.metric, RVCIDX_METRIC_COSINE);
    SET_OK(p, "nlist", "602");
    assert_int_equal(p->index.nlist, 602);
    SET_OK(p, "nlist", "auto");
    assert_int_equal(p->index.nlist, 0);
    SET_OK(p, "seed", "18446744073709551615");
    assert_true(p->index.seed == UINT64_MAX);
    SET_OK(p, "iterations", "25");
    assert_int_equal(p->index.iterations, 25);
    SET_OK(p, "train_rows", "5000");
    assert_int_equal(p->index.train_rows, 5000);
    SET_OK(p, "train_rows", "auto");
    assert_int_equal(p->index.train_rows, 0);
    SET_OK(p, "threads", "2");
    assert_int_equal(p->run.threads, 2);
    SET_OK(p, "gpu", "off");
    assert_int_equal(p->run.gpu, RVCIDX_GPU_OFF);
    SET_OK(p, "gpu_device", "3");
    assert_int_equal(p->run.gpu_device, 3);
    SET_OK(p, "nprobe", "4");
    assert_int_equal(p->index.nprobe, 4);
    SET_OK(p, "k_factor", "2");
    assert_int_equal(p->index.k_factor, 2);
    SET_OK(p, "refine", "sq8");
    assert_int_equal(p->index.refine, RVCIDX_REFINE_SQ8);
    SET_OK(p, "refine", "fp16");
    assert_int_equal(p->index.refine, RVCIDX_REFINE_FP16);
    SET_OK(p, "max_index_size", "500M");
    assert_int_equal(p->index.max_index_size, 500ull << 20);
    SET_OK(p, "max-index-size", "1.5G");
    assert_int_equal(p->index.max_index_size, 3ull << 29);
    SET_OK(p, "max_index_size", "1048576");
    assert_int_equal(p->index.max_index_size, 1048576);
    SET_OK(p, "max_index_size", "0");
    assert_int_equal(p->index.max_index_size, 0);
    SET_OK(p, "k", "4");
    assert_int_equal(p->eval.k, 4);
    SET_OK(p, "eval_queries", "200");
    assert_int_equal(p->eval.queries, 200);
    SET_OK(p, "queries", "q.h5");
    assert_string_equal(p->eval.queries_store, "q.h5");
    SET_OK(p, "queries_from", "other-speakers");
    assert_int_equal(p->eval.queries_from, RVCIDX_QUERIES_OTHER);
    SET_OK(p, "target_recall", "0.9");
    assert_true(p->eval.target_recall == 0.9);
    SET_OK(p, "no_tune", "1");
    assert_int_equal(p->eval.tune, 0);
    SET_OK(p, "no_tune", "no");
    assert_int_equal(p->eval.tune, 1);
    SET_OK(p, "no_timing", "1");
    assert_int_equal(p->eval.measure_speed, 0);
    rvcidx_build_params_free(p);
    rvcidx_build_params_free(NULL);
}

/* `for` is kept and applied over the other parameters when resolved,
 * whatever the order; against an index, k or nprobe given explicitly it is
 * refused, in either order. */
static void for_resolves_in_any_order(void **state) {
    (void)state;
    rvcidx_build_params *p = rvcidx_build_params_create(), r;
    SET_OK(p, "for", "w-okada"); /* the app's k */
    assert_int_equal(p->app, RVCIDX_APP_W_OKADA);
    assert_int_equal(rvcidx_build_params_resolve(p, &r), 0);
    assert_int_equal(r.eval.app, RVCIDX_APP_W_OKADA);
    assert_int_equal(r.eval.k, 1);
    SET_OK(p, "for", "applio-realtime"); /* forces nprobe and IVF-Flat */
    assert_int_equal(rvcidx_build_params_resolve(p, &r), 0);
    assert_int_equal(r.eval.fixed_nprobe, 12);
    assert_int_equal(r.index.nprobe, 12);
    assert_int_equal(r.index.type, RVCIDX_INDEX_IVFFLAT);
    SET_OK(p, "index", "ivfflat"); /* what the app loads: accepted */
    assert_int_equal(rvcidx_build_params_resolve(p, &r), 0);
    rvcidx_build_params_free(p);
    static const char *const crossed[][4] = {{"index", "ivfpq4fs", "for", "applio-realtime"},
                                             {"for", "applio-realtime", "index", "ivfpq4fs"},
                                             {"k", "8", "for", "w-okada"}, {"for", "w-okada", "k", "8"},
                                             {"nprobe", "4", "for", "applio-realtime"}};
    for (size_t i = 0; i < sizeof crossed / sizeof *crossed; i++) {
        p = rvcidx_build_params_create();
        SET_OK(p, crossed[i][0], crossed[i][1]);
        SET_OK(p, crossed[i][2], crossed[i][3]);
        const char *other = strcmp(crossed[i][0], "for") ? crossed[i][0] : crossed[i][2];
        char word[32];
        snprintf(word, sizeof word, "`%s`", other);
        assert_int_equal(rvcidx_build_params_resolve(p, &r), RVCIDX_EINVAL);
        assert_non_null(strstr(rvcidx_last_error(), word));
        p->outdir = "out";
        static const char *const src[] = {"data"};
        rvcidx_build_params_set_sources(p, src, 1);
        assert_int_equal(rvcidx_build_params_check(p), RVCIDX_EINVAL);
        rvcidx_build_params_free(p);
    }
}

static void dashes_and_underscores_alike(void **state) {
    (void)state;
    rvcidx_build_params p = rvcidx_build_default_params();
    SET_OK(&p, "target-recall", "0.5");
    assert_true(p.eval.target_recall == 0.5);
    SET_OK(&p, "per-speaker", "1");
    assert_int_equal(p.per_speaker, 1);
    SET_OK(&p, "k-factor", "3");
    assert_int_equal(p.index.k_factor, 3);
    SET_OK(&p, "train-rows", "100");
    assert_int_equal(p.index.train_rows, 100);
    SET_OK(&p, "skip-bad", "1");
    SET_OK(&p, "eval-queries", "7");
    SET_OK(&p, "queries-from", "self");
    SET_OK(&p, "no-timing", "1");
    SET_OK(&p, "no-tune", "1");
    assert_int_equal(p.eval.queries, 7);
    assert_int_equal(p.eval.queries_from, RVCIDX_QUERIES_SELF);
}

/* A bad value is refused, the params unchanged, the message starting with the key. */
static void refused(rvcidx_build_params *p, const char *key, const char *value, const char *says) {
    rvcidx_build_params before = *p;
    int rc = rvcidx_build_params_set(p, key, value);
    if (rc != RVCIDX_EINVAL || strstr(rvcidx_last_error(), says) == NULL)
        fail_msg("%s=%s: rc %d, message '%s', wanted '%s'", key, value ? value : "(null)", rc, rvcidx_last_error(), says);
    assert_memory_equal(&before, p, sizeof before);
}

static void bad_values_name_the_key(void **state) {
    (void)state;
    rvcidx_build_params p = rvcidx_build_default_params();
    refused(&p, "nlist", "0", "nlist: '0' is not an integer in 1..16777216");
    refused(&p, "nlist", "many", "nlist: 'many'");
    refused(&p, "nlist", "12x", "nlist: '12x'");
    refused(&p, "nlist", "", "nlist: ''");
    refused(&p, "nlist", NULL, "nlist: '(null)'");
    refused(&p, "split", "0", "split: '0' is not an integer in 1..4096");
    refused(&p, "split", "4097", "split: ");
    refused(&p, "part", "-1", "part: '-1' is not an integer in 0..4095");
    refused(&p, "stage", "middle", "stage: 'middle' is not all, prepare, part or finish");
    refused(&p, "per_speaker", "maybe", "per_speaker: 'maybe' is not 1/0, true/false or yes/no");
    refused(&p, "check_fit", "2", "check_fit: '2'");
    refused(&p, "no_plan_check", "maybe", "no_plan_check: 'maybe'");
    refused(&p, "assume_memory", "lots", "assume_memory: 'lots' is not a size");
    refused(&p, "assume-disk", "-1G", "assume_disk: '-1G' is not a size");
    refused(&p, "dim", "300", "dim: 300 is not 256 (RVC v1) or 768 (v2)");
    refused(&p, "version", "v3", "version: 'v3' is not v1 or v2");
    refused(&p, "skip-bad", "on", "skip_bad: 'on'");
    refused(&p, "check", "md5", "check: 'md5' is not hash or stat");
    refused(&p, "index", "hnsw", "index: 'hnsw' is not ivfpq4fs, ivfpq4fsr, ivfflat or auto");
    refused(&p, "metric", "L2", "metric: 'L2' is not l2, ip or cosine");
    refused(&p, "seed", "-1", "seed: '-1' is not a non-negative integer");
    refused(&p, "seed", "18446744073709551616", "seed: ");
    refused(&p, "iterations", "1001", "iterations: '1001' is not an integer in 1..1000");
    refused(&p, "train_rows", "0", "train_rows: '0'");
    refused(&p, "threads", "-1", "threads: '-1' is not an integer in 0..4096");
    refused(&p, "gpu", "yes", "gpu: 'yes' is not auto, on or off");
    refused(&p, "nprobe", "0", "nprobe: '0'");
    refused(&p, "k-factor", "1025", "k_factor: '1025' is not an integer in 1..1024");
    refused(&p, "refine", "sq4", "refine: 'sq4' is not flat, fp16 or sq8");
    refused(&p, "max_index_size", "lots", "max_index_size: 'lots' is not a size");
    refused(&p, "max_index_size", "-1G", "max_index_size: '-1G' is not a size");
    refused(&p, "max_index_size", "2X", "max_index_size: '2X' is not a size");
    refused(&p, "k", "0", "k: '0' is not an integer in 1..1024");
    refused(&p, "eval_queries", "0", "eval_queries: '0'");
    refused(&p, "queries", "", "queries: an empty value");
    refused(&p, "queries_from", "others", "queries_from: 'others' is not auto, self or other-speakers");
    refused(&p, "target_recall", "1.5", "target_recall: '1.5' is not a number in 0..1");
    refused(&p, "target_recall", "nan", "target_recall: 'nan'");
    refused(&p, "no_tune", "x", "no_tune: 'x'");
    refused(&p, "no_timing", "x", "no_timing: 'x'");
    refused(&p, "outdir", "", "outdir: an empty value");
    refused(&p, "name", "caf\xe9", "name: model name: not valid UTF-8");
    refused(&p, "for", "bogus", "for: 'bogus' is not an app");
    refused(&p, "bogus", "1", "'bogus' is not a build parameter");
    refused(&p, "", "1", "is not a parameter name");
    refused(&p, NULL, "1", "is not a parameter name");
    assert_int_equal(rvcidx_build_params_set(NULL, "k", "1"), RVCIDX_EINVAL);
}

static void per_struct_setters(void **state) {
    (void)state;
    rvcidx_index_params ip = rvcidx_index_default_params();
    rvcidx_ingest_params gp = rvcidx_ingest_default_params();
    rvcidx_eval_params ep = rvcidx_eval_default_params();
    assert_int_equal(rvcidx_index_params_set(&ip, "k-factor", "5"), 0);
    assert_int_equal(ip.k_factor, 5);
    assert_int_equal(rvcidx_index_params_set(&ip, "k", "5"), RVCIDX_EINVAL); /* eval's */
    assert_non_null(strstr(rvcidx_last_error(), "'k' is not an index parameter"));
    assert_int_equal(rvcidx_ingest_params_set(&gp, "check", "stat"), 0);
    assert_int_equal(rvcidx_ingest_params_set(&gp, "nlist", "5"), RVCIDX_EINVAL);
    assert_non_null(strstr(rvcidx_last_error(), "'nlist' is not an ingest parameter"));
    assert_int_equal(rvcidx_eval_params_set(&ep, "k", "1"), 0);
    assert_int_equal(ep.k, 1);
    assert_int_equal(rvcidx_eval_params_set(&ep, "outdir", "x"), RVCIDX_EINVAL);
    assert_non_null(strstr(rvcidx_last_error(), "'outdir' is not an eval parameter"));
}

static int progress_fn(const rvcidx_progress *pr, void *user) { return (void)pr, (void)user, 0; }

static void sources_and_progress(void **state) {
    (void)state;
    static const char *const srcs[] = {"a", "b"};
    rvcidx_build_params *p = rvcidx_build_params_create();
    int user = 0;
    rvcidx_build_params_set_sources(p, srcs, 2);
    rvcidx_build_params_set_progress(p, progress_fn, &user);
    assert_ptr_equal(p->sources, srcs);
    assert_int_equal(p->n_sources, 2);
    assert_ptr_equal(p->run.progress, progress_fn);
    assert_ptr_equal(p->run.progress_user, &user);
    rvcidx_build_params_set_sources(NULL, srcs, 2); /* no crash */
    rvcidx_build_params_set_progress(NULL, NULL, NULL);
    rvcidx_build_params_free(p);
}

/* The CLI names options where the library names parameters (cli_log.c). */
/* max_vectors, max_app_memory, reduce (issue 20): set through the build's
 * setter into its index parameters; bad values name the key. */
static void reduction_keys(void **state) {
    (void)state;
    rvcidx_build_params *p = rvcidx_build_params_create();
    assert_non_null(p);
    assert_int_equal(p->reduce.max_vectors, 0);
    assert_int_equal(p->reduce.max_app_memory, 0);
    assert_int_equal(p->reduce.method, RVCIDX_REDUCE_AUTO);
    assert_string_equal(rvcidx_reduce_method_name(RVCIDX_REDUCE_AUTO), "auto");
    assert_string_equal(rvcidx_reduce_method_name(RVCIDX_REDUCE_HUBS), "hubs");
    SET_OK(p, "reduce", "kmeans");
    assert_int_equal(p->reduce.method, RVCIDX_REDUCE_KMEANS);
    SET_OK(p, "max_vectors", "10000");
    assert_int_equal(p->reduce.max_vectors, 10000);
    SET_OK(p, "max-vectors", "all");
    assert_int_equal(p->reduce.max_vectors, 0);
    SET_OK(p, "max_app_memory", "1.5G");
    assert_int_equal(p->reduce.max_app_memory, 1610612736);
    SET_OK(p, "max_app_memory", "512MiB");
    assert_int_equal(p->reduce.max_app_memory, 536870912);
    SET_OK(p, "max_app_memory", "4096");
    assert_int_equal(p->reduce.max_app_memory, 4096);
    SET_OK(p, "reduce", "stratified");
    assert_int_equal(p->reduce.method, RVCIDX_REDUCE_STRATIFIED);
    assert_string_equal(rvcidx_reduce_method_name(RVCIDX_REDUCE_RANDOM), "random");
    refused(p, "max_vectors", "0", "max_vectors: '0'");
    refused(p, "max_app_memory", "2X", "max_app_memory: '2X' is not a size");
    refused(p, "max_app_memory", "-1G", "max_app_memory: '-1G'");
    refused(p, "reduce", "dedup", "reduce: 'dedup' is not kmeans, stratified, random, auto or hubs");
    rvcidx_build_params_free(p);
    char buf[256];
    assert_string_equal(cli_with_flags("`max_vectors` and `max_app_memory=1G`", buf, sizeof buf),
                        "--max-vectors and --max-app-memory 1G");
}

static void cli_turns_parameters_into_options(void **state) {
    (void)state;
    char buf[512];
    assert_string_equal(cli_with_flags("pass `skip_bad` to leave them out", buf, sizeof buf),
                        "pass --skip-bad to leave them out");
    assert_string_equal(cli_with_flags("`nlist=2000` is more than; use `index=ivfflat`, lower `k`", buf, sizeof buf),
                        "--nlist 2000 is more than; use --index ivfflat, lower --k");
    assert_string_equal(cli_with_flags("`queries=a b.h5` or `queries-from=self`", buf, sizeof buf),
                        "--queries a b.h5 or --queries-from self");
    /* anything else between backquotes stays as it is */
    const char *plain = "`ls` in `/data/nlist` with `nlistx` and `k=`, `=1`, `` and an odd ` quote";
    assert_string_equal(cli_with_flags(plain, buf, sizeof buf), plain);
    const char *none = "no quotes";
    assert_ptr_equal(cli_with_flags(none, buf, sizeof buf), none);
    char small[8]; /* truncated, never overrun */
    cli_with_flags("`skip_bad` and more text", small, sizeof small);
    assert_true(strlen(small) < sizeof small);
    assert_string_equal(cli_param_flag("k-factor"), "--k-factor");
    assert_string_equal(cli_param_flag("outdir"), "-o");
    assert_null(cli_param_flag("check_fit"));
    assert_string_equal(cli_param_flag("no_plan_check"), "--no-plan-check"); /* check_fit=0 under its option's name */
    assert_string_equal(cli_with_flags("`assume_memory=SIZE` or `assume-disk=2T`", buf, sizeof buf),
                        "--assume-memory SIZE or --assume-disk 2T");
}

/* Which speakers tuning holds out of one index of every row: the last ones,
 * up to 3 while they hold at most half of the rows, always the last one,
 * never all but none; speakers without rows are skipped. */
static void held_out_speakers(void **state) {
    (void)state;
    const uint64_t two[] = {100, 100}, four[] = {100, 100, 100, 100}, eight[] = {1, 1, 1, 1, 1, 1, 1, 1};
    const uint64_t big_last[] = {100, 100, 300}, empty_between[] = {100, 0, 50, 0, 50}, one[] = {0, 500, 0};
    assert_int_equal(rvcidx__tuning_rows(two, 2, 200), 100);            /* 1 of 2 */
    assert_int_equal(rvcidx__tuning_rows(four, 4, 400), 200);           /* 2 of 4: half */
    assert_int_equal(rvcidx__tuning_rows(eight, 8, 8), 5);              /* 3 of 8: at most 3 */
    assert_int_equal(rvcidx__tuning_rows(big_last, 3, 500), 200);       /* the last alone holds 60%: still held out */
    assert_int_equal(rvcidx__tuning_rows(empty_between, 5, 200), 100);  /* 50 + 50, skipping the empty ones */
    assert_int_equal(rvcidx__tuning_rows(one, 3, 500), 500);            /* one speaker with rows: nothing held out */
    assert_int_equal(rvcidx__tuning_rows(NULL, 0, 0), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_clis),
        cmocka_unit_test(every_key_sets_its_field),
        cmocka_unit_test(for_resolves_in_any_order),
        cmocka_unit_test(dashes_and_underscores_alike),
        cmocka_unit_test(bad_values_name_the_key),
        cmocka_unit_test(per_struct_setters),
        cmocka_unit_test(sources_and_progress),
        cmocka_unit_test(reduction_keys),
        cmocka_unit_test(cli_turns_parameters_into_options),
        cmocka_unit_test(held_out_speakers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
