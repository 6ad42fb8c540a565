/* ingest.c — stage 1: shards in RVC's order -> one HDF5 store, incrementally.
 *
 * Flow: collect the shards; read every new shard's header first (exact row
 * count for progress, D checked, bad headers listed before anything is
 * written); compare with the existing store (its sources must be a prefix of
 * today's list, unchanged by hash or by size+mtime); then stream the new
 * shards block by block into a new or copied store and publish it atomically.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fsutil.h"
#include "base/hash.h"
#include "base/internal.h"
#include "base/param_text.h"
#include "ingest/npy.h"
#include "rvcidx/ingest.h"
#include "ingest/sources.h"
#include "ingest/stat_cache.h"
#include "store/store_impl.h"

enum { BLOCK_BYTES = 4 << 20 }; /* rows converted and appended at a time */

typedef struct ingest_run {
    const char *store_path;
    const rvcidx_ingest_params *p;
    rvcidx_run run;              /* its progress callback (ingest runs on the CPU, one thread reading) */
    rvcidx_ingest_result *res;
    rvcidx__shard_list shards;
    json_t *stat_cache;
    size_t first_new;        /* shards before this one are already in the store */
    uint64_t rows_to_read, rows_done;
    size_t bad;              /* bad shards found under the default policy */
    float *block;            /* rows waiting to be appended: whole chunks at a time */
    uint64_t block_rows, pending;
    rvcidx__store_writer w;
    rvcidx_store *kept;      /* the existing store, while its shards are compared with it */
    int rows_compared_all;   /* 1 while every stored shard's rows were compared with the store's */
    int rows_differ;         /* a stored shard's rows are not the store's rows for it */
} ingest_run;

rvcidx_ingest_params rvcidx_ingest_default_params(void) {
    rvcidx_ingest_params p;
    memset(&p, 0, sizeof p);
    p.check = RVCIDX_CHECK_HASH;
    return p;
}

int rvcidx__ingest_param_set(rvcidx_ingest_params *p, const char *k, const char *value) {
    static const char *const versions[] = {"v1", "v2"};
    static const char *const checks[] = {"hash", "stat"};
    long v = 0;
    int choice = 0;
    if (!strcmp(k, "dim")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 65536, &v));
        if (v != 256 && v != 768) return rvcidx__fail(RVCIDX_EINVAL, "dim: %ld is not 256 (RVC v1) or 768 (v2)", v);
        p->dim = (int)v;
    } else if (!strcmp(k, "version")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, versions, 2, &choice));
        p->dim = choice ? 768 : 256;
    } else if (!strcmp(k, "skip_bad")) {
        RVCIDX__TRY(rvcidx__param_bool(k, value, &p->skip_bad));
    } else if (!strcmp(k, "check")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, checks, 2, &choice));
        p->check = (rvcidx_check_mode)choice;
    } else {
        return 1;
    }
    return 0;
}

