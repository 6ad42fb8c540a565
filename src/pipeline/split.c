/* split.c — split builds (see rvcidx/split.h): the shared work directory
 * DIR/.rvcidx-split, its description split.json, and the prepare / part / finish
 * steps that cluster tasks run.
 *
 * With a budget (`max_vectors`, `max_app_memory`) prepare reduces the rows
 * once, as an unsplit build does (rvcidx__reduce_store), into
 * .rvcidx-split/reduced.h5: the parts encode its rows and finish tunes on
 * it, so the merged index is the unsplit build's. It lives in the shared
 * work directory because the parts may be other processes on other nodes;
 * split.json records what the reduction did, for finish's report. */
#include "pipeline/split.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/build_internal.h"
#include "reduce/reduce_internal.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "index/index_internal.h"
#include "index/index_io.h"
#include "base/internal.h"
#include "rvcidx/store.h"
#include "store/store_impl.h"
#include "rvcidx/outdir.h"

typedef struct split_info {
    unsigned parts;
    char key[65];
    uint64_t first_row, rows; /* the whole index's row range */
    rvcidx_train_result train;
    double train_seconds;
    char trained_sha256[65]; /* of trained.index: a replaced one is refused, not merged into */
    rvcidx_reduce_result reduce; /* applied: the index holds reduced.h5's rows, not the store's */
    char reduced_sha256[65];     /* reduced.h5's recorded rows_sha256: a replaced one is refused */
} split_info;

static void work_path(const char *dir, const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_SPLIT), name);
}

/* The name carries the request key and the partition, so a part written by
 * a task of an earlier submission is never taken for one of this one. */
static void part_path(const char *dir, const split_info *s, unsigned part, char *out, size_t n) {
    snprintf(out, n, "%s/%s/part-%.12s-%04u-of-%04u.index", dir, rvcidx_output_name(RVCIDX_OUT_SPLIT), s->key, part, s->parts);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Rows of part i: contiguous, in row order. With at least one add batch per
 * part, parts are whole batches of the single build (identical by
 * construction); smaller parts split the rows evenly. */
static void part_range(const split_info *s, unsigned i, uint64_t *first, uint64_t *rows) {
    const uint64_t batch = RVCIDX__ADD_BATCH_ROWS, batches = (s->rows + batch - 1) / batch;
    uint64_t a, b;
    if (batches >= s->parts) {
        a = batches * i / s->parts * batch;
        b = batches * (i + 1) / s->parts * batch;
        if (b > s->rows) b = s->rows;
    } else {
        a = s->rows * i / s->parts;
        b = s->rows * (i + 1) / s->parts;
    }
    *first = s->first_row + a;
    *rows = b - a;
}

/* Beside each part file, what its task wrote into it: finish merges a part
 * only when the file still hashes to what its task recorded, and the record
 * names this request, this part and its row range, and the hash of those
 * rows in the store. A part copied over another, two parts swapped, or a
 * part of another store is refused instead of merged under wrong ids. */
static void record_path(const char *part_file, char *out, size_t n) {
    snprintf(out, n, "%.*s.json", (int)(strlen(part_file) - strlen(".index")), part_file);
}

static int store_rows_sha256(const char *store_path, uint64_t first, uint64_t rows, char out[65]) {
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(store_path, &st));
    int rc = rvcidx__store_rows_sha256(st, first, rows, out, NULL);
    rvcidx_store_close(st);
    return rc;
}

static int write_part_record(const char *store_path, const char *part_file, const split_info *s, unsigned part,
                             uint64_t first, uint64_t rows) {
    char path[PATH_MAX], rows_sha[65], file_sha[65];
    record_path(part_file, path, sizeof path);
    RVCIDX__TRY(store_rows_sha256(store_path, first, rows, rows_sha));
    RVCIDX__TRY(rvcidx__sha256_own_file(part_file, file_sha));
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s}", "format", "rvcidx-split-part", "key", s->key, "part",
                          (json_int_t)part, "parts", (json_int_t)s->parts, "first_row", (json_int_t)first, "rows",
                          (json_int_t)rows, "rows_sha256", rows_sha, "index_sha256", file_sha);
    int rc = rvcidx__write_json_file(path, o, JSON_SORT_KEYS);
    json_decref(o);
    return rc;
}

