/* build.c — rvcidx_build: the whole build of one OUTDIR.
 *
 * plan check -> lock OUTDIR -> ingest (incremental) -> nothing to do if the
 * manifest's request (inputs and parameters) is today's and its outputs are
 * there -> otherwise, per index: train -> encode -> eval/tune -> publish and
 * report files, then run.json (times, host) and manifest.json last: its
 * presence marks a complete build. A failure leaves .rvcidx-failed.json.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "pipeline/build_internal.h"
#include "pipeline/build_run.h"
#include "pipeline/outdir_internal.h"
#include "rvcidx/gpu.h"
#include "rvcidx/outdir.h"
#include "rvcidx/split.h"
#include "rvcidx/store.h"
#include "rvcidx/version.h"

double rvcidx__build_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rvcidx__build_emit(const rvcidx__build_run *run, rvcidx_build_event *e) {
    if (!run->p->on_event) return;
    e->outdir = run->p->outdir;
    run->p->on_event(e, run->p->event_user);
}

rvcidx_manifest_spec rvcidx__build_manifest_spec(const rvcidx__build_run *run, int with_indexes) {
    rvcidx_manifest_spec m;
    memset(&m, 0, sizeof m);
    m.outdir = run->p->outdir;
    m.store_path = run->store;
    m.ingest = &run->ingest;
    m.index = &run->index;
    m.eval = &run->eval;
    m.per_speaker = run->p->per_speaker;
    if (with_indexes && run->r) {
        m.indexes = run->r->indexes;
        m.n_indexes = run->r->n_indexes;
    }
    return m;
}

/* The model name is not part of the request (the same data elsewhere gives
 * the same manifest), but it is in the published file's name, which RVC
 * lists: 1 when the index published in OUTDIR carries run's model name (per
 * speaker the names are the speakers', always the same). */
static int published_under_model_name(const rvcidx__build_run *run) {
    if (run->p->per_speaker) return 1;
    char name[512], sha[65], suffix[300];
    rvcidx__published_before(run->p->outdir, name, sizeof name, sha);
    size_t n = strlen(name), v = strlen("_v2.index");
    int len = snprintf(suffix, sizeof suffix, "_%s", run->model);
    return len > 0 && n > v + (size_t)len && !strncmp(name + n - v - (size_t)len, suffix, (size_t)len) &&
           (!strcmp(name + n - v, "_v1.index") || !strcmp(name + n - v, "_v2.index"));
}

/* Nothing to do when the manifest's request is today's, its outputs are all
 * there with their sizes and sha256 (an index replaced in place by another
 * of the same size is rebuilt) and the index is published under today's
 * name: a nightly rebuild of unchanged data costs one hashing pass over the
 * inputs (ingest's check) and one over the outputs; a new `name` republishes. */
int rvcidx__build_up_to_date(const rvcidx__build_run *run) {
    rvcidx_manifest_spec m = rvcidx__build_manifest_spec(run, 0);
    int current = 0;
    return rvcidx_manifest_is_current_as(&m, RVCIDX_VERIFY_HASHES, &current) == 0 && current &&
           published_under_model_name(run);
}

static int add_index(rvcidx__build_run *run, const char *name, const char *dir, uint64_t first, uint64_t rows) {
    rvcidx_build_result *r = run->r;
    rvcidx_built_index *b = &r->indexes[r->n_indexes];
    if ((size_t)snprintf(b->name, sizeof b->name, "%s", name) >= sizeof b->name ||
        (size_t)snprintf(b->dir, sizeof b->dir, "%s", dir) >= sizeof b->dir)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: name or path too long", dir);
    run->first_row[r->n_indexes] = first;
    run->rows[r->n_indexes++] = rows;
    return 0;
}