int rvcidx_ingest_params_set(rvcidx_ingest_params *p, const char *key, const char *value) {
    char k[32];
    if (!p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_ingest_params_set: NULL params");
    RVCIDX__TRY(rvcidx__param_key(key, k, sizeof k));
    int rc = rvcidx__ingest_param_set(p, k, value);
    return rc == 1 ? rvcidx__fail(RVCIDX_EINVAL, "'%s' is not an ingest parameter", key) : rc;
}

static int report(ingest_run *run, int finished) {
    if (!run->run.progress) return 0;
    rvcidx_progress pr = {"ingest", "rows", run->rows_done, run->rows_to_read, run->res->bytes_read, finished};
    if (run->run.progress(&pr, run->run.progress_user))
        return rvcidx__fail(RVCIDX_EINTR, "ingest: stopped on request; %s is unchanged", run->store_path);
    return 0;
}

/* A bad shard under the default policy: one line now, the run fails later. */
static void note_bad_shard(ingest_run *run) {
    rvcidx__log(RVCIDX_LOG_ERROR, "%s", rvcidx_last_error());
    run->bad++;
}

static int check_dim(ingest_run *run, const rvcidx__shard *s, uint64_t cols) {
    if (run->res->dim == 0) run->res->dim = (int)cols;
    if (cols == (uint64_t)run->res->dim) return 0;
    return rvcidx__fail(RVCIDX_EINPUT,
                        "%s: D=%llu, but the shards before it have D=%d; v1 (256) and v2 (768) features "
                        "cannot share a store: remove it or pass the matching folder",
                        s->path, (unsigned long long)cols, run->res->dim);
}

/* Header pass over the new shards: exact rows for progress, D, bad headers. */
static int scan_headers(ingest_run *run) {
    for (size_t i = run->first_new; i < run->shards.count; i++) {
        const rvcidx__shard *s = &run->shards.items[i];
        rvcidx__npy_reader r;
        int rc = rvcidx__shard_open(s, &r);
        if (rc == 0) {
            if (r.info.rows) rc = check_dim(run, s, r.info.cols);
            if (rc == 0) run->rows_to_read += r.info.rows;
            rvcidx__npy_close(&r);
        }
        if (rc == RVCIDX_EINPUT && !run->p->skip_bad)
            note_bad_shard(run);
        else if (rc && rc != RVCIDX_EINPUT)
            return rc;
    }
    if (run->bad)
        return rvcidx__fail(RVCIDX_EINPUT,
                            "%zu bad shard(s), listed above; fix or remove them, or pass `skip_bad` to leave "
                            "them out; nothing was written", run->bad);
    return 0;
}

/* Appends the buffered rows to the store. */
static int flush_block(ingest_run *run) {
    int rc = rvcidx__store_append_rows(&run->w, run->block, run->pending);
    run->pending = 0;
    return rc;
}

/* Reads the next rows of r behind the buffered ones (or over them, when
 * only validating: pending stays 0 then). */
static int read_into_block(ingest_run *run, rvcidx__npy_reader *r, uint64_t *got) {
    float *at = run->block + run->pending * (uint64_t)r->info.cols;
    return rvcidx__npy_read_rows(r, at, run->block_rows - run->pending, got);
}

/* Rows stored so far, buffered ones included. */
static uint64_t rows_so_far(const ingest_run *run) { return run->w.rows + run->pending; }

/* Forgets the rows after the first `rows` (a shard rejected halfway). */
static int roll_back_to(ingest_run *run, uint64_t rows) {
    if (rows >= run->w.rows) {
        run->pending = rows - run->w.rows;
        return 0;
    }
    run->pending = 0;
    return rvcidx__store_truncate_rows(&run->w, rows);
}

/* faiss computes squared L2 distances, norms and k-means objectives in
 * float32 and sums them over many rows: finite values of 1e18 (squared norm
 * ~1e39) overflow to inf there and crashed faiss's k-means. A row whose
 * squared norm exceeds 1e30 is refused by row, like a NaN: a sum of 10^7 such
 * distances (x4 for a difference of two rows) still fits float32's 3.4e38,
 * and real features are a few units in size. */
#define MAX_SQUARED_NORM 1e30

static int check_row_norms(const rvcidx__npy_reader *r, const float *rows, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        double sq = 0;
        const float *v = rows + i * r->info.cols;
        for (uint64_t j = 0; j < r->info.cols; j++) sq += (double)v[j] * v[j];
        if (sq > MAX_SQUARED_NORM)
            return rvcidx__fail(RVCIDX_EINPUT, "%s: row %llu has values too large for faiss (squared norm %.3g, "
                                "above 1e30, overflows float32 distances); fix or remove the file, or pass `skip_bad`",
                                r->path, (unsigned long long)(r->rows_read - n + i), sq);
    }
    return 0;
}

