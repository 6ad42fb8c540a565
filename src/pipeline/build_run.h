/* build_run.h — private: one run of rvcidx_build, shared by the plain build
 * (build.c) and the split stages (build_split.c). */
#ifndef RVCIDX_BUILD_RUN_H
#define RVCIDX_BUILD_RUN_H

#include <limits.h>
#include <stdint.h>

#include "backend/run_context.h"
#include "rvcidx/build.h"
#include "outdir/manifest.h"

typedef struct rvcidx__build_run {
    const rvcidx_build_params *p;
    rvcidx__ctx ctx;             /* the run's device (acquired once), threads and progress callback */
    rvcidx_ingest_params ingest; /* p's */
    rvcidx_index_params index;
    rvcidx_eval_params eval;
    char store[PATH_MAX];
    char model[256];             /* p->name, or the first source's folder name */
    rvcidx_build_result *r;
    uint64_t *first_row, *rows;  /* per index in r->indexes */
    double start;
} rvcidx__build_run;

/* `for` against the index, k and nprobe given explicitly (build_params.c). */
int rvcidx__build_params_check_app(const rvcidx_build_params *p);

double rvcidx__build_now(void);
void rvcidx__build_emit(const rvcidx__build_run *run, rvcidx_build_event *e);
/* The manifest's view of this build (with_indexes 0: the request part only). */
rvcidx__manifest_spec rvcidx__build_manifest_spec(const rvcidx__build_run *run, int with_indexes);
/* 1 when the index published in OUTDIR carries run's model name (the name
 * is not in the manifest's request, but RVC lists the file by it). */
int rvcidx__build_published_under_model_name(const rvcidx__build_run *run);
/* 1 when OUTDIR's manifest has this request and all its outputs. */
int rvcidx__build_up_to_date(const rvcidx__build_run *run);
/* r->indexes for the build: one for the store, or one per speaker with rows. */
int rvcidx__build_plan_indexes(rvcidx__build_run *run);
/* After train -> encode -> eval/tune -> publish of index i (status rc):
 * its report files and its event; ETARGET says where the sweep is. */
int rvcidx__build_index_done(rvcidx__build_run *run, size_t i, int rc);
/* run.json, then manifest.json (last: it marks a complete build). */
int rvcidx__build_record(rvcidx__build_run *run, double ingest_s);
/* The split stages (build_split.c), under OUTDIR's lock where they write shared work. */
int rvcidx__build_split(rvcidx__build_run *run);

#endif