/* The record of part `part` agrees with this request and range; *why says
 * what does not. Reads the record only. */
static int part_record_matches(const char *part_file, const split_info *s, unsigned part, uint64_t first,
                               uint64_t rows, json_t **record, const char **why) {
    char path[PATH_MAX];
    record_path(part_file, path, sizeof path);
    json_error_t err;
    json_t *o = rvcidx__json_load_own(path, &err);
    *record = o;
    *why = NULL;
    json_int_t got_part = -1, got_parts = -1, got_first = -1, got_rows = -1;
    const char *key = NULL, *rows_sha = NULL, *file_sha = NULL;
    if (!o || json_unpack(o, "{s:s, s:I, s:I, s:I, s:I, s:s, s:s}", "key", &key, "part", &got_part, "parts", &got_parts,
                          "first_row", &got_first, "rows", &got_rows, "rows_sha256", &rows_sha, "index_sha256", &file_sha) != 0)
        *why = "its record (.json beside it) is missing or unreadable";
    else if (strcmp(key, s->key) != 0)
        *why = "its record names another request (a part of an earlier or other build)";
    else if (got_part != (json_int_t)part || got_parts != (json_int_t)s->parts)
        *why = "its record says it is another part (parts swapped or copied?)";
    else if (got_first != (json_int_t)first || got_rows != (json_int_t)rows)
        *why = "its record gives another row range";
    return *why == NULL;
}

static int check_part(const char *store_path, const char *part_file, const split_info *s, unsigned part) {
    uint64_t first, rows;
    part_range(s, part, &first, &rows);
    json_t *record = NULL;
    const char *why = NULL;
    char file_sha[65], rows_sha[65];
    int rc = 0;
    if (part_record_matches(part_file, s, part, first, rows, &record, &why)) {
        rc = rvcidx__sha256_own_file(part_file, file_sha);
        if (rc == 0 && strcmp(file_sha, json_string_value(json_object_get(record, "index_sha256"))) != 0)
            why = "it no longer hashes to what its task wrote (replaced by another part's file, or damaged)";
        if (rc == 0 && !why) rc = store_rows_sha256(store_path, first, rows, rows_sha);
        if (rc == 0 && !why && strcmp(rows_sha, json_string_value(json_object_get(record, "rows_sha256"))) != 0)
            why = "it was encoded from other rows than the store's rows of its range";
    }
    json_decref(record);
    if (rc == 0 && why)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: part %u of %u (rows %llu..%llu): %s; remove it and run its part again "
                          "(`split=%u` `stage=part` `part=%u`, same options)", part_file, part, s->parts,
                          (unsigned long long)first, (unsigned long long)(first + rows), why, s->parts, part);
    return rc;
}

/* split.json's "reduction" (absent: no budget, or all rows fit); 1 when it is there but unreadable. */
static int read_reduction(json_t *o, split_info *s) {
    json_t *red = json_object_get(o, "reduction");
    const char *sha = json_string_value(json_object_get(o, "reduced_sha256"));
    if (!red) return 0;
    if (rvcidx__reduce_state_read(red, &s->reduce) != 0 || !sha || strlen(sha) != 64) return 1;
    snprintf(s->reduced_sha256, sizeof s->reduced_sha256, "%s", sha);
    return 0;
}

