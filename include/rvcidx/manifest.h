/* rvcidx/manifest.h — what a build made, from what, and how: manifest.json,
 * written last and atomically, so its presence marks a complete build.
 *
 * It lists every input shard (speaker, path, sha256, rows), every parameter
 * and seed, the library versions and the device kind used, every output
 * (name, size, sha256) and the recall figures. It holds no times, thread
 * counts or host names (those go to run.json), so the same inputs,
 * parameters and binary give the same manifest bytes.
 */
#ifndef RVCIDX_MANIFEST_H
#define RVCIDX_MANIFEST_H

#include <stddef.h>

#include "rvcidx/index_build.h"
#include "rvcidx/eval.h"
#include "rvcidx/index.h"
#include "rvcidx/ingest.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rvcidx_manifest_spec {
    const char *outdir;      /* outputs are named relative to it */
    const char *store_path;  /* its /sources table lists the inputs */
    const rvcidx_ingest_params *ingest;
    const rvcidx_index_params *index;
    const rvcidx_eval_params *eval; /* NULL: no evaluation */
    const rvcidx_built_index *indexes; /* one per index built */
    size_t n_indexes;
    int per_speaker;
} rvcidx_manifest_spec;

/* Writes OUTDIR/manifest.json. Outputs are hashed from disk: every file under
 * outdir except the manifest itself, run.json, timings.json, report.md,
 * report.svg (timings differ per run) and rvcidx's own caches and locks. */
int rvcidx_manifest_write(const rvcidx_manifest_spec *spec);

/* The request part of the manifest (inputs and parameters) as canonical JSON
 * text; malloc'd, caller frees. Two builds with equal requests produce the
 * same outputs: `build` compares it to decide there is nothing to do. */
int rvcidx_manifest_request(const rvcidx_manifest_spec *spec, char **out);

/* The request stored in OUTDIR/manifest.json, or *out = NULL when there is no
 * manifest. Fails only on an unreadable manifest. */
int rvcidx_manifest_read_request(const char *outdir, char **out);

/* *current = 1 when spec->outdir's manifest holds spec's request (inputs as
 * the store lists them, parameters, versions) and every output it lists is
 * there with its size: the one up-to-date check, which `build` runs after
 * ingest has brought the store up to date. */
int rvcidx_manifest_is_current(const rvcidx_manifest_spec *spec, int *current);

/* *current = 1 when spec->outdir holds a complete build of srcs as they are
 * now with these parameters, judged without reading any shard: the manifest
 * request equals the one for spec (parameters, versions, the store's
 * inputs), the shards srcs name have the size and mtime of the last ingest,
 * none was added or removed, and every output is there with its size
 * (rvcidx_manifest_is_current after a stat check of the shards). What
 * `rvcidx submit` uses to leave built models out. */
int rvcidx_build_is_current(const rvcidx_manifest_spec *spec, const char *const *srcs, int n_srcs, int *current);

/* rvcidx_manifest_is_current with the outputs checked as verify_mode
 * (an RVCIDX_VERIFY_* value) says. */
int rvcidx_manifest_is_current_as(const rvcidx_manifest_spec *spec, int verify_mode, int *current);

/* What rvcidx_verify checks (its sizes_only argument). */
enum {
    RVCIDX_VERIFY_ALL = 0,    /* sizes, sha256, and each index loaded */
    RVCIDX_VERIFY_SIZES = 1,  /* sizes only, quiet: the stat-only up-to-date check (submit, the disk plan) */
    RVCIDX_VERIFY_HASHES = 2  /* sizes and sha256, quiet, nothing loaded: a build's no-op check, which an
                                 index replaced in place by another of the same size must not pass */
};

/* Checks OUTDIR against its manifest: every output's size and sha256 (each
 * index's hash BEFORE faiss reads it: faiss is not safe on tampered files),
 * then that each index loads with the recorded type, d and ntotal. With
 * sizes_only RVCIDX_VERIFY_SIZES, just that every output exists with its
 * recorded size; RVCIDX_VERIFY_HASHES, with its sha256 too (both quiet). Logs one line per mismatch;
 * *mismatches receives their number. Returns 0 when the check ran (even
 * with mismatches), an error when it could not run. */
int rvcidx_verify(const char *outdir, int sizes_only, size_t *mismatches, size_t *checked);

#ifdef __cplusplus
}
#endif
#endif
