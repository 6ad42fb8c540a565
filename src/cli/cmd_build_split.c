/* cmd_build_split.c — `rvcidx build --split N`: one index built in N parts.
 *
 * The stages are what the tasks of a cluster split build run (see
 * cmd_submit.c), each the same command line with a different --stage:
 *   prepare  (one task, locks OUTDIR)  ingest, train once, trained empty index
 *   part     (N tasks, no lock)        encode one row range (--part I or
 *                                      $SLURM_ARRAY_TASK_ID)
 *   finish   (one task, locks OUTDIR)  merge in row order, tune, publish,
 *                                      run.json and manifest.json
 * --stage all (the default) runs the three here, one after the other.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_build.h"

static int split_request(const build_args *a, const char *store, char **request) {
    rvcidx_manifest_spec m = build_manifest_spec(a, store, NULL);
    int rc = rvcidx_manifest_request(&m, request);
    return rc ? cli_fail(rc, NULL) : 0;
}

static void model_name(const build_args *a, char *out, size_t n) {
    if (a->name) snprintf(out, n, "%s", a->name);
    else build_default_model_name(a->srcs[0], out, n);
}

static int stage_prepare(build_args *a, const char *store) {
    rvcidx_ingest_result ir;
    double start = cli_now();
    int rc = rvcidx_ingest(store, (const char *const *)a->srcs, a->n_srcs, &a->ingest, &ir);
    if (rc) return cli_fail(rc, NULL);
    cli_print_ingest_summary(store, &ir, cli_now() - start);
    if (ir.outcome == RVCIDX_INGEST_UNCHANGED && build_up_to_date(a, store)) {
        printf("status   up to date: nothing rebuilt (%.1f s)\n", cli_now() - start);
        a->unchanged = 1;
        return CLI_EXIT_OK;
    }
    char manifest[PATH_MAX], *request = NULL;
    snprintf(manifest, sizeof manifest, "%s/manifest.json", a->outdir);
    unlink(manifest); /* until finish writes the new one, this is not a complete build */
    if ((rc = split_request(a, store, &request)) != 0) return rc;
    int reused = 0;
    double t = cli_now();
    rc = rvcidx_split_prepare(store, a->outdir, &a->index, a->split, request, &reused);
    free(request);
    if (rc) return cli_fail(rc, NULL);
    printf("split    %s/.rvcidx-split: %u parts, %s (%.1f s)\n", a->outdir, a->split,
           reused ? "already prepared" : "trained and ready", cli_now() - t);
    return CLI_EXIT_OK;
}

static int part_number(const build_args *a, unsigned *part) {
    const char *env = getenv("SLURM_ARRAY_TASK_ID");
    long v = a->part;
    if (v < 0 && env && cli_parse_int("SLURM_ARRAY_TASK_ID", env, 0, RVCIDX_SPLIT_MAX_PARTS - 1, &v)) return CLI_EXIT_USAGE;
    if (v < 0) {
        cli_logf(RVCIDX_LOG_ERROR, "build: --stage part needs --part I (or SLURM_ARRAY_TASK_ID from a job array)");
        return CLI_EXIT_USAGE;
    }
    *part = (unsigned)v;
    return 0;
}

static int need_store(const char *store) {
    if (access(store, R_OK) == 0) return 0;
    cli_logf(RVCIDX_LOG_ERROR, "build: %s: no store; run the prepare step first (--stage prepare, same options)", store);
    return CLI_EXIT_BAD_INPUT;
}

static int split_mismatch(const char *outdir, unsigned prepared, unsigned asked) {
    cli_logf(RVCIDX_LOG_ERROR, "build: %s/split was prepared with --split %u, not %u; use the same options in every stage",
             outdir, prepared, asked);
    return CLI_EXIT_USAGE;
}

