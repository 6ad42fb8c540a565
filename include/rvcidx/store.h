/* rvcidx/store.h — the HDF5 feature store that ingest writes and every later
 * stage reads (layout: docs/store-format.md).
 *
 * One float32 dataset /features [N, D] in RVC's concatenation order, a
 * /sources table (one row per examined shard) and a /speakers table (row
 * range per model directory). Readable with h5py and h5dump alone.
 */
#ifndef RVCIDX_STORE_H
#define RVCIDX_STORE_H

#include "rvcidx/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rvcidx_store rvcidx_store;

/* One row of /sources. Strings are owned by the store, valid until close. */
typedef struct rvcidx_store_source {
    const char *speaker;
    const char *path;   /* relative to the speaker's model directory */
    const char *sha256; /* hex, of the file's bytes */
    const char *dtype;  /* as stored in the file: "<f4", "<f2", ">f4", "<f8" */
    const char *status; /* "ok", "empty" (0 rows, skipped) or "rejected" (--skip-bad) */
    const char *note;   /* why it was rejected; "" otherwise */
    uint64_t first_row, rows;
} rvcidx_store_source;

typedef struct rvcidx_store_speaker {
    const char *name; /* owned by the store */
    uint64_t first_row, rows;
} rvcidx_store_speaker;

/* Opens a store read-only. The caller frees it with rvcidx_store_close(). */
RVCIDX_API int rvcidx_store_open(const char *path, rvcidx_store **out);

/* Closes; NULL is a no-op. */
RVCIDX_API void rvcidx_store_close(rvcidx_store *store);

RVCIDX_API uint64_t rvcidx_store_rows(const rvcidx_store *store);
RVCIDX_API int rvcidx_store_dim(const rvcidx_store *store);

/* Reads rows [first, first+count) into out (count*dim floats, caller's). */
RVCIDX_API int rvcidx_store_read_rows(rvcidx_store *store, uint64_t first, uint64_t count, float *out);

RVCIDX_API size_t rvcidx_store_source_count(const rvcidx_store *store);
/* Fills *out with source i (0-based); RVCIDX_EINVAL when out of range. */
RVCIDX_API int rvcidx_store_get_source(const rvcidx_store *store, size_t i, rvcidx_store_source *out);

RVCIDX_API size_t rvcidx_store_speaker_count(const rvcidx_store *store);
RVCIDX_API int rvcidx_store_get_speaker(const rvcidx_store *store, size_t i, rvcidx_store_speaker *out);

#ifdef __cplusplus
}
#endif
#endif
