/* rvcidx/ingest.h — stage 1: stream RVC feature shards into one HDF5 store.
 *
 * Sources are RVC model directories, shard folders, roots of model
 * directories or list files (see rvcidx__sources_collect in src/sources.h);
 * rows land in RVC's concatenation order. One shard block is in memory at a
 * time, so memory does not grow with N. The store is written under a
 * temporary name and renamed into place only when complete; a failed or
 * interrupted run leaves any previous store untouched.
 */
#ifndef RVCIDX_INGEST_H
#define RVCIDX_INGEST_H

#include "rvcidx/export.h"

#include <stddef.h>
#include <stdint.h>

#include "rvcidx/progress.h"
#include "rvcidx/run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rvcidx_check_mode {
    RVCIDX_CHECK_HASH = 0, /* existing shards verified by sha256 of their bytes */
    RVCIDX_CHECK_STAT = 1  /* trusted when size and mtime match the last ingest */
} rvcidx_check_mode;

/* One speaker's frames already in memory (an app's big_npy, a model's
 * features): rows x cols values, C order, of NumPy dtype `descr`. They are
 * read exactly as the .npy file numpy.save would write for them (same
 * checks, conversion to float32 and sha256), so the same frames in memory
 * and on disk are the same source. Borrowed: the caller keeps speaker and
 * data alive and unchanged until the call they were given to returns. */
typedef struct rvcidx_frames {
    const char *speaker; /* the speaker's name, as a model directory's: UTF-8, 1-255 bytes,
                            no '/' or control characters, not starting with '.' */
    const void *data;
    uint64_t rows;       /* may be 0 */
    uint64_t cols;       /* 256 (RVC v1) or 768 (v2) */
    const char *descr;   /* NumPy's dtype.str: "<f4" (float32), ">f4", "<f2" (float16), "<f8" (float64) */
} rvcidx_frames;

typedef struct rvcidx_ingest_params {
    int dim;                 /* 0: from the feature folder or the shards; 256 or 768 to choose */
    int skip_bad;            /* 1: leave bad shards out (listed in the store) instead of failing */
    rvcidx_check_mode check; /* how shards already in the store are recognised */
    const rvcidx_frames *frames; /* optional, borrowed: frames in memory instead of source paths
                                    (srcs must then be empty); speakers in the byte order of
                                    their names, as model directories are */
    size_t n_frames;
} rvcidx_ingest_params;

typedef enum rvcidx_ingest_outcome {
    RVCIDX_INGEST_CREATED = 0,   /* a new store */
    RVCIDX_INGEST_APPENDED = 1,  /* new shards appended to the existing store */
    RVCIDX_INGEST_UNCHANGED = 2, /* nothing new: the store was not touched */
    RVCIDX_INGEST_REBUILT = 3    /* the existing store no longer matched: rebuilt (see reason) */
} rvcidx_ingest_outcome;

typedef struct rvcidx_ingest_result {
    rvcidx_ingest_outcome outcome;
    char reason[512];     /* why the store was rebuilt; "" otherwise */
    int dim;
    uint64_t rows;        /* rows in the store now */
    uint64_t rows_added;
    size_t files;         /* shards found */
    size_t files_added;   /* shards read in this run */
    size_t files_empty;   /* 0-row shards skipped (all runs) */
    size_t files_rejected;/* bad shards left out with skip_bad (all runs) */
    size_t speakers;
    uint64_t bytes_read;  /* shard bytes read in this run (data and hashing) */
} rvcidx_ingest_result;

RVCIDX_API rvcidx_ingest_params rvcidx_ingest_default_params(void);

/* Sets one parameter from text, by the name of the CLI's option without its
 * dashes, '-' or '_' alike: dim (256|768), version (v1|v2: dim by RVC
 * version), skip_bad (1/0, true/false, yes/no), check (hash|stat).
 * RVCIDX_EINVAL for an unknown name or a bad value, the message starting
 * with the name. */
RVCIDX_API int rvcidx_ingest_params_set(rvcidx_ingest_params *p, const char *key, const char *value);

/* Ingests srcs (or params->frames, with n_srcs 0) into the store at
 * store_path, reporting through run's progress callback (run NULL: none).
 * *result (optional) says what happened. */
RVCIDX_API int rvcidx_ingest(const char *store_path, const char *const *srcs, int n_srcs,
                             const rvcidx_ingest_params *params, const rvcidx_run *run, rvcidx_ingest_result *result);

#ifdef __cplusplus
}
#endif
#endif
