/* manifest.h — private: what a build made, from what, and how: manifest.json,
 * written last and atomically, so its presence marks a complete build.
 *
 * It lists every input shard (speaker, path, sha256, rows), every parameter
 * and seed, the library versions and the device kind used, every output
 * (name, size, sha256) and the recall figures. It holds no times, thread
 * counts or host names (those go to run.json), so the same inputs,
 * parameters and binary give the same manifest bytes.
 */
#ifndef RVCIDX_OUTDIR_MANIFEST_H
#define RVCIDX_OUTDIR_MANIFEST_H

#include <stddef.h>

#include "rvcidx/index_build.h"
#include "rvcidx/eval.h"
#include "rvcidx/index.h"
#include "rvcidx/ingest.h"
#include "rvcidx/outdir.h"
#include "rvcidx/reduce.h"

typedef struct rvcidx__manifest_spec {
    const char *outdir;      /* outputs are named relative to it */
    const char *store_path;  /* its /sources table lists the inputs */
    const rvcidx_ingest_params *ingest;
    const rvcidx_index_params *index;
    const rvcidx_reduce_params *reduce; /* NULL: no budget */
    const rvcidx_run *run;   /* the device mode recorded (gpu); NULL: the defaults */
    const rvcidx_eval_params *eval; /* NULL: no evaluation */
    const rvcidx_built_index *indexes; /* one per index built */
    size_t n_indexes;
    int per_speaker;
} rvcidx__manifest_spec;

/* Writes OUTDIR/manifest.json. Outputs are hashed from disk: every file under
 * outdir except the manifest itself, run.json, timings.json, report.md,
 * report.svg (timings differ per run) and rvcidx's own caches and locks. */
int rvcidx__manifest_write(const rvcidx__manifest_spec *spec);

/* The request part of the manifest (inputs and parameters) as canonical JSON
 * text; malloc'd, caller frees. Two builds with equal requests produce the
 * same outputs: `build` compares it to decide there is nothing to do. */
int rvcidx__manifest_request(const rvcidx__manifest_spec *spec, char **out);

/* The request stored in OUTDIR/manifest.json, or *out = NULL when there is no
 * manifest. Fails only on an unreadable manifest. */
int rvcidx__manifest_read_request(const char *outdir, char **out);

/* *current = 1 when spec->outdir's manifest holds spec's request (inputs as
 * the store lists them, parameters, versions) and every output it lists is
 * there with its size: the one up-to-date check, which `build` runs after
 * ingest has brought the store up to date. */
int rvcidx__manifest_is_current(const rvcidx__manifest_spec *spec, int *current);

/* *current = 1 when spec->outdir holds a complete build of srcs as they are
 * now with these parameters, judged without reading any shard: the manifest
 * request equals the one for spec (parameters, versions, the store's
 * inputs), the shards srcs name have the size and mtime of the last ingest,
 * none was added or removed, and every output is there with its size
 * (rvcidx__manifest_is_current after a stat check of the shards). What
 * `rvcidx submit` uses to leave built models out. */
int rvcidx__build_is_current(const rvcidx__manifest_spec *spec, const char *const *srcs, int n_srcs, int *current);

/* rvcidx__manifest_is_current with the outputs checked as verify_mode
 * (an RVCIDX_VERIFY_* value) says. */
int rvcidx__manifest_is_current_as(const rvcidx__manifest_spec *spec, rvcidx_verify_mode verify_mode, int *current);

#endif