/* Streams one shard into the store (append 0: validate only). */
static int read_shard(ingest_run *run, const rvcidx__shard *s, uint64_t *rows, char sha_hex[65],
                      char dtype[8], int append) {
    rvcidx__npy_reader r;
    RVCIDX__TRY(rvcidx__shard_open(s, &r));
    snprintf(dtype, 8, "%s", r.info.descr);
    int rc = r.info.rows ? check_dim(run, s, r.info.cols) : 0;
    if (rc == 0 && strcmp(r.info.descr, "<f4") != 0 && r.info.rows)
        rvcidx__log(RVCIDX_LOG_INFO, "%s: converting %s to float32", s->path, r.info.descr);
    uint64_t got = 0;
    while (rc == 0 && (rc = read_into_block(run, &r, &got)) == 0 && got) {
        rc = check_row_norms(&r, run->block + run->pending * (uint64_t)r.info.cols, got);
        if (rc) break;
        if (append) run->pending += got;
        if (run->pending == run->block_rows) rc = flush_block(run);
        *rows += got;
        run->rows_done += got;
        run->res->bytes_read += got * r.info.cols * (uint64_t)r.info.itemsize;
    }
    unsigned char sha[32];
    if (rc == 0) rc = rvcidx__npy_finish(&r, sha);
    if (rc == 0) rvcidx__hex(sha, 32, sha_hex);
    rvcidx__npy_close(&r);
    return rc;
}

static int add_shard(ingest_run *run, const rvcidx__shard *s) {
    char sha_hex[65] = "", dtype[8] = "", note[1024] = "";
    uint64_t rows_before = rows_so_far(run);
    rvcidx__source_record rec = {s->speaker, s->relpath, sha_hex, dtype, "ok", note, rows_before, 0};
    int append = run->bad == 0;
    int rc = read_shard(run, s, &rec.rows, sha_hex, dtype, append);
    if (rc == RVCIDX_EINPUT && run->p->skip_bad) {
        snprintf(note, sizeof note, "%s", rvcidx_last_error());
        rvcidx__log(RVCIDX_LOG_WARN, "%s (left out: `skip_bad`)", note);
        if (rvcidx__shard_sha256(s, sha_hex, NULL) != 0) /* recognise it next run */
            rvcidx__sha256_text("", sha_hex); /* unreadable (a FIFO, a dangling link): the next run cannot hash it either and rebuilds */
        rec.status = "rejected";
        run->rows_done -= rec.rows; /* its rows are rolled back below */
        rec.rows = 0;
        run->res->files_rejected++;
        rc = roll_back_to(run, rows_before);
    } else if (rc == RVCIDX_EINPUT) {
        note_bad_shard(run); /* keep validating the rest: one line per bad shard */
        return 0;
    } else if (rc == 0 && rec.rows == 0) {
        rvcidx__log(RVCIDX_LOG_WARN, "%s: 0 rows, skipped", s->path);
        rec.status = "empty";
        run->res->files_empty++;
    }
    if (rc == 0 && rec.rows == 0) rec.first_row = rows_so_far(run);
    if (rc == 0 && append) rc = rvcidx__store_add_source(&run->w, &rec);
    if (rc == 0) run->res->files_added++;
    return rc;
}

static int write_new_shards(ingest_run *run) {
    int rc = 0;
    for (size_t i = run->first_new; rc == 0 && i < run->shards.count; i++) {
        rc = add_shard(run, &run->shards.items[i]);
        if (rc == 0) rc = report(run, 0);
    }
    if (rc == 0 && run->pending) rc = flush_block(run);
    if (rc == 0 && run->bad)
        rc = rvcidx__fail(RVCIDX_EINPUT,
                          "%zu bad shard(s), listed above; fix or remove them, or pass `skip_bad` to leave "
                          "them out; %s was not changed", run->bad, run->store_path);
    return rc;
}

/* ---- the existing store ------------------------------------------------ */

static int shard_is_listed(const rvcidx__shard_list *l, const char *speaker, const char *path) {
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(l->items[i].speaker, speaker) && !strcmp(l->items[i].relpath, path)) return 1;
    return 0;
}

/* Whether the store's rows first..first+n are these shard rows. */
static int store_rows_equal(ingest_run *run, uint64_t first, const float *rows, uint64_t n, int cols, float *tmp) {
    if (rvcidx_store_read_rows(run->kept, first, n, tmp) != 0) return 0;
    return memcmp(tmp, rows, sizeof(float) * n * (size_t)cols) == 0;
}

/* The shard's sha256, as sha256_file gives it, while its rows (as float32,
 * as stored) are compared with the store's rows for it: a store whose rows
 * were edited, with its rows_sha256 recomputed to match, is still caught,
 * and once every stored shard matched, the store's rows need no hashing.
 * The shard is read once either way. */
