/* build_split.c — a split build's stages: one index built in N parts.
 *
 * The stages are what the tasks of a cluster split build run (see `rvcidx
 * submit`), each the same parameters with a different stage:
 *   prepare  (one task, locks OUTDIR)  ingest, train once, trained empty index
 *   part     (N tasks, no lock)        encode one row range (part, or
 *                                      $SLURM_ARRAY_TASK_ID)
 *   finish   (one task, locks OUTDIR)  merge in row order, tune, publish,
 *                                      run.json and manifest.json
 * RVCIDX_STAGE_ALL runs the three here, one after the other.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "pipeline/build_run.h"
#include "outdir/outdir_internal.h"
#include "rvcidx/outdir.h"
#include "pipeline/split.h"

static int split_request(const rvcidx__build_run *run, char **request) {
    rvcidx__manifest_spec m = rvcidx__build_manifest_spec(run, 0);
    return rvcidx__manifest_request(&m, request);
}

static void emit_up_to_date(const rvcidx__build_run *run, long part, double seconds) {
    rvcidx_build_event e = {.kind = RVCIDX_EVENT_UP_TO_DATE, .part = part, .seconds = seconds};
    rvcidx__build_emit(run, &e);
}

static int stage_prepare(rvcidx__build_run *run) {
    const rvcidx_build_params *p = run->p;
    run->start = rvcidx__build_now();
    rvcidx_ingest_result ir;
    RVCIDX__TRY(rvcidx_ingest(run->store, p->sources, p->n_sources, &run->ingest, &run->ctx.run, &ir));
    run->r->ingest_seconds = rvcidx__build_now() - run->start;
    rvcidx_build_event e = {.kind = RVCIDX_EVENT_INGESTED, .path = run->store, .ingest = &ir,
                            .seconds = run->r->ingest_seconds, .part = -1};
    rvcidx__build_emit(run, &e);
    if (ir.outcome == RVCIDX_INGEST_UNCHANGED && rvcidx__build_up_to_date(run)) {
        run->r->unchanged = 1;
        emit_up_to_date(run, -1, rvcidx__build_now() - run->start);
        return 0;
    }
    char manifest[PATH_MAX], *request = NULL;
    RVCIDX__TRY(rvcidx_outdir_path(p->outdir, RVCIDX_OUT_MANIFEST, manifest, sizeof manifest));
    unlink(manifest); /* until finish writes the new one, this is not a complete build */
    RVCIDX__TRY(split_request(run, &request));
    int reused = 0;
    double t = rvcidx__build_now();
    int rc = rvcidx__split_prepare(&run->ctx, run->store, p->outdir, &run->index, &p->reduce, p->split, request, &reused);
    free(request);
    if (rc) return rc;
    rvcidx_build_event d = {.kind = RVCIDX_EVENT_SPLIT_PREPARED, .parts = p->split, .reused = reused,
                            .seconds = rvcidx__build_now() - t, .part = -1};
    rvcidx__build_emit(run, &d);
    return 0;
}

static int part_number(const rvcidx_build_params *p, unsigned *part) {
    const char *env = getenv("SLURM_ARRAY_TASK_ID");
    long v = p->part;
    if (v < 0 && env) {
        char *end = NULL;
        v = strtol(env, &end, 10);
        if (!*env || *end || v < 0 || v >= RVCIDX_SPLIT_MAX_PARTS)
            return rvcidx__fail(RVCIDX_EINVAL, "SLURM_ARRAY_TASK_ID: '%s' is not a part number from 0 to %d", env,
                                RVCIDX_SPLIT_MAX_PARTS - 1);
    }
    if (v < 0)
        return rvcidx__fail(RVCIDX_EINVAL, "build: `stage=part` needs `part=I` (or SLURM_ARRAY_TASK_ID from a job array)");
    *part = (unsigned)v;
    return 0;
}

static int need_store(const char *store) {
    if (access(store, R_OK) == 0) return 0;
    return rvcidx__fail(RVCIDX_EINPUT, "build: %s: no store; run the prepare step first (`stage=prepare`, same options)",
                        store);
}