int rvcidx__build_plan_indexes(rvcidx__build_run *run) {
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(run->store, &st));
    size_t n = run->p->per_speaker ? rvcidx_store_speaker_count(st) : 1;
    run->r->indexes = calloc(n, sizeof *run->r->indexes);
    run->first_row = calloc(n, sizeof *run->first_row);
    run->rows = calloc(n, sizeof *run->rows);
    int rc = run->r->indexes && run->first_row && run->rows ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    char dir[PATH_MAX + 256];
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rvcidx_store_speaker spk = {run->model, 0, 0};
        if (run->p->per_speaker) rvcidx_store_get_speaker(st, i, &spk);
        if (run->p->per_speaker && spk.rows == 0) {
            rvcidx__log(RVCIDX_LOG_WARN, "build: speaker %s has no rows; no index", spk.name);
            continue;
        }
        snprintf(dir, sizeof dir, "%s%s%s", run->p->outdir, run->p->per_speaker ? "/" : "",
                 run->p->per_speaker ? spk.name : "");
        rc = add_index(run, spk.name, dir, spk.first_row, spk.rows);
    }
    rvcidx_store_close(st);
    return rc;
}

int rvcidx__build_index_done(rvcidx__build_run *run, size_t i, int rc) {
    rvcidx_built_index *b = &run->r->indexes[i];
    if (b->result.eval && (rc == 0 || rc == RVCIDX_ETARGET)) {
        int out = rvcidx_eval_report_write_outputs(b->result.eval, b->dir, run->p->plot, run->p->plot_user);
        if (out && rc == 0) return out;
    }
    rvcidx_build_event e = {.kind = rc == 0 ? RVCIDX_EVENT_INDEX_DONE : RVCIDX_EVENT_INDEX_MISSED,
                            .name = b->name, .dir = b->dir, .index = &b->result, .part = -1};
    if (rc == 0 || (rc == RVCIDX_ETARGET && b->result.eval)) rvcidx__build_emit(run, &e);
    if (rc == RVCIDX_ETARGET)
        return rvcidx__fail(rc, "build: no index published for %s; the sweep is in %s/%s", b->name, b->dir,
                            rvcidx_output_name(RVCIDX_OUT_REPORT_MD));
    return rc;
}

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
        rc = rvcidx_build_index(run->store, b->dir, b->name, &ip, &run->eval, &b->result);
        rc = rvcidx__build_index_done(run, i, rc);
    }
    return rc;
}

/* Times, threads and host: what differs from run to run, kept out of the manifest. */
static void write_run_json(const rvcidx__build_run *run, double ingest_s, double total_s) {
    char path[PATH_MAX], host[256] = "";
    gethostname(host, sizeof host - 1);
    json_t *indexes = json_array();
    for (size_t i = 0; i < run->r->n_indexes; i++) {
        const rvcidx_built_index *b = &run->r->indexes[i];
        const rvcidx_index_result *r = &b->result;
        json_array_append_new(indexes, json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:s}", "name", b->name, "reduce_s",
                                                 r->reduce.seconds, "train_s", r->train_seconds, "kmeans_s",
                                                 r->train.kmeans_seconds, "encode_s", r->encode_seconds, "eval_s",
                                                 r->eval_seconds, "train_device", r->train.device));
    }
    rvcidx_runtime_versions v;
    if (rvcidx_get_runtime_versions(&v) != 0) snprintf(v.blas, sizeof v.blas, "unknown");
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:o}", "format", "rvcidx-run", "host", host, "blas",
                          v.blas, "cpus", (int)sysconf(_SC_NPROCESSORS_ONLN), "threads", run->index.threads,
                          "ingest_s", ingest_s, "total_s", total_s, "indexes", indexes);
    if (rvcidx_outdir_path(run->p->outdir, RVCIDX_OUT_RUN, path, sizeof path) != 0 || !o ||
        rvcidx__write_json_file(path, o, 0) != 0)
        rvcidx__log(RVCIDX_LOG_WARN, "build: cannot write %s", path);
    json_decref(o);
}