static int hash_shard_and_compare(ingest_run *run, const rvcidx__shard *s, uint64_t first_row, uint64_t stored_rows,
                                  char sha_hex[65]) {
    const char *path = s->path;
    rvcidx__npy_reader r;
    RVCIDX__TRY(rvcidx__shard_open(s, &r));
    enum { MAX_ROWS = 4096 }; /* a shard is ~200 rows: buffers of its size, not of the cap */
    uint64_t rows = r.info.rows < MAX_ROWS ? (r.info.rows ? r.info.rows : 1) : MAX_ROWS;
    size_t cols = r.info.cols ? (size_t)r.info.cols : 1;
    float *buf = malloc(sizeof(float) * rows * cols), *tmp = malloc(sizeof(float) * rows * cols);
    int rc = buf && tmp ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory", path);
    uint64_t got = 0, done = 0;
    if (r.info.rows != stored_rows || (int)r.info.cols != rvcidx_store_dim(run->kept)) run->rows_differ = 1;
    while (rc == 0 && (rc = rvcidx__npy_read_rows(&r, buf, rows, &got)) == 0 && got) {
        if (!run->rows_differ && !store_rows_equal(run, first_row + done, buf, got, (int)cols, tmp)) run->rows_differ = 1;
        done += got;
    }
    unsigned char sha[32];
    if (rc == 0) rc = rvcidx__npy_finish(&r, sha);
    if (rc == 0) run->res->bytes_read += r.file_bytes; /* header included, as sha256_file counts */
    if (rc == 0) rvcidx__hex(sha, 32, sha_hex);
    if (rc) run->rows_compared_all = 0;
    free(buf);
    free(tmp);
    rvcidx__npy_close(&r);
    return rc;
}

/* Is stored source i still today's shard i, with the same bytes? */
static int source_still_matches(ingest_run *run, const rvcidx_store_source *src, const rvcidx__shard *s,
                                char *why, size_t n) {
    if (strcmp(src->speaker, s->speaker) || strcmp(src->path, s->relpath)) {
        if (!shard_is_listed(&run->shards, src->speaker, src->path))
            snprintf(why, n, "%s/%s was ingested before and is gone now", src->speaker, src->path);
        else
            snprintf(why, n, "new shard %s/%s sorts before shards already stored (RVC's order needs a rebuild)",
                     s->speaker, s->relpath);
        return 0;
    }
    if (run->p->check == RVCIDX_CHECK_STAT && rvcidx__stat_cache_matches(run->stat_cache, s)) {
        run->rows_compared_all = 0; /* --check stat trusts the shards unread */
        return 1;
    }
    char sha[65];
    int ok = !strcmp(src->status, "ok") && src->rows > 0;
    if ((ok ? hash_shard_and_compare(run, s, src->first_row, src->rows, sha)
            : rvcidx__shard_sha256(s, sha, &run->res->bytes_read)) != 0) {
        snprintf(why, n, "%s", rvcidx_last_error());
        return 0;
    }
    if (strcmp(sha, src->sha256) != 0) {
        snprintf(why, n, "%s changed since it was ingested (sha256 differs)", s->path);
        return 0;
    }
    return 1;
}

/* Sets run->first_new to the stored prefix still valid, or res->reason. */
static void compare_with_store(ingest_run *run, rvcidx_store *st) {
    rvcidx_ingest_result *res = run->res;
    size_t stored = rvcidx_store_source_count(st);
    if (res->dim && rvcidx_store_dim(st) != res->dim) {
        snprintf(res->reason, sizeof res->reason, "the store holds D=%d and the sources D=%d",
                 rvcidx_store_dim(st), res->dim);
        return;
    }
    for (size_t i = 0; i < stored; i++) {
        rvcidx_store_source src;
        rvcidx_store_get_source(st, i, &src);
        if (i >= run->shards.count) {
            snprintf(res->reason, sizeof res->reason, "%s/%s was ingested before and is gone now", src.speaker, src.path);
            return;
        }
        if (!source_still_matches(run, &src, &run->shards.items[i], res->reason, sizeof res->reason)) return;
        if (!strcmp(src.status, "rejected") && !run->p->skip_bad) {
            snprintf(res->reason, sizeof res->reason,
                     "%s/%s was left out by `skip_bad` before; without `skip_bad` it must be fixed or removed",
                     src.speaker, src.path);
            return;
        }
        if (!strcmp(src.status, "empty")) res->files_empty++;
        if (!strcmp(src.status, "rejected")) res->files_rejected++;
    }
    run->first_new = stored;
    res->dim = rvcidx_store_dim(st);
}