static int read_info(const char *dir, split_info *s, int *found) {
    char path[PATH_MAX];
    work_path(dir, "split.json", path, sizeof path);
    memset(s, 0, sizeof *s);
    *found = 0;
    if (!file_exists(path)) return 0;
    json_error_t err;
    json_t *o = rvcidx__json_load_own(path, &err);
    json_int_t parts = 0, first = 0, rows = 0, nlist = 0, train_rows = 0;
    const char *key = NULL, *sha = NULL, *device = NULL, *trained_sha = NULL;
    double kmeans_s = 0, train_s = 0;
    int bad = !o || json_unpack(o, "{s:I, s:s, s:I, s:I, s:s, s:{s:I, s:I, s:s, s:s, s:F, s:F}}", "parts", &parts, "key",
                                &key, "first_row", &first, "rows", &rows, "trained_sha256", &trained_sha, "train",
                                "nlist", &nlist, "train_rows", &train_rows, "sample_sha256", &sha, "device", &device,
                                "kmeans_s", &kmeans_s, "train_s", &train_s) != 0;
    if (!bad && (parts < 1 || parts > RVCIDX_SPLIT_MAX_PARTS || first < 0 || rows < parts || strlen(key) != 64))
        bad = 1;
    if (!bad) {
        s->parts = (unsigned)parts;
        snprintf(s->key, sizeof s->key, "%s", key);
        s->first_row = (uint64_t)first;
        s->rows = (uint64_t)rows;
        s->train.nlist = nlist;
        s->train.train_rows = (uint64_t)train_rows;
        snprintf(s->train.sample_sha256, sizeof s->train.sample_sha256, "%s", sha);
        snprintf(s->train.device, sizeof s->train.device, "%s", device);
        s->train.kmeans_seconds = kmeans_s;
        s->train_seconds = train_s;
        snprintf(s->trained_sha256, sizeof s->trained_sha256, "%s", trained_sha);
        bad = read_reduction(o, s);
        *found = !bad;
    }
    json_decref(o);
    return bad ? rvcidx__fail(RVCIDX_EINPUT, "%s: unreadable split description; run the prepare step again", path) : 0;
}

static int write_info(const char *dir, const split_info *s) {
    char path[PATH_MAX];
    work_path(dir, "split.json", path, sizeof path);
    json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:{s:I, s:I, s:s, s:s, s:f, s:f}}", "format", "rvcidx-split",
                          "parts", (json_int_t)s->parts, "key", s->key, "first_row", (json_int_t)s->first_row, "rows",
                          (json_int_t)s->rows, "trained_sha256", s->trained_sha256, "train", "nlist", (json_int_t)s->train.nlist, "train_rows",
                          (json_int_t)s->train.train_rows, "sample_sha256", s->train.sample_sha256, "device",
                          s->train.device, "kmeans_s", s->train.kmeans_seconds, "train_s", s->train_seconds);
    if (o && s->reduce.applied) {
        json_object_set_new(o, "reduction", rvcidx__reduce_state_json(&s->reduce));
        json_object_set_new(o, "reduced_sha256", json_string(s->reduced_sha256));
    }
    int rc = rvcidx__write_json_file(path, o, JSON_SORT_KEYS);
    json_decref(o);
    return rc;
}

/* Removes the part files: all of DIR/.rvcidx-split's entries, or (keep_prepared)
 * all but the prepare step's trained index and reduced store. */
