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

#include <stddef.h>
#include <stdint.h>

#include "rvcidx/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rvcidx_check_mode {
    RVCIDX_CHECK_HASH = 0, /* existing shards verified by sha256 of their bytes */
    RVCIDX_CHECK_STAT = 1  /* trusted when size and mtime match the last ingest */
} rvcidx_check_mode;

typedef struct rvcidx_ingest_params {
    int dim;                 /* 0: from the feature folder or the shards; 256 or 768 to choose */
    int skip_bad;            /* 1: leave bad shards out (listed in the store) instead of failing */
    rvcidx_check_mode check; /* how shards already in the store are recognised */
    rvcidx_progress_fn progress; /* optional */
    void *progress_user;
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

rvcidx_ingest_params rvcidx_ingest_default_params(void);

/* Sets one parameter from text, by the name of the CLI's option without its
 * dashes, '-' or '_' alike: dim (256|768), version (v1|v2: dim by RVC
 * version), skip_bad (1/0, true/false, yes/no), check (hash|stat).
 * RVCIDX_EINVAL for an unknown name or a bad value, the message starting
 * with the name. */
int rvcidx_ingest_params_set(rvcidx_ingest_params *p, const char *key, const char *value);

/* Ingests srcs into the store at store_path. *result (optional) says what happened. */
int rvcidx_ingest(const char *store_path, const char *const *srcs, int n_srcs,
                  const rvcidx_ingest_params *params, rvcidx_ingest_result *result);

#ifdef __cplusplus
}
#endif
#endif