/* A store that is kept (unchanged or appended to) must still hold the rows it
 * was written with: a file damaged in place keeps its size and its tables,
 * and its rows would go into the next index unnoticed. One read of it. */
static int check_rows_intact(ingest_run *run, rvcidx_store *st) {
    int intact = 0;
    char why[256];
    /* rows equal to every shard's need no hashing; else one pass over them */
    RVCIDX__TRY(rvcidx__store_rows_intact(st, !run->rows_compared_all, &intact, why, sizeof why));
    if (intact && run->rows_differ) {
        intact = 0;
        snprintf(why, sizeof why, "its rows are not the rows of its shards (edited or damaged)");
    }
    if (intact) return 0;
    snprintf(run->res->reason, sizeof run->res->reason, "%s", why);
    rvcidx__log(RVCIDX_LOG_WARN, "ingest: %s: %s", run->store_path, why);
    return 0;
}

/* Decides between create, append, unchanged and rebuild. */
static int plan_against_existing(ingest_run *run, int *exists) {
    struct stat st_buf;
    if (lstat(run->store_path, &st_buf) == 0 && S_ISLNK(st_buf.st_mode)) /* planted: its rows are not ours */
        return rvcidx__fail(RVCIDX_EINPUT, "%s: is a symbolic link; the store is a file rvcidx writes itself and "
                            "never reads through a link: remove the link", run->store_path);
    *exists = stat(run->store_path, &st_buf) == 0;
    if (!*exists) return 0;
    if (S_ISDIR(st_buf.st_mode))
        return rvcidx__fail(RVCIDX_EIO, "%s: is a directory; -o names the store file, e.g. %s/store.h5",
                            run->store_path, run->store_path);
    if (!rvcidx__is_store_file(run->store_path))
        return rvcidx__fail(RVCIDX_EINPUT, "%s: exists and is not an rvcidx store; remove it or choose another -o",
                            run->store_path);
    rvcidx_store *st = NULL;
    if (rvcidx_store_open(run->store_path, &st) != 0) {
        snprintf(run->res->reason, sizeof run->res->reason, "the existing store cannot be read: %s", rvcidx_last_error());
        rvcidx__log(RVCIDX_LOG_WARN, "ingest: rebuilding %s: %s", run->store_path, run->res->reason);
        return 0;
    }
    run->kept = st;
    run->rows_compared_all = 1;
    run->rows_differ = 0;
    compare_with_store(run, st);
    int rc = run->res->reason[0] ? 0 : check_rows_intact(run, st);
    run->kept = NULL;
    rvcidx_store_close(st);
    if (rc) return rc;
    if (run->res->reason[0]) {
        run->first_new = 0;
        run->res->files_empty = run->res->files_rejected = 0;
        if (run->shards.dim) run->res->dim = run->shards.dim;
        rvcidx__log(RVCIDX_LOG_INFO, "ingest: rebuilding %s: %s", run->store_path, run->res->reason);
    }
    return 0;
}

/* ---- the stage ---------------------------------------------------------- */

static int open_writer(ingest_run *run, int exists) {
    uint64_t chunk = rvcidx__store_chunk_rows(run->res->dim);
    uint64_t block_rows = BLOCK_BYTES / ((uint64_t)run->res->dim * sizeof(float)) / chunk * chunk;
    run->block_rows = block_rows ? block_rows : chunk;
    run->block = malloc(run->block_rows * (size_t)run->res->dim * sizeof(float));
    if (!run->block) return rvcidx__fail(RVCIDX_ENOMEM, "ingest: out of memory for a %d-dim block", run->res->dim);
    if (exists && run->first_new > 0) return rvcidx__store_writer_extend(&run->w, run->store_path);
    return rvcidx__store_writer_create(&run->w, run->store_path, run->res->dim);
}