/* The parts the shared work was prepared with must be the parts asked for. */
static int check_parts(const rvcidx__build_run *run, const char *request) {
    unsigned prepared = 0;
    RVCIDX__TRY(rvcidx__split_parts(run->p->outdir, request, &prepared));
    if (prepared == run->p->split) return 0;
    return rvcidx__fail(RVCIDX_EINVAL, "build: %s/split was prepared with `split=%u`, not %u; use the same options in "
                        "every stage", run->p->outdir, prepared, run->p->split);
}

static int stage_part(rvcidx__build_run *run, unsigned part) {
    const rvcidx_build_params *p = run->p;
    RVCIDX__TRY(need_store(run->store));
    if (rvcidx__build_up_to_date(run)) {
        emit_up_to_date(run, part, rvcidx__build_now() - run->start);
        return 0;
    }
    char *request = NULL;
    RVCIDX__TRY(split_request(run, &request));
    int reused = 0;
    double t = rvcidx__build_now();
    int rc = check_parts(run, request);
    if (rc == 0) rc = rvcidx__split_part(&run->ctx, run->store, p->outdir, &run->index, part, request, &reused);
    free(request);
    if (rc) return rc;
    rvcidx_build_event e = {.kind = RVCIDX_EVENT_PART_DONE, .part = part, .parts = p->split, .reused = reused,
                            .seconds = rvcidx__build_now() - t};
    rvcidx__build_emit(run, &e);
    return 0;
}

static int stage_finish(rvcidx__build_run *run) {
    const rvcidx_build_params *p = run->p;
    run->start = rvcidx__build_now(); /* run.json's total_s: this stage's time */
    RVCIDX__TRY(need_store(run->store));
    if (rvcidx__build_up_to_date(run)) {
        run->r->unchanged = 1;
        emit_up_to_date(run, -1, -1);
        return 0;
    }
    char *request = NULL;
    RVCIDX__TRY(split_request(run, &request));
    int rc = check_parts(run, request);
    if (rc == 0) rc = rvcidx__build_plan_indexes(run);
    if (rc == 0) {
        rvcidx_built_index *b = &run->r->indexes[0];
        rc = rvcidx__split_finish(&run->ctx, run->store, p->outdir, run->model, &run->index, &run->eval, request, &b->result);
        rc = rvcidx__build_index_done(run, 0, rc);
    }
    free(request);
    if (rc == 0) rc = rvcidx__build_record(run, 0);
    if (rc == 0 && rvcidx__split_clear(p->outdir) != 0)
        rvcidx__log(RVCIDX_LOG_WARN, "build: the build is complete, but %s", rvcidx_last_error());
    return rc;
}

static int stage_all(rvcidx__build_run *run) {
    RVCIDX__TRY(stage_prepare(run));
    for (unsigned i = 0; !run->r->unchanged && i < run->p->split; i++) RVCIDX__TRY(stage_part(run, i));
    return run->r->unchanged ? 0 : stage_finish(run);
}

/* prepare and finish write what every task shares: under OUTDIR's lock. */
static int locked(rvcidx__build_run *run, int (*stage)(rvcidx__build_run *)) {
    int lock = -1;
    RVCIDX__TRY(rvcidx_outdir_lock(run->p->outdir, &lock));
    run->r->started = 1;
    rvcidx_outdir_clear_failure(run->p->outdir); /* an earlier attempt's note no longer says how this one ends */
    int rc = rvcidx__outdir_check_replaceable(run->p->outdir, 1);
    if (rc == 0) rc = stage(run);
    rvcidx_outdir_unlock(lock);
    return rc;
}

int rvcidx__build_split(rvcidx__build_run *run) {
    RVCIDX__TRY(rvcidx__mkdir_p(run->p->outdir));
    unsigned part = 0;
    switch (run->p->stage) {
    case RVCIDX_STAGE_PREPARE: return locked(run, stage_prepare);
    case RVCIDX_STAGE_PART: RVCIDX__TRY(part_number(run->p, &part)); return stage_part(run, part);
    case RVCIDX_STAGE_FINISH: return locked(run, stage_finish);
    default: return locked(run, stage_all);
    }
}
