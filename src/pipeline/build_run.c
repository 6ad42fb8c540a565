/* build_run.c — the steps one run of rvcidx_build shares between the plain
 * build (build.c) and the split stages (build_split.c): the clock, events,
 * the manifest's view of the run and the up-to-date test, the indexes a
 * build makes, what follows each index, and run.json then manifest.json. */
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
#include "outdir/outdir_internal.h"
#include "rvcidx/outdir.h"
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

rvcidx__manifest_spec rvcidx__build_manifest_spec(const rvcidx__build_run *run, int with_indexes) {
    rvcidx__manifest_spec m;
    memset(&m, 0, sizeof m);
    m.outdir = run->p->outdir;
    m.store_path = run->store;
    m.ingest = &run->ingest;
    m.index = &run->index;
    m.reduce = &run->p->reduce;
    m.run = &run->p->run;
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
int rvcidx__build_published_under_model_name(const rvcidx__build_run *run) {
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
    rvcidx__manifest_spec m = rvcidx__build_manifest_spec(run, 0);
    int current = 0;
    return rvcidx__manifest_is_current_as(&m, RVCIDX_VERIFY_HASHES, &current) == 0 && current &&
           rvcidx__build_published_under_model_name(run);
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
                          v.blas, "cpus", (int)sysconf(_SC_NPROCESSORS_ONLN), "threads", run->p->run.threads,
                          "ingest_s", ingest_s, "total_s", total_s, "indexes", indexes);
    if (rvcidx_outdir_path(run->p->outdir, RVCIDX_OUT_RUN, path, sizeof path) != 0 || !o ||
        rvcidx__write_json_file(path, o, 0) != 0)
        rvcidx__log(RVCIDX_LOG_WARN, "build: cannot write %s", path);
    json_decref(o);
}

int rvcidx__build_record(rvcidx__build_run *run, double ingest_s) {
    write_run_json(run, ingest_s, rvcidx__build_now() - run->start);
    rvcidx__manifest_spec m = rvcidx__build_manifest_spec(run, 1);
    RVCIDX__TRY(rvcidx__manifest_write(&m));
    RVCIDX__TRY(rvcidx_outdir_path(run->p->outdir, RVCIDX_OUT_MANIFEST, run->r->manifest_path,
                                   sizeof run->r->manifest_path));
    rvcidx_build_event e = {.kind = RVCIDX_EVENT_MANIFEST, .path = run->r->manifest_path, .part = -1};
    rvcidx__build_emit(run, &e);
    return 0;
}
