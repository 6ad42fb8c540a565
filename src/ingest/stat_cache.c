/* stat_cache.c — the STORE.stat.json sidecar behind `--check stat`. */
#include "ingest/stat_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsutil.h"
#include "base/internal.h"

static void cache_path(const char *store_path, char *out, size_t n) {
    snprintf(out, n, "%s.stat.json", store_path);
}

static void shard_key(const rvcidx__shard *s, char *out, size_t n) {
    snprintf(out, n, "%s/%s", s->speaker, s->relpath);
}

json_t *rvcidx__stat_cache_load(const char *store_path) {
    char path[PATH_MAX];
    cache_path(store_path, path, sizeof path);
    json_t *root = rvcidx__json_load_own(path, NULL);
    json_t *entries = root ? json_object_get(root, "entries") : NULL;
    if (!json_is_object(entries)) {
        json_decref(root);
        return NULL;
    }
    json_incref(entries);
    json_decref(root);
    return entries;
}

int rvcidx__stat_cache_matches(json_t *cache, const rvcidx__shard *shard) {
    if (shard->frames) return 0; /* frames in memory have no size and mtime to trust */
    char key[2 * PATH_MAX];
    shard_key(shard, key, sizeof key);
    json_t *e = cache ? json_object_get(cache, key) : NULL;
    return json_is_array(e) && json_array_size(e) == 2 &&
           (uint64_t)json_integer_value(json_array_get(e, 0)) == shard->size &&
           (int64_t)json_integer_value(json_array_get(e, 1)) == shard->mtime_ns;
}

static char *render_cache(const rvcidx__shard_list *shards) {
    json_t *entries = json_object();
    char key[2 * PATH_MAX];
    for (size_t i = 0; entries && i < shards->count; i++) {
        const rvcidx__shard *s = &shards->items[i];
        if (s->frames) continue;
        shard_key(s, key, sizeof key);
        json_object_set_new(entries, key, json_pack("[I, I]", (json_int_t)s->size, (json_int_t)s->mtime_ns));
    }
    json_t *root = json_pack("{s:s, s:o}", "format", "rvcidx-stat-cache", "entries", entries);
    char *text = root ? json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(1)) : NULL;
    json_decref(root);
    return text;
}

int rvcidx__stat_cache_save(const char *store_path, const rvcidx__shard_list *shards) {
    char path[PATH_MAX];
    cache_path(store_path, path, sizeof path);
    char *text = render_cache(shards);
    if (!text) return rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory", path);
    size_t len = strlen(text);
    FILE *old = NULL;
    if (rvcidx__fopen_own(path, &old) == 0) { /* a FIFO or link there is replaced, never read */
        char *prev = calloc(1, len + 2);
        size_t got = prev ? fread(prev, 1, len + 1, old) : 0;
        int same = prev && got == len && memcmp(prev, text, len) == 0;
        free(prev);
        fclose(old);
        if (same) {
            free(text);
            return 0;
        }
    }
    int rc = rvcidx__write_text_file(path, text, 0);
    free(text);
    return rc;
}

int rvcidx__stat_cache_remove_stale_temps(const char *store_path) {
    char path[PATH_MAX];
    cache_path(store_path, path, sizeof path);
    return rvcidx__remove_stale_temps(path);
}

int rvcidx__stat_cache_unchanged(const char *store_path, const char *const *srcs, int n_srcs, int dim, int *unchanged) {
    *unchanged = 0;
    json_t *cache = rvcidx__stat_cache_load(store_path);
    if (!cache) return 0;
    rvcidx__shard_list shards;
    int rc = rvcidx__sources_collect(srcs, n_srcs, dim, &shards);
    if (rc) {
        json_decref(cache);
        return rc;
    }
    int same = shards.count == json_object_size(cache);
    for (size_t i = 0; same && i < shards.count; i++) same = rvcidx__stat_cache_matches(cache, &shards.items[i]);
    *unchanged = same;
    rvcidx__shard_list_free(&shards);
    json_decref(cache);
    return 0;
}