static int clear_work(const char *dir, int keep_prepared) {
    char wdir[PATH_MAX], path[PATH_MAX + 256];
    snprintf(wdir, sizeof wdir, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_SPLIT));
    int fd = open(wdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); /* a link there is not ours to empty */
    if (fd < 0 && errno == ENOENT) return 0;
    if (fd < 0) return rvcidx__fail(RVCIDX_EINPUT, "%s: cannot open as a directory of rvcidx's (%s); remove it", wdir, strerror(errno));
    DIR *d = fdopendir(fd);
    if (!d) close(fd);
    if (!d) return errno == ENOENT ? 0 : rvcidx__fail(RVCIDX_EIO, "%s: cannot list: %s", wdir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (keep_prepared && (!strncmp(e->d_name, "trained.index", 13) || !strncmp(e->d_name, "reduced.h5", 10))) continue;
        snprintf(path, sizeof path, "%s/%s", wdir, e->d_name);
        if (unlink(path) != 0 && errno != ENOENT) rc = rvcidx__fail(RVCIDX_EIO, "%s: cannot remove: %s", path, strerror(errno));
    }
    closedir(d);
    if (rc == 0 && !keep_prepared && rmdir(wdir) != 0 && errno != ENOENT)
        rc = rvcidx__fail(RVCIDX_EIO, "%s: cannot remove: %s", wdir, strerror(errno));
    return rc;
}

static int resolve_range(const char *store_path, const rvcidx_index_params *ip, uint64_t *first, uint64_t *rows) {
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(store_path, &st));
    uint64_t n = rvcidx_store_rows(st);
    rvcidx_store_close(st);
    if (ip->first_row > n || ip->rows > n - ip->first_row)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: rows %llu..%llu are outside its %llu rows", store_path,
                            (unsigned long long)ip->first_row, (unsigned long long)(ip->first_row + ip->rows), (unsigned long long)n);
    *first = ip->first_row;
    *rows = ip->rows ? ip->rows : n - ip->first_row;
    return 0;
}

/* The store whose rows the index holds: the prepared reduced.h5 when a budget
 * reduced them, else the build's store; *p the parameters to encode it with. */
static const char *rows_store(const char *dir, const split_info *s, const char *store_path,
                              const rvcidx_index_params *ip, rvcidx_index_params *p, char *buf, size_t n) {
    if (!s->reduce.applied) return *p = *ip, store_path;
    rvcidx__reduce_params(ip, p);
    work_path(dir, "reduced.h5", buf, n);
    return buf;
}

/* 1 when no reduction was prepared, or reduced.h5 is there with the rows it
 * had when prepared (its recorded rows_sha256: no rereading of the rows). */
static int reduced_intact(const char *dir, const split_info *s) {
    char path[PATH_MAX];
    if (!s->reduce.applied) return 1;
    work_path(dir, "reduced.h5", path, sizeof path);
    rvcidx_store *st = NULL;
    if (!file_exists(path) || rvcidx_store_open(path, &st) != 0) return 0;
    int ok = rvcidx_store_rows(st) == s->reduce.kept && !strcmp(rvcidx__store_recorded_rows_sha256(st), s->reduced_sha256);
    rvcidx_store_close(st);
    return ok;
}

/* The prepared work of this request, or a one-line error saying what to run. */
static int load_prepared(const char *dir, const char *request, split_info *s) {
    char key[65], path[PATH_MAX];
    RVCIDX__TRY(rvcidx__sha256_text(request, key));
    int found = 0;
    RVCIDX__TRY(read_info(dir, s, &found));
    work_path(dir, "trained.index", path, sizeof path);
    if (!found || !file_exists(path))
        return rvcidx__fail(RVCIDX_EINPUT, "%s/.rvcidx-split: not prepared; run the prepare step first "
                            "(`split=N` `stage=prepare`, same options)", dir);
    if (strcmp(s->key, key) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s/.rvcidx-split was prepared for other inputs or parameters; "
                            "run the prepare step again with these options", dir);
    char sha[65];
    RVCIDX__TRY(rvcidx__sha256_own_file(path, sha));
    if (strcmp(sha, s->trained_sha256) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: is not the trained index the prepare step wrote (its sha256 differs); "
                            "run the prepare step again", path);
    if (!reduced_intact(dir, s))
        return rvcidx__fail(RVCIDX_EINPUT, "%s/.rvcidx-split/reduced.h5: missing or not the reduced store the prepare "
                            "step wrote; run the prepare step again (`split=N` `stage=prepare`, same options)", dir);
    return 0;
}

