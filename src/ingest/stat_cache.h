/* stat_cache.h — private: size and mtime of each shard at its last ingest,
 * kept beside the store as STORE.stat.json for `--check stat`.
 *
 * Kept out of the store on purpose: mtimes differ between copies of the same
 * files, and the store must be byte-identical for the same content.
 */
#ifndef RVCIDX_STAT_CACHE_H
#define RVCIDX_STAT_CACHE_H

#include <jansson.h>

#include "ingest/sources.h"

/* The cache for store_path, or NULL when absent or unreadable (then every
 * shard is checked by hash). Free with json_decref. */
json_t *rvcidx__stat_cache_load(const char *store_path);

/* 1 when the cache holds this shard with the same size and mtime. */
int rvcidx__stat_cache_matches(json_t *cache, const rvcidx__shard *shard);

/* Removes the cache's temporary files left by dead processes. */
int rvcidx__stat_cache_remove_stale_temps(const char *store_path);

/* Writes the cache for shards atomically (unchanged content: not rewritten). */
int rvcidx__stat_cache_save(const char *store_path, const rvcidx__shard_list *shards);

/* *unchanged = 1 when the shards srcs name now are exactly those of the
 * cache, each with its size and mtime: the cheap "nothing new" test `submit`
 * runs on a login node (the build itself still checks by hash). */
int rvcidx__stat_cache_unchanged(const char *store_path, const char *const *srcs, int n_srcs, int dim, int *unchanged);

#endif
