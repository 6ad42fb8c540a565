/* build.c — rvcidx_build: the whole build of one OUTDIR.
 *
 * plan check -> lock OUTDIR -> ingest (incremental) -> nothing to do if the
 * manifest's request (inputs and parameters) is today's and its outputs are
 * there -> otherwise, per index: train -> encode -> eval/tune -> publish and
 * report files, then run.json (times, host) and manifest.json last: its
 * presence marks a complete build. A failure leaves .rvcidx-failed.json.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "pipeline/build_internal.h"
#include "pipeline/build_run.h"
#include "outdir/outdir_internal.h"
#include "rvcidx/outdir.h"
#include "pipeline/split.h"
#include "rvcidx/store.h"
#include "rvcidx/version.h"

static int build_indexes(rvcidx__build_run *run) {
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < run->r->n_indexes; i++) {
        rvcidx_built_index *b = &run->r->indexes[i];
        int top = !strcmp(b->dir, run->p->outdir);
        if (!top && (rc = rvcidx__own_dir(b->dir)) == 0) rc = rvcidx__outdir_check_replaceable(b->dir, 0);
        if (rc) break;
        rvcidx_index_params ip = run->index;
        ip.first_row = run->first_row[i];
        ip.rows = run->rows[i];
        rc = rvcidx__build_index(&run->ctx, run->store, b->dir, b->name, &ip, &run->p->reduce, &run->eval, &b->result);
        rc = rvcidx__build_index_done(run, i, rc);
    }
    return rc;
}

static int run_build(rvcidx__build_run *run) {
    const rvcidx_build_params *p = run->p;
    run->start = rvcidx__build_now(); /* times from ingest on, as run.json reports them */
    rvcidx_ingest_result ir;
    RVCIDX__TRY(rvcidx_ingest(run->store, p->sources, p->n_sources, &run->ingest, &run->ctx.run, &ir));
    double ingest_s = run->r->ingest_seconds = rvcidx__build_now() - run->start;
    rvcidx_build_event e = {.kind = RVCIDX_EVENT_INGESTED, .path = run->store, .ingest = &ir, .seconds = ingest_s, .part = -1};
    rvcidx__build_emit(run, &e);
    if (ir.outcome == RVCIDX_INGEST_UNCHANGED && rvcidx__build_up_to_date(run)) {
        rvcidx__log(RVCIDX_LOG_INFO, "build: %s is up to date (same inputs and parameters as its manifest); nothing to do",
                    p->outdir);
        run->r->unchanged = 1;
        rvcidx_build_event u = {.kind = RVCIDX_EVENT_UP_TO_DATE, .seconds = rvcidx__build_now() - run->start, .part = -1};
        rvcidx__build_emit(run, &u);
        return 0;
    }
    char manifest[PATH_MAX];
    RVCIDX__TRY(rvcidx_outdir_path(p->outdir, RVCIDX_OUT_MANIFEST, manifest, sizeof manifest));
    unlink(manifest); /* until the new one is written, this is not a complete build */
    RVCIDX__TRY(rvcidx__build_plan_indexes(run));
    RVCIDX__TRY(build_indexes(run));
    RVCIDX__TRY(rvcidx__build_record(run, ingest_s));
    rvcidx__log(RVCIDX_LOG_INFO, "build: done in %.1f s", rvcidx__build_now() - run->start);
    return 0;
}

/* One build of OUTDIR under its lock; a failure leaves its note for `rvcidx status`. */
static int locked_build(rvcidx__build_run *run) {
    const char *outdir = run->p->outdir;
    RVCIDX__TRY(rvcidx__mkdir_p(outdir));
    int lock = -1;
    RVCIDX__TRY(rvcidx_outdir_lock(outdir, &lock));
    run->r->started = 1;
    rvcidx_outdir_clear_failure(outdir);
    int rc = rvcidx__outdir_check_replaceable(outdir, 1);
    if (rc == 0) rc = run_build(run);
    if (rc) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", rvcidx_last_error()); /* the note's own failure must not replace it */
        int code = rvcidx_exit_code(rc);
        if (rvcidx_outdir_record_failure(outdir, code, rvcidx_exit_reason(code)) != 0)
            rvcidx__log(RVCIDX_LOG_WARN, "build: cannot write %s/%s ('rvcidx status' will not list this failure)",
                        outdir, rvcidx_output_name(RVCIDX_OUT_FAILED));
        rvcidx__fail(rc, "%s", msg);
    }
    rvcidx_outdir_unlock(lock);
    return rc;
}

/* ---- before any work: the parameters, the GPU, the plan ------------------ */