static int train_and_write(rvcidx__ctx *ctx, const char *store, const char *dir, const rvcidx_index_params *ip, split_info *s) {
    char centroids[PATH_MAX], trained[PATH_MAX];
    snprintf(centroids, sizeof centroids, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_CENTROIDS));
    work_path(dir, "trained.index", trained, sizeof trained);
    RVCIDX__TRY(rvcidx__remove_stale_temps(trained));
    double t = omp_get_wtime();
    RVCIDX__TRY(rvcidx__train(store, centroids, ip, ctx, &s->train));
    s->train_seconds = omp_get_wtime() - t;
    rvcidx_index_params p = *ip;
    p.nlist = s->train.nlist;
    RVCIDX__TRY(rvcidx_encode_trained(store, centroids, trained, &p, &ctx->run));
    return rvcidx__sha256_own_file(trained, s->trained_sha256);
}

/* A budget: the rows reduced once into DIR/.rvcidx-split/reduced.h5 (as
 * rvcidx_build_index reduces them), the split then over its rows; without
 * one (or when all rows fit), the store's rows as they are. */
static int reduce_and_train(rvcidx__ctx *ctx, const char *store, const char *dir, const rvcidx_index_params *ip,
                            const rvcidx_reduce_params *budget, split_info *s) {
    char wdir[PATH_MAX], reduced[PATH_MAX];
    rvcidx_index_params rp;
    snprintf(wdir, sizeof wdir, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_SPLIT));
    RVCIDX__TRY(rvcidx__reduce_store(store, wdir, ip, budget, ctx, reduced, sizeof reduced, &rp, &s->reduce));
    if (!reduced[0]) return train_and_write(ctx, store, dir, ip, s);
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(reduced, &st));
    snprintf(s->reduced_sha256, sizeof s->reduced_sha256, "%s", rvcidx__store_recorded_rows_sha256(st));
    rvcidx_store_close(st);
    s->first_row = 0;
    s->rows = s->reduce.kept;
    if (s->rows < s->parts)
        return rvcidx__fail(RVCIDX_EINPUT, "`split=%u`: more parts than the %llu vectors the budget (`max_vectors`, "
                            "`max_app_memory`) keeps; use fewer parts", s->parts, (unsigned long long)s->rows);
    return train_and_write(ctx, reduced, dir, &rp, s);
}

int rvcidx__split_prepare(rvcidx__ctx *ctx, const char *store_path, const char *dir, const rvcidx_index_params *ip,
                          const rvcidx_reduce_params *budget, unsigned parts, const char *request, int *reused) {
    if (!store_path || !dir || !ip || !budget || !request) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx__split_prepare: NULL argument");
    if (ip->type == RVCIDX_INDEX_AUTO)
        return rvcidx__fail(RVCIDX_EINVAL, "`split` needs one index type (ivfpq4fs or ivfflat), not auto");
    if (parts < 1 || parts > RVCIDX_SPLIT_MAX_PARTS)
        return rvcidx__fail(RVCIDX_EINVAL, "`split=%u`: between 1 and %d parts", parts, RVCIDX_SPLIT_MAX_PARTS);
    split_info now, old;
    memset(&now, 0, sizeof now);
    now.parts = parts;
    RVCIDX__TRY(rvcidx__sha256_text(request, now.key));
    RVCIDX__TRY(resolve_range(store_path, ip, &now.first_row, &now.rows));
    if (now.rows < parts)
        return rvcidx__fail(RVCIDX_EINPUT, "`split=%u`: more parts than the index's %llu rows", parts, (unsigned long long)now.rows);
    int found = 0;
    char trained[PATH_MAX], wdir[PATH_MAX];
    work_path(dir, "trained.index", trained, sizeof trained);
    if (read_info(dir, &old, &found) != 0) found = 0; /* unreadable: start over */
    char trained_sha[65] = "";
    int same_training = found && !strcmp(old.key, now.key) && file_exists(trained) &&
                        rvcidx__sha256_own_file(trained, trained_sha) == 0 && !strcmp(trained_sha, old.trained_sha256) &&
                        reduced_intact(dir, &old);
    if (reused) *reused = same_training && old.parts == parts;
    if (same_training && old.parts == parts) return 0;
    snprintf(wdir, sizeof wdir, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_SPLIT));
    RVCIDX__TRY(rvcidx__own_dir(wdir)); /* never a link: what is removed and written there stays in OUTDIR */
    RVCIDX__TRY(clear_work(dir, same_training));
    RVCIDX__TRY(rvcidx__own_dir(wdir));
    if (same_training) {
        now.train = old.train; /* only the partition changed: the parts are redone, the training kept */
        now.train_seconds = old.train_seconds;
        snprintf(now.trained_sha256, sizeof now.trained_sha256, "%s", old.trained_sha256);
        now.reduce = old.reduce; /* and the reduced store with it: its rows are the range */
        snprintf(now.reduced_sha256, sizeof now.reduced_sha256, "%s", old.reduced_sha256);
        now.first_row = old.first_row;
        now.rows = old.rows;
    } else {
        RVCIDX__TRY(reduce_and_train(ctx, store_path, dir, ip, budget, &now));
    }
    return write_info(dir, &now);
}