static int finish(ingest_run *run, int exists) {
    rvcidx_ingest_result *res = run->res;
    res->outcome = !exists ? RVCIDX_INGEST_CREATED
                   : res->reason[0] ? RVCIDX_INGEST_REBUILT
                   : RVCIDX_INGEST_APPENDED;
    res->rows = run->w.rows;
    res->rows_added = run->rows_done;
    RVCIDX__TRY(rvcidx__store_writer_commit(&run->w));
    return rvcidx__stat_cache_save(run->store_path, &run->shards);
}

static int count_speakers(const rvcidx__shard_list *l) {
    int n = 0;
    for (size_t i = 0; i < l->count; i++) n += i == 0 || strcmp(l->items[i].speaker, l->items[i - 1].speaker);
    return n;
}

static int check_output_dir(const char *store_path) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", store_path);
    const char *dir = dirname(buf);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return rvcidx__fail(RVCIDX_EIO, "%s: the output directory does not exist; create it first", dir);
    return 0;
}

/* "every shard under DIR has 0 rows": names where the user should look. */
static int fail_nothing_to_store(const ingest_run *run) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", run->shards.items[0].path);
    if (run->shards.items[0].frames)
        return rvcidx__fail(RVCIDX_EINPUT, "the frames in memory have 0 rows or were rejected; nothing to store");
    return rvcidx__fail(RVCIDX_EINPUT, "%s%s: every shard has 0 rows or was rejected; nothing to store",
                        dirname(buf), run->shards.count > 1 ? " (and the other sources)" : "");
}

static int ingest_run_all(ingest_run *run) {
    rvcidx_ingest_result *res = run->res;
    RVCIDX__TRY(check_output_dir(run->store_path));
    RVCIDX__TRY(rvcidx__remove_stale_temps(run->store_path));
    RVCIDX__TRY(rvcidx__stat_cache_remove_stale_temps(run->store_path));
    res->files = run->shards.count;
    res->speakers = (size_t)count_speakers(&run->shards);
    res->dim = run->shards.dim;
    if (run->p->check == RVCIDX_CHECK_STAT) run->stat_cache = rvcidx__stat_cache_load(run->store_path);
    int exists = 0;
    RVCIDX__TRY(plan_against_existing(run, &exists));
    if (exists && !res->reason[0] && run->first_new == run->shards.count) {
        res->outcome = RVCIDX_INGEST_UNCHANGED;
        rvcidx_store *st = NULL;
        RVCIDX__TRY(rvcidx_store_open(run->store_path, &st));
        res->rows = rvcidx_store_rows(st);
        rvcidx_store_close(st);
        return rvcidx__stat_cache_save(run->store_path, &run->shards);
    }
    RVCIDX__TRY(scan_headers(run));
    if (res->dim == 0) return fail_nothing_to_store(run);
    RVCIDX__TRY(report(run, 0));
    RVCIDX__TRY(open_writer(run, exists));
    int rc = write_new_shards(run);
    if (rc == 0 && run->w.rows == 0) rc = fail_nothing_to_store(run);
    if (rc == 0) rc = finish(run, exists);
    if (rc) rvcidx__store_writer_abort(&run->w);
    if (rc == 0) rc = report(run, 1);
    return rc;
}

int rvcidx_ingest(const char *store_path, const char *const *srcs, int n_srcs, const rvcidx_ingest_params *params,
                  const rvcidx_run *how, rvcidx_ingest_result *result) {
    rvcidx_ingest_params defaults = rvcidx_ingest_default_params();
    int frames = params && params->n_frames;
    if (!store_path || (!srcs && !frames)) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_ingest: NULL argument");
    rvcidx_ingest_result local;
    ingest_run run;
    memset(&run, 0, sizeof run);
    run.store_path = store_path;
    run.p = params ? params : &defaults;
    run.run = how ? *how : rvcidx_run_default();
    run.res = result ? result : &local;
    memset(run.res, 0, sizeof *run.res);
    run.w.file = -1;
    int rc = rvcidx__sources_gather(srcs, n_srcs, run.p, &run.shards);
    if (rc == 0) rc = ingest_run_all(&run);
    free(run.block);
    json_decref(run.stat_cache);
    rvcidx__shard_list_free(&run.shards);
    return rc;
}