int rvcidx__build_record(rvcidx__build_run *run, double ingest_s) {
    write_run_json(run, ingest_s, rvcidx__build_now() - run->start);
    rvcidx_manifest_spec m = rvcidx__build_manifest_spec(run, 1);
    RVCIDX__TRY(rvcidx_manifest_write(&m));
    RVCIDX__TRY(rvcidx_outdir_path(run->p->outdir, RVCIDX_OUT_MANIFEST, run->r->manifest_path,
                                   sizeof run->r->manifest_path));
    rvcidx_build_event e = {.kind = RVCIDX_EVENT_MANIFEST, .path = run->r->manifest_path, .part = -1};
    rvcidx__build_emit(run, &e);
    return 0;
}

static int run_build(rvcidx__build_run *run) {
    const rvcidx_build_params *p = run->p;
    run->start = rvcidx__build_now(); /* times from ingest on, as run.json reports them */
    rvcidx_ingest_result ir;
    RVCIDX__TRY(rvcidx_ingest(run->store, p->sources, p->n_sources, &run->ingest, &ir));
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

/* gpu on is checked before any work: without it the build would ingest
 * (hours on a big tree) and only fail when training asks for the GPU. */
static int check_gpu(const rvcidx_build_params *p) {
    if (p->index.gpu != RVCIDX_GPU_ON || p->stage == RVCIDX_STAGE_PART) return 0; /* a part only encodes, on the CPU */
    rvcidx_gpu_info info;
    if (rvcidx_gpu_probe(&info) == 0) return 0;
    return rvcidx__fail(RVCIDX_ENOGPU, "`gpu=on`, but no GPU is usable: %s; use `gpu=auto` or `gpu=off` ('rvcidx gpu' "
                        "says more)", info.reason);
}

/* The disk needed is what a rebuild writes; a build that will find itself up
 * to date writes nothing, so a nightly rerun must not be refused for want of
 * space. Decided from sizes and mtimes, before ingest, which would rewrite a
 * changed store. */
static int up_to_date_before_ingest(const rvcidx__build_run *run) {
    int current = 0;
    rvcidx_manifest_spec m = rvcidx__build_manifest_spec(run, 0);
    if (run->p->split || rvcidx_build_is_current(&m, run->p->sources, run->p->n_sources, &current) != 0 || !current ||
        !published_under_model_name(run))
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
    run->eval.gpu = p->index.gpu;
    run->eval.threads = p->index.threads;
    if (p->progress) {
        run->ingest.progress = run->index.progress = run->eval.progress = p->progress;
        run->ingest.progress_user = run->index.progress_user = run->eval.progress_user = p->progress_user;
    }
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
    int rc = check_gpu(p);
    int plans = p->stage == RVCIDX_STAGE_ALL || p->stage == RVCIDX_STAGE_PREPARE; /* parts and finish: prepare did */
    if (rc == 0 && plans && p->check_fit) rc = check_fit(&run);
    else if (rc == 0 && plans)
        rvcidx__log(RVCIDX_LOG_WARN, "build: not checked against this machine's memory and disk (`no_plan_check`); "
                    "a build that does not fit fails when it runs out");
    if (rc == 0) rc = p->split ? rvcidx__build_split(&run) : locked_build(&run);
    free(run.first_row);
    free(run.rows);
    r->seconds = rvcidx__build_now() - call_start;
    if (r == &local) rvcidx_build_result_clear(r);
    return rc;
}

void rvcidx_build_result_clear(rvcidx_build_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_indexes; i++) rvcidx_index_result_clear(&r->indexes[i].result);
    free(r->indexes);
    memset(r, 0, sizeof *r);
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
    rvcidx_manifest_spec m = rvcidx__build_manifest_spec(&run, 0);
    RVCIDX__TRY(rvcidx_build_is_current(&m, p->sources, p->n_sources, current));
    if (*current && !published_under_model_name(&run)) *current = 0;
    return 0;
}