int rvcidx__split_parts(const char *dir, const char *request, unsigned *parts) {
    if (!dir || !request || !parts) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx__split_parts: NULL argument");
    split_info s;
    *parts = 0;
    RVCIDX__TRY(load_prepared(dir, request, &s));
    *parts = s.parts;
    return 0;
}

int rvcidx__split_part(rvcidx__ctx *ctx, const char *store_path, const char *dir, const rvcidx_index_params *ip, unsigned part,
                       const char *request, int *reused) {
    if (!store_path || !dir || !ip || !request) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx__split_part: NULL argument");
    split_info s;
    RVCIDX__TRY(load_prepared(dir, request, &s));
    if (part >= s.parts)
        return rvcidx__fail(RVCIDX_EINVAL, "`part=%u`: %s/.rvcidx-split has parts 0..%u", part, dir, s.parts - 1);
    char path[PATH_MAX], trained[PATH_MAX], reduced[PATH_MAX];
    part_path(dir, &s, part, path, sizeof path);
    work_path(dir, "trained.index", trained, sizeof trained);
    rvcidx_index_params p;
    store_path = rows_store(dir, &s, store_path, ip, &p, reduced, sizeof reduced);
    p.nlist = s.train.nlist;
    part_range(&s, part, &p.first_row, &p.rows);
    json_t *record = NULL;
    const char *why = NULL;
    int done = file_exists(path) && part_record_matches(path, &s, part, p.first_row, p.rows, &record, &why);
    json_decref(record);
    if (reused) *reused = done;
    if (done) return 0; /* the file, then its record, written atomically: both present means complete */
    RVCIDX__TRY(rvcidx__remove_stale_temps(path));
    RVCIDX__TRY(rvcidx_encode_part(store_path, trained, path, &p, &ctx->run, NULL));
    return write_part_record(store_path, path, &s, part, p.first_row, p.rows);
}

static int collect_parts(const char *store_path, const char *dir, const split_info *s, char ***out) {
    char **paths = calloc(s->parts, sizeof *paths);
    if (!paths) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    *out = paths;
    char path[PATH_MAX];
    for (unsigned i = 0; i < s->parts; i++) {
        part_path(dir, s, i, path, sizeof path);
        if (!file_exists(path))
            return rvcidx__fail(RVCIDX_EINPUT, "%s: missing (part %u of %u did not finish); run it again "
                                "(`split=%u` `stage=part` `part=%u`, same options)", path, i, s->parts,
                                s->parts, i);
        RVCIDX__TRY(check_part(store_path, path, s, i));
        if (!(paths[i] = strdup(path))) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    }
    return 0;
}