static double gib(uint64_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

static int check_resolved(const rvcidx_build_params *p);

int rvcidx_build_params_check(const rvcidx_build_params *p) {
    if (!p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_build_params_check: NULL argument");
    rvcidx_build_params r; /* the checks below judge what will run: with `for`'s needs applied */
    RVCIDX__TRY(rvcidx_build_params_resolve(p, &r));
    return check_resolved(&r);
}

static int check_resolved(const rvcidx_build_params *p) {
    if (!p->outdir || !p->outdir[0]) return rvcidx__fail(RVCIDX_EINVAL, "build: outdir is required");
    if (p->ingest.n_frames && p->n_sources > 0)
        return rvcidx__fail(RVCIDX_EINVAL, "build: sources and frames in memory together: give one or the other");
    if (p->ingest.n_frames && !p->ingest.frames) return rvcidx__fail(RVCIDX_EINVAL, "build: frames: NULL array");
    if (!p->ingest.n_frames && (!p->sources || p->n_sources < 1))
        return rvcidx__fail(RVCIDX_EINVAL, "build: at least one source is required");
    for (int i = 0; i < p->n_sources; i++)
        if (!p->sources[i] || !p->sources[i][0]) return rvcidx__fail(RVCIDX_EINVAL, "build: source %d is empty", i + 1);
    if ((p->stage != RVCIDX_STAGE_ALL || p->part >= 0) && !p->split)
        return rvcidx__fail(RVCIDX_EINVAL, "build: `stage` and `part` belong to a split build: add `split=N`");
    if (p->split && (p->per_speaker || p->index.type == RVCIDX_INDEX_AUTO))
        return rvcidx__fail(RVCIDX_EINVAL, "build: `split` builds one index of one type: no `per_speaker` or "
                            "`index=auto`");
    if (p->index.max_index_size && p->index.type == RVCIDX_INDEX_IVFFLAT)
        return rvcidx__fail(RVCIDX_EINVAL, "build: `max_index_size` chooses the refine storage of an IVF-PQ index: "
                            "use it with `index=ivfpq4fs` (the default), `ivfpq4fsr` or `auto`");
    if (p->index.max_index_size && p->split)
        return rvcidx__fail(RVCIDX_EINVAL, "build: `max_index_size` builds refines until one fits, which a `split` "
                            "build cannot; give `refine=flat|fp16|sq8` instead");
    if (p->index.refine != RVCIDX_REFINE_FLAT && p->index.type == RVCIDX_INDEX_IVFFLAT)
        return rvcidx__fail(RVCIDX_EINVAL, "build: `refine` is the storage of an IVF-PQ index's refine step; "
                            "`index=ivfflat` has none");
    if (p->split > RVCIDX_SPLIT_MAX_PARTS)
        return rvcidx__fail(RVCIDX_EINVAL, "build: split %u: at most %d parts", p->split, RVCIDX_SPLIT_MAX_PARTS);
    if (p->eval.max_block_ms > 0 && !p->eval.measure_speed) /* refused before any work, not after training */
        return rvcidx__fail(RVCIDX_EINVAL, "build: `max_block_ms` chooses by measured time: it cannot go with "
                            "`no_timing`");
    char name_check[512];
    if (p->name && rvcidx_index_file_name(&p->index, 768, 1, p->name, name_check, sizeof name_check) != 0)
        return rvcidx__fail(RVCIDX_EINVAL, "`name`: %s", rvcidx_last_error());
    return 0;
}

/* `gpu=on`: the device is acquired before any work, for every stage and
 * index of the build: without it the build would ingest (hours on a big
 * tree) and only fail when training asks for the GPU. Otherwise it is
 * acquired by the first stage that needs it (a split's part never does: it
 * only encodes, on the CPU). */
static int check_gpu(rvcidx__build_run *run) {
    if (run->p->run.gpu != RVCIDX_GPU_ON || run->p->stage == RVCIDX_STAGE_PART) return 0;
    rvcidx__backend *device = NULL;
    return rvcidx__ctx_device(&run->ctx, &device);
}

/* The disk needed is what a rebuild writes; a build that will find itself up
 * to date writes nothing, so a nightly rerun must not be refused for want of
 * space. Decided from sizes and mtimes, before ingest, which would rewrite a
 * changed store. */
static int up_to_date_before_ingest(const rvcidx__build_run *run) {
    int current = 0;
    rvcidx__manifest_spec m = rvcidx__build_manifest_spec(run, 0);
    if (run->p->split || rvcidx__build_is_current(&m, run->p->sources, run->p->n_sources, &current) != 0 || !current ||
        !rvcidx__build_published_under_model_name(run))
        return 0;
    rvcidx__log(RVCIDX_LOG_INFO, "build: %s is up to date, so the disk space a rebuild needs is not checked",
                run->p->outdir);
    return 1;
}

/* An override of what the machine shows is the user's word against the
 * plan's: the log keeps both, for whoever reads why a build ran out. */
static void log_assumed(const rvcidx_build_params *p, const rvcidx_plan_result *pl) {
    char ram[160] = "", disk[160] = "";
    if (pl->ram_assumed)
        snprintf(ram, sizeof ram, "%.1f GiB of memory (%s) instead of the %.1f GiB seen", gib(pl->ram_available),
                 p->assume_memory ? "`assume_memory`" : "RVCIDX_ASSUME_MEMORY", gib(pl->ram_seen));
    if (pl->disk_assumed)
        snprintf(disk, sizeof disk, "%.1f GiB of disk (%s) instead of the %.1f GiB free", gib(pl->disk_available),
                 p->assume_disk ? "`assume_disk`" : "RVCIDX_ASSUME_DISK", gib(pl->disk_seen));
    if (ram[0] || disk[0])
        rvcidx__log(RVCIDX_LOG_WARN, "build: the plan check counts on %s%s%s, as told", ram,
                    ram[0] && disk[0] ? " and " : "", disk);
}

/* A build that will not fit is refused before it starts (RVCIDX_ETOOBIG),
 * with the plan in the result and the PLAN_REFUSED event. The plan is of
 * the build's own mode (budget, per speaker, split, index type), so what
 * the refusal suggests is never the mode already in use. */
static int check_fit(rvcidx__build_run *run) {
    const rvcidx_build_params *p = run->p;
    rvcidx_plan_result *pl = &run->r->plan;
    RVCIDX__TRY(rvcidx_plan_build(p, pl));
    run->r->plan_checked = 1;
    log_assumed(p, pl);
    if (run->index.max_index_size && !p->per_speaker) { /* per-speaker indexes are smaller: each is judged when built */
        rvcidx_refine_candidate cand[3];
        rvcidx__refine_candidates(&run->index, pl->dim, pl->nlist, pl->index_rows, cand);
        if (!cand[2].fits) return rvcidx__refine_refusal(&run->index, pl->dim, pl->nlist, pl->index_rows, cand);
    }
    if (pl->fits_ram && pl->fits_disk) return 0;
    if (pl->fits_ram && up_to_date_before_ingest(run)) return 0;
    rvcidx_build_event e = {.kind = RVCIDX_EVENT_PLAN_REFUSED, .plan = pl, .part = -1};
    rvcidx__build_emit(run, &e);
    char shortfall[224], advice[768];
    rvcidx_plan_shortfall(pl, shortfall, sizeof shortfall);
    rvcidx_plan_advice(pl, advice, sizeof advice);
    return rvcidx__fail(RVCIDX_ETOOBIG, "build: refused before starting: the build needs %s; %s", shortfall, advice);
}

static void run_init(rvcidx__build_run *run, const rvcidx_build_params *p, rvcidx_build_result *r) {
    memset(run, 0, sizeof *run);
    run->p = p;
    run->r = r;
    run->ingest = p->ingest;
    run->index = p->index;
    run->eval = p->eval;
    snprintf(run->store, sizeof run->store, "%s/%s", p->outdir, rvcidx_output_name(RVCIDX_OUT_STORE));
    if (p->name) snprintf(run->model, sizeof run->model, "%s", p->name);
    else if (p->ingest.n_frames) snprintf(run->model, sizeof run->model, "frames");
    else rvcidx__path_base_name(p->sources[0], run->model, sizeof run->model); /* as RVC names models */
    run->start = rvcidx__build_now();
}

int rvcidx_build(const rvcidx_build_params *p, rvcidx_build_result *r) {
    rvcidx_build_result local;
    if (!r) r = &local;
    memset(r, 0, sizeof *r);
    if (!p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_build: NULL argument");
    RVCIDX__TRY(rvcidx_build_params_check(p));
    rvcidx_build_params resolved;
    RVCIDX__TRY(rvcidx_build_params_resolve(p, &resolved));
    p = &resolved;
    rvcidx__build_run run;
    double call_start = rvcidx__build_now();
    run_init(&run, p, r);
    rvcidx__ctx_open(&run.ctx, &p->run);
    int rc = check_gpu(&run);
    int plans = p->stage == RVCIDX_STAGE_ALL || p->stage == RVCIDX_STAGE_PREPARE; /* parts and finish: prepare did */
    if (rc == 0 && plans && p->check_fit) rc = check_fit(&run);
    else if (rc == 0 && plans)
        rvcidx__log(RVCIDX_LOG_WARN, "build: not checked against this machine's memory and disk (`no_plan_check`); "
                    "a build that does not fit fails when it runs out");
    if (rc == 0) rc = p->split ? rvcidx__build_split(&run) : locked_build(&run);
    rvcidx__ctx_close(&run.ctx);
    free(run.first_row);
    free(run.rows);
    r->seconds = rvcidx__build_now() - call_start;
    if (r == &local) rvcidx_build_result_clear(r);
    return rc;
}

int rvcidx_build_check_current(const rvcidx_build_params *p, int *current) {
    if (!p || !current) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_build_check_current: NULL argument");
    *current = 0;
    RVCIDX__TRY(rvcidx_build_params_check(p));
    rvcidx_build_params resolved;
    RVCIDX__TRY(rvcidx_build_params_resolve(p, &resolved));
    p = &resolved;
    rvcidx__build_run run;
    run_init(&run, p, NULL);
    rvcidx__manifest_spec m = rvcidx__build_manifest_spec(&run, 0);
    RVCIDX__TRY(rvcidx__build_is_current(&m, p->sources, p->n_sources, current));
    if (*current && !rvcidx__build_published_under_model_name(&run)) *current = 0;
    return 0;
}