static int stage_part(build_args *a, const char *store, unsigned part) {
    int rc = need_store(store);
    if (rc) return rc;
    if (build_up_to_date(a, store)) {
        printf("status   up to date: the split build is finished; part %u not needed\n", part);
        return CLI_EXIT_OK;
    }
    char *request = NULL;
    if ((rc = split_request(a, store, &request)) != 0) return rc;
    unsigned prepared = 0;
    if ((rc = rvcidx_split_parts(a->outdir, request, &prepared)) == 0 && prepared != a->split)
        rc = split_mismatch(a->outdir, prepared, a->split);
    int reused = 0;
    double t = cli_now();
    if (rc == 0) rc = rvcidx_split_part(store, a->outdir, &a->index, part, request, &reused);
    free(request);
    if (rc) return rc == CLI_EXIT_USAGE ? rc : cli_fail(rc, NULL);
    printf("part     %u of %u: %s (%.1f s)\n", part, a->split, reused ? "already done" : "encoded", cli_now() - t);
    return CLI_EXIT_OK;
}

static int stage_finish(build_args *a, const char *store) {
    int rc = need_store(store);
    if (rc) return rc;
    if (build_up_to_date(a, store)) {
        printf("status   up to date: nothing rebuilt\n");
        a->unchanged = 1;
        return CLI_EXIT_OK;
    }
    char model[256], *request = NULL;
    model_name(a, model, sizeof model);
    if ((rc = split_request(a, store, &request)) != 0) return rc;
    unsigned prepared = 0;
    if ((rc = rvcidx_split_parts(a->outdir, request, &prepared)) != 0 || prepared != a->split) {
        free(request);
        return rc ? cli_fail(rc, NULL) : split_mismatch(a->outdir, prepared, a->split);
    }
    build_plan bp;
    double start = cli_now();
    rc = build_plan_make(a, store, model, &bp);
    if (rc == 0) {
        int st = rvcidx_split_finish(store, a->outdir, model, &a->index, &a->eval, request, &bp.results[0]);
        rc = build_report_index(a, a->outdir, model, st, &bp.results[0]);
    }
    free(request);
    if (rc == 0) {
        build_write_run_json(a, &bp, 0, cli_now() - start);
        rvcidx_manifest_spec m = build_manifest_spec(a, store, &bp);
        int mrc = rvcidx_manifest_write(&m);
        if (mrc) rc = cli_fail(mrc, NULL);
        else printf("manifest %s/manifest.json\n", a->outdir);
        if (rc == 0 && (mrc = rvcidx_split_clear(a->outdir)) != 0)
            cli_logf(RVCIDX_LOG_WARN, "build: the build is complete, but %s", rvcidx_last_error());
    }
    build_plan_free(&bp);
    return rc;
}

/* prepare and finish write what every task shares: under OUTDIR's lock. */
static int locked(build_args *a, const char *store, int (*stage)(build_args *, const char *)) {
    int lock = -1, rc = rvcidx_outdir_lock(a->outdir, &lock);
    if (rc) return cli_fail(rc, NULL);
    rc = build_check_replaceable(a->outdir, 1);
    if (rc == 0) rc = stage(a, store);
    rvcidx_outdir_unlock(lock);
    return rc;
}

static int stage_all(build_args *a, const char *store) {
    int rc = stage_prepare(a, store);
    for (unsigned i = 0; rc == 0 && !a->unchanged && i < a->split; i++) rc = stage_part(a, store, i);
    return rc == 0 && !a->unchanged ? stage_finish(a, store) : rc;
}

/* cmd_build has refused --per-speaker, --per-model and --index auto. */
int build_split(build_args *a) {
    int rc = build_ensure_outdir(a->outdir);
    if (rc) return rc;
    char store[PATH_MAX];
    snprintf(store, sizeof store, "%s/store.h5", a->outdir);
    unsigned part = 0;
    switch (a->stage) {
    case STAGE_PREPARE: return locked(a, store, stage_prepare);
    case STAGE_PART: return (rc = part_number(a, &part)) ? rc : stage_part(a, store, part);
    case STAGE_FINISH: return locked(a, store, stage_finish);
    default: return locked(a, store, stage_all);
    }
}