static void free_parts(char **paths, unsigned n) {
    for (unsigned i = 0; paths && i < n; i++) free(paths[i]);
    free(paths);
}

/* Every part, checked, merged in row order into a temporary file (*work);
 * r's nprobe and k_factor stored in it when tuned (already chosen). */
static int merge_parts(rvcidx__ctx *ctx, const char *store_path, const char *dir, const split_info *s, const rvcidx_index_params *ip,
                       int tuned, char *work, size_t n, rvcidx_index_result *r) {
    char **parts = NULL, work_final[PATH_MAX];
    int rc = collect_parts(store_path, dir, s, &parts);
    snprintf(work_final, sizeof work_final, "%s/index", dir);
    if (rc == 0) rc = rvcidx__remove_stale_temps(work_final);
    if (rc == 0) rc = rvcidx__tmp_name(work_final, work, n);
    double t = omp_get_wtime();
    if (rc == 0)
        rc = rvcidx__index_merge_set((const char *const *)parts, s->parts, work, ctx->run.progress, ctx->run.progress_user,
                                     tuned ? r->nprobe : 0, r->k_factor, &r->encode);
    free_parts(parts, s->parts);
    if (rc == 0 && r->encode.ntotal != s->rows)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s/.rvcidx-split: the parts hold %llu rows, the index needs %llu; remove the part "
                          "files and run the part stage again", dir, (unsigned long long)r->encode.ntotal,
                          (unsigned long long)s->rows);
    if (rc && work[0]) unlink(work);
    r->encode_seconds = omp_get_wtime() - t;
    return rc;
}

int rvcidx__split_finish(rvcidx__ctx *ctx, const char *store_path, const char *dir, const char *model, const rvcidx_index_params *ip,
                         const rvcidx_eval_params *ep, const char *request, rvcidx_index_result *r) {
    if (!store_path || !dir || !model || !ip || !request || !r)
        return rvcidx__fail(RVCIDX_EINVAL, "rvcidx__split_finish: NULL argument");
    memset(r, 0, sizeof *r);
    split_info s;
    RVCIDX__TRY(load_prepared(dir, request, &s));
    char work[PATH_MAX] = "", reduced[PATH_MAX], trained[PATH_MAX];
    rvcidx_index_params p;
    store_path = rows_store(dir, &s, store_path, ip, &p, reduced, sizeof reduced); /* tuned on what it holds, as unsplit */
    snprintf(r->centroids_path, sizeof r->centroids_path, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_CENTROIDS));
    p.nlist = s.train.nlist;
    int tuned = 0; /* past RVCIDX_ROWS_IN_MEMORY: tuned before the merge, which then stores the setting */
    RVCIDX__TRY(rvcidx__tune_first(ctx, store_path, dir, &p, ep, r, &tuned));
    double eval_seconds = r->eval_seconds;
    int rc = merge_parts(ctx, store_path, dir, &s, ip, tuned, work, sizeof work, r);
    r->eval_seconds = eval_seconds;
    if (rc) return rc; /* r's tuning report, if any, is the caller's to free with the result */
    r->train = s.train;
    r->train_seconds = s.train_seconds;
    rvcidx_index_describe(&p, r->encode.dim, r->encode.nlist, r->encode.factory, sizeof r->encode.factory);
    work_path(dir, "trained.index", trained, sizeof trained);
    rc = rvcidx__build_finish(ctx, store_path, dir, model, trained, work, &p, ep, tuned, r);
    r->reduce = s.reduce; /* report.json and the manifest record it, as rvcidx_build_index's do */
    if (r->eval) r->eval->reduce = s.reduce;
    return rc;
}

int rvcidx__split_clear(const char *dir) {
    if (!dir) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx__split_clear: NULL argument");
    return clear_work(dir, 0);
}
