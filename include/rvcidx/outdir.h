/* rvcidx/outdir.h — OUTDIR, the folder a build owns: the names rvcidx writes
 * there, its lock, the note a failed build leaves, and the state `rvcidx
 * status` reads back. Every other part of rvcidx names OUTDIR's files
 * through here, so one list says what a build may create or replace.
 */
#ifndef RVCIDX_OUTDIR_H
#define RVCIDX_OUTDIR_H

#include "rvcidx/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The files and folders a build writes in its OUTDIR (the first six also
 * in each per-speaker folder). Indexes are named by rvcidx_index_file_name. */
typedef enum rvcidx_output {
    RVCIDX_OUT_CENTROIDS = 0, /* centroids.h5 */
    RVCIDX_OUT_REPORT_JSON,   /* report.json: recall figures (in the manifest) */
    RVCIDX_OUT_TIMINGS,       /* timings.json: the same with speeds (not in the manifest) */
    RVCIDX_OUT_REPORT_MD,     /* report.md */
    RVCIDX_OUT_REPORT_SVG,    /* report.svg (when gnuplot is installed) */
    RVCIDX_OUT_PUBLISHED,     /* .rvcidx-published: the index rvcidx last published here */
    RVCIDX_OUT_STORE,         /* store.h5 */
    RVCIDX_OUT_STORE_STAT,    /* store.h5.stat.json: --check stat's cache */
    RVCIDX_OUT_MANIFEST,      /* manifest.json: written last; marks a complete build */
    RVCIDX_OUT_RUN,           /* run.json: times, threads, host */
    RVCIDX_OUT_FAILED,        /* .rvcidx-failed.json: why the last attempt failed */
    RVCIDX_OUT_LOCK,          /* .rvcidx.lock */
    RVCIDX_OUT_SPLIT,         /* .rvcidx-split/: a split build's shared work */
    RVCIDX_OUT_SUBMIT,        /* .rvcidx-submit/: `rvcidx submit`'s job scripts, logs, record */
    RVCIDX_OUT_COUNT
} rvcidx_output;

/* The file name of an output ("store.h5"); never NULL. */
RVCIDX_API const char *rvcidx_output_name(rvcidx_output which);

/* dir/name of an output into buf; RVCIDX_EINVAL when it does not fit. */
RVCIDX_API int rvcidx_outdir_path(const char *dir, rvcidx_output which, char *buf, size_t n);

/* Takes DIR's build lock (DIR/.rvcidx.lock, released by the kernel if the
 * process dies): RVCIDX_ELOCKED when another live process holds it. The
 * lock file must be a regular file with one link. *handle is released with
 * rvcidx_outdir_unlock. */
RVCIDX_API int rvcidx_outdir_lock(const char *dir, int *handle);
RVCIDX_API void rvcidx_outdir_unlock(int handle);

/* The note a failed build leaves (.rvcidx-failed.json), written atomically:
 * exit_code is the command's exit code (rvcidx_exit_code of the status, or
 * 128+signal for a killed build), reason what it means in words. */
RVCIDX_API int rvcidx_outdir_record_failure(const char *dir, int exit_code, const char *reason);
RVCIDX_API void rvcidx_outdir_clear_failure(const char *dir);

/* What a folder holds, as `rvcidx status` shows it. */
typedef enum rvcidx_outdir_kind {
    RVCIDX_OUTDIR_NONE = 0,   /* no build was ever started here */
    RVCIDX_OUTDIR_BUILT,      /* a manifest and all its outputs */
    RVCIDX_OUTDIR_MISSING,    /* a manifest, but outputs are missing */
    RVCIDX_OUTDIR_SPLIT,      /* a split build in progress (parts_done of parts) */
    RVCIDX_OUTDIR_BUILDING,   /* locked by a running build, nothing else yet */
    RVCIDX_OUTDIR_FAILED,     /* the last attempt failed (failed_exit, failed_what) */
    RVCIDX_OUTDIR_INCOMPLETE  /* started, not locked, no manifest: failed or stopped */
} rvcidx_outdir_kind;

typedef struct rvcidx_outdir_state {
    rvcidx_outdir_kind kind;
    int locked;             /* a build holds the lock now */
    unsigned parts;         /* SPLIT: parts prepared */
    size_t parts_done;      /* SPLIT: parts encoded */
    int failed_exit;        /* FAILED: the recorded exit code */
    char failed_what[160];  /* FAILED: its reason and time */
} rvcidx_outdir_state;

/* Reads dir's state without writing anything (the lock is probed, never
 * taken or created; a FIFO at a state file is refused, never waited on). */
RVCIDX_API int rvcidx_outdir_state_get(const char *dir, rvcidx_outdir_state *state);

/* The folders directly under dir that hold a build (state not NONE), sorted
 * by name. *names and each name are malloc'd: free with rvcidx_names_free. */
RVCIDX_API int rvcidx_outdir_list_builds(const char *dir, char ***names, size_t *n);

/* The model directories (holding 3_feature768 or 3_feature256) directly
 * under root, sorted by name: what `build --per-model` builds one by one. */
RVCIDX_API int rvcidx_list_model_dirs(const char *root, char ***names, size_t *n);
RVCIDX_API void rvcidx_names_free(char **names, size_t n);

/* ---- files in OUTDIR, for front ends that add their own (job scripts, plots) ---- */

/* mkdir -p OUTDIR as the user named it (a link they chose is followed). */
RVCIDX_API int rvcidx_outdir_make(const char *dir);
/* A folder rvcidx makes inside OUTDIR: created when missing, refused
 * (RVCIDX_EINPUT) when a link or not a folder, so nothing written in it
 * can land outside OUTDIR. */
RVCIDX_API int rvcidx_outdir_make_own(const char *dir);
/* Writes path atomically (temporary name, fsync, rename), never through a
 * link planted at path or at the temporary name. */
RVCIDX_API int rvcidx_outdir_write_file(const char *path, const void *data, size_t n);
/* Reads a whole small file: own = 1 for one rvcidx wrote (a link there is
 * refused), 0 for the user's input (links followed). Only regular files: a
 * FIFO or device is refused, never waited on. *data is malloc'd and
 * NUL-terminated; the caller frees it. */
RVCIDX_API int rvcidx_read_file(const char *path, int own, char **data, size_t *n);

/* What rvcidx_verify checks. */
typedef enum rvcidx_verify_mode {
    RVCIDX_VERIFY_ALL = 0,    /* sizes, sha256, and each index loaded */
    RVCIDX_VERIFY_SIZES = 1,  /* sizes only, quiet: the stat-only up-to-date check (submit, the disk plan) */
    RVCIDX_VERIFY_HASHES = 2  /* sizes and sha256, quiet, nothing loaded: a build's no-op check, which an
                                 index replaced in place by another of the same size must not pass */
} rvcidx_verify_mode;

/* Checks OUTDIR against its manifest: every output's size and sha256 (each
 * index's hash BEFORE faiss reads it: faiss is not safe on tampered files),
 * then that each index loads with the recorded type, d and ntotal. With
 * mode RVCIDX_VERIFY_SIZES, just that every output exists with its recorded
 * size; RVCIDX_VERIFY_HASHES, with its sha256 too (both quiet). Logs one
 * line per mismatch; *mismatches receives their number. Returns 0 when the
 * check ran (even with mismatches), an error when it could not run. */
RVCIDX_API int rvcidx_verify(const char *outdir, rvcidx_verify_mode mode, size_t *mismatches, size_t *checked);

#ifdef __cplusplus
}
#endif
#endif
