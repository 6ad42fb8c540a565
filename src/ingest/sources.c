/* sources.c — finds the .npy shards behind the SRC arguments, in RVC's order.
 *
 * RVC concatenates `sorted(os.listdir(feature_dir))`; Python compares str by
 * code point, which for UTF-8 names is plain byte order (strcmp). Speakers
 * follow the same rule by directory name, so a multi-speaker store's row
 * order is the one RVC would produce model by model. Frames handed over in
 * memory (an app's arrays) become one shard per speaker, read as the .npy
 * file numpy.save would write for them.
 */
#include "ingest/sources.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/fsutil.h"
#include "base/hash.h"
#include "base/internal.h"

typedef struct name_list {
    char **names;
    size_t count, cap;
} name_list;

static void name_list_free(name_list *l) {
    for (size_t i = 0; i < l->count; i++) free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}

static int name_list_push(name_list *l, const char *name) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **grown = realloc(l->names, cap * sizeof *grown);
        if (!grown) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory listing files");
        l->names = grown;
        l->cap = cap;
    }
    if (!(l->names[l->count] = strdup(name))) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory listing files");
    l->count++;
    return 0;
}

static int compare_bytes(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Any case: RVC loads every file of the folder, so a renamed X.NPY is a shard. */
static int ends_with_npy(const char *name) {
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".npy") == 0;
}

/* Names go into HDF5's UTF-8 strings and the manifest's JSON: a name that is
 * not UTF-8 would be mangled there or dropped, so it is refused here. */
static int check_name(const char *dir, const char *name) {
    if (rvcidx__utf8_valid(name)) return 0;
    if (!dir[0]) dir = ".";
    char shown[256];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 5 < sizeof shown; p++)
        o += (size_t)snprintf(shown + o, sizeof shown - o, *p >= 0x20 && *p < 0x7F ? "%c" : "\\x%02x", *p);
    return rvcidx__fail(RVCIDX_EINPUT, "%s/%s: the name is not valid UTF-8, which the store and manifest need; "
                        "rename it", dir, shown);
}

/* Sorted entries of dir: .npy entries (want_dirs 0) or subdirectories (1).
 * A .npy entry that is not a readable regular file (a dangling link, a FIFO)
 * is kept: reading it then fails with a line naming it, and --skip-bad lists
 * it, instead of its frames vanishing without a word. */
static int list_dir(const char *dir, int want_dirs, int warn_others, name_list *out) {
    DIR *d = opendir(dir);
    if (!d) return rvcidx__fail(RVCIDX_EINPUT, "%s: cannot open directory: %s", dir, strerror(errno));
    struct dirent *e;
    char path[PATH_MAX];
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            rc = rvcidx__fail(RVCIDX_EINPUT, "%s/%s: path longer than PATH_MAX", dir, e->d_name);
        struct stat st;
        int found = rc == 0 && stat(path, &st) == 0;
        if (rc || (want_dirs && !(found && S_ISDIR(st.st_mode)))) continue;
        if (!want_dirs && found && S_ISDIR(st.st_mode)) continue;
        if (!want_dirs && !ends_with_npy(e->d_name)) {
            if (warn_others) /* RVC's train_index np.loads every file of the folder: say this one is left out */
                rvcidx__log(RVCIDX_LOG_WARN, "%s: left out: not a .npy shard (RVC would try to load it too; remove it "
                            "from the feature folder)", path);
            continue;
        }
        rc = check_name(dir, e->d_name);
        if (rc == 0) rc = name_list_push(out, e->d_name);
    }
    closedir(d);
    if (rc == 0 && out->count) qsort(out->names, out->count, sizeof *out->names, compare_bytes);
    return rc;
}

static int shard_list_push(rvcidx__shard_list *l, const char *speaker, const char *relpath,
                           const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) memset(&st, 0, sizeof st); /* unreadable: the reader says why, naming it */
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        rvcidx__shard *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory listing shards");
        l->items = grown;
        l->cap = cap;
    }
    rvcidx__shard *s = &l->items[l->count];
    s->speaker = strdup(speaker);
    s->relpath = strdup(relpath);
    s->path = strdup(path);
    s->size = (uint64_t)st.st_size;
    s->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    s->frames = NULL;
    l->count++;
    if (!s->speaker || !s->relpath || !s->path) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory listing shards");
    return 0;
}

void rvcidx__shard_list_free(rvcidx__shard_list *list) {
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].speaker);
        free(list->items[i].relpath);
        free(list->items[i].path);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* Adds every .npy in feature_dir (relpaths prefixed by sub, "" for none). */
static int add_shards(rvcidx__shard_list *out, const char *speaker, const char *feature_dir,
                      const char *sub) {
    name_list files = {0};
    int rc = list_dir(feature_dir, 0, 1, &files);
    if (rc == 0 && files.count == 0)
        rc = rvcidx__fail(RVCIDX_EINPUT,
                          "%s: holds no .npy files; run RVC's feature extraction for this model first, "
                          "or leave it out", feature_dir);
    char path[PATH_MAX], rel[PATH_MAX];
    for (size_t i = 0; rc == 0 && i < files.count; i++) {
        snprintf(path, sizeof path, "%s/%s", feature_dir, files.names[i]);
        snprintf(rel, sizeof rel, "%s%s%s", sub, sub[0] ? "/" : "", files.names[i]);
        rc = shard_list_push(out, speaker, rel, path);
    }
    name_list_free(&files);
    return rc;
}

/* Which feature folder a model directory has: 0 none, else its dimension. */
static int model_feature_dim(const char *dir, int want_dim, int *dim_out) {
    char p256[PATH_MAX], p768[PATH_MAX];
    snprintf(p256, sizeof p256, "%s/3_feature256", dir);
    snprintf(p768, sizeof p768, "%s/3_feature768", dir);
    int has256 = is_dir(p256), has768 = is_dir(p768);
    *dim_out = 0;
    if (!has256 && !has768) return 0;
    if (want_dim == 256 || want_dim == 768) {
        if ((want_dim == 256 && !has256) || (want_dim == 768 && !has768))
            return rvcidx__fail(RVCIDX_EINPUT, "%s: has no 3_feature%d folder (`dim=%d` asked for it)", dir,
                                want_dim, want_dim);
        *dim_out = want_dim;
        return 0;
    }
    if (has256 && has768)
        return rvcidx__fail(RVCIDX_EINPUT,
                            "%s: holds both 3_feature256 (v1) and 3_feature768 (v2); pass `dim=256` or "
                            "`dim=768` to choose", dir);
    *dim_out = has768 ? 768 : 256;
    return 0;
}

static int note_dim(rvcidx__shard_list *out, int dim, const char *dir) {
    if (out->dim && dim && out->dim != dim)
        return rvcidx__fail(RVCIDX_EINPUT,
                            "%s: 3_feature%d does not match the 3_feature%d of the models before it; "
                            "ingest v1 and v2 models into separate stores", dir, dim, out->dim);
    if (dim) out->dim = dim;
    return 0;
}

static int add_model_dir(rvcidx__shard_list *out, const char *dir, const char *speaker, int dim) {
    char feature_dir[PATH_MAX], sub[32];
    snprintf(sub, sizeof sub, "3_feature%d", dim);
    snprintf(feature_dir, sizeof feature_dir, "%s/%s", dir, sub);
    if (!rvcidx__utf8_valid(speaker)) return check_name("", dir);
    RVCIDX__TRY(note_dim(out, dim, dir));
    return add_shards(out, speaker, feature_dir, sub);
}

/* A directory that is neither a model nor a shard folder: its model subdirectories. */
static int add_root(rvcidx__shard_list *out, const char *root, int want_dim) {
    name_list subdirs = {0};
    int rc = list_dir(root, 1, 0, &subdirs), models = 0;
    char dir[PATH_MAX];
    for (size_t i = 0; rc == 0 && i < subdirs.count; i++) {
        snprintf(dir, sizeof dir, "%s/%s", root, subdirs.names[i]);
        int dim = 0;
        rc = model_feature_dim(dir, want_dim, &dim);
        if (rc == 0 && dim) {
            rc = add_model_dir(out, dir, subdirs.names[i], dim);
            models++;
        }
    }
    name_list_free(&subdirs);
    if (rc == 0 && models == 0)
        rc = rvcidx__fail(RVCIDX_EINPUT,
                          "%s: no .npy files, no 3_feature768/3_feature256 folder and no model directories "
                          "holding one; pass an RVC model directory (logs/<model>) or a folder of .npy shards",
                          root);
    return rc;
}

/* A feature folder given directly (logs/<model>/3_feature768): the speaker is
 * its model directory, and paths keep the folder, as when the model is given. */
static int add_feature_folder(rvcidx__shard_list *out, const char *dir, const char *real, int dim,
                              int want_dim) {
    if (want_dim && want_dim != dim)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: holds D=%d features (3_feature%d), but `dim=%d` was asked for", dir,
                            dim, dim, want_dim);
    char parent[PATH_MAX], speaker[PATH_MAX], sub[32];
    snprintf(parent, sizeof parent, "%s", real);
    rvcidx__path_base_name(dirname(parent), speaker, sizeof speaker);
    snprintf(sub, sizeof sub, "3_feature%d", dim);
    if (!rvcidx__utf8_valid(speaker)) return check_name("", real);
    RVCIDX__TRY(note_dim(out, dim, dir));
    return add_shards(out, speaker, dir, sub);
}

static int add_directory(rvcidx__shard_list *out, const char *dir, int want_dim) {
    char real[PATH_MAX], speaker[PATH_MAX];
    if (!realpath(dir, real)) snprintf(real, sizeof real, "%s", dir);
    rvcidx__path_base_name(real, speaker, sizeof speaker); /* "." and "logs/m/" name the model too */
    if (!strcmp(speaker, "3_feature256") || !strcmp(speaker, "3_feature768"))
        return add_feature_folder(out, dir, real, speaker[9] == '2' ? 256 : 768, want_dim);
    int dim = 0;
    RVCIDX__TRY(model_feature_dim(dir, want_dim, &dim));
    if (dim) return add_model_dir(out, dir, speaker, dim);
    name_list files = {0};
    int rc = list_dir(dir, 0, 0, &files);
    size_t n = files.count;
    name_list_free(&files);
    if (rc) return rc;
    if (n && !rvcidx__utf8_valid(speaker)) return check_name("", real);
    if (n) return add_shards(out, speaker, dir, "");
    return add_root(out, dir, want_dim);
}

static int add_source(rvcidx__shard_list *out, const char *src, int want_dim, int from_list);

/* One SRC per line; blank lines and '#' comments ignored; relative paths are
 * relative to the list file's directory. Lists do not nest. */
static int add_list_file(rvcidx__shard_list *out, const char *list_path, int want_dim) {
    FILE *fp = NULL;
    RVCIDX__TRY(rvcidx__fopen_input(list_path, &fp)); /* a FIFO or device: refused, never waited on */
    char dir_buf[PATH_MAX], line[PATH_MAX], path[PATH_MAX];
    size_t head = fread(line, 1, sizeof line, fp); /* a NUL: binary (a store, an index), whose "lines" are noise */
    if (memchr(line, '\0', head) || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: a binary file, not a list of sources (one path per line); pass model "
                            "directories or shard folders, or a text file listing them", list_path);
    }
    snprintf(dir_buf, sizeof dir_buf, "%s", list_path);
    const char *dir = dirname(dir_buf);
    int rc = 0, entries = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        int len = snprintf(path, sizeof path, "%s%s%s", *s == '/' ? "" : dir, *s == '/' ? "" : "/", s);
        if (len < 0 || len >= (int)sizeof path)
            rc = rvcidx__fail(RVCIDX_EINPUT, "%s: a listed path is longer than PATH_MAX", list_path);
        else
            rc = add_source(out, path, want_dim, 1);
        if (rc) { /* say where the bad entry came from */
            char msg[2048];
            snprintf(msg, sizeof msg, "%s", rvcidx_last_error());
            rc = rvcidx__fail(rc, "%s (listed in %s)", msg, list_path);
        }
        entries++;
    }
    fclose(fp);
    if (rc == 0 && entries == 0)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: the list names no sources (one path per line)", list_path);
    return rc;
}

static int add_source(rvcidx__shard_list *out, const char *src, int want_dim, int from_list) {
    struct stat st;
    if (stat(src, &st) != 0) {
        int saved = errno;
        if (saved == ENOENT && lstat(src, &st) == 0)
            return rvcidx__fail(RVCIDX_EINPUT, "%s: is a dangling symbolic link; fix or remove it", src);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %s", src, strerror(saved));
    }
    if (S_ISDIR(st.st_mode)) return add_directory(out, src, want_dim);
    if (ends_with_npy(src))
        return rvcidx__fail(RVCIDX_EINPUT, "%s: pass the folder that holds the shards, not one .npy file", src);
    if (from_list)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: list files cannot name other list files", src);
    return add_list_file(out, src, want_dim);
}

static int compare_shards(const void *a, const void *b) {
    const rvcidx__shard *x = a, *y = b;
    int c = strcmp(x->speaker, y->speaker);
    return c ? c : strcmp(x->relpath, y->relpath);
}

static int check_duplicates(const rvcidx__shard_list *l) {
    for (size_t i = 1; i < l->count; i++)
        if (compare_shards(&l->items[i - 1], &l->items[i]) == 0)
            return rvcidx__fail(RVCIDX_EINPUT,
                                "%s and %s: two sources give the same speaker and shard name '%s/%s'; "
                                "each model directory name must be unique", l->items[i - 1].path,
                                l->items[i].path, l->items[i].speaker, l->items[i].relpath);
    return 0;
}

int rvcidx__sources_collect(const char *const *srcs, int n_srcs, int dim, rvcidx__shard_list *out) {
    memset(out, 0, sizeof *out);
    if (!srcs || n_srcs <= 0) return rvcidx__fail(RVCIDX_EINVAL, "no sources given");
    if (dim != 0 && dim != 256 && dim != 768)
        return rvcidx__fail(RVCIDX_EINVAL, "`dim` must be 256 (RVC v1) or 768 (v2), not %d", dim);
    int rc = 0;
    for (int i = 0; rc == 0 && i < n_srcs; i++) rc = add_source(out, srcs[i], dim, 0);
    if (rc == 0) {
        /* stable per speaker already; a sort puts speakers from several SRCs in order */
        qsort(out->items, out->count, sizeof *out->items, compare_shards);
        rc = check_duplicates(out);
    }
    if (rc == 0 && dim && !out->dim) out->dim = dim;
    if (rc) rvcidx__shard_list_free(out);
    return rc;
}

/* ---- frames in memory ---------------------------------------------------- */

/* A speaker name from a caller becomes a folder name under OUTDIR
 * (per-speaker builds) and a string in the store and manifest. */
static int check_frames_name(const char *name, size_t i) {
    size_t n = name ? strlen(name) : 0;
    int bad = n == 0 || n > 255 || name[0] == '.' || strchr(name, '/') != NULL;
    for (size_t k = 0; !bad && k < n; k++) bad = (unsigned char)name[k] < 0x20 || name[k] == 0x7f;
    if (!bad && rvcidx__utf8_valid(name)) return 0;
    return rvcidx__fail(RVCIDX_EINPUT, "frames %zu: speaker name '%.64s' is not usable as a folder name (UTF-8, "
                        "1-255 bytes, no '/' or control characters, not starting with '.'); rename it",
                        i + 1, name ? name : "(none)");
}

static int add_frames(rvcidx__shard_list *out, const rvcidx_frames *f, size_t i, int dim) {
    RVCIDX__TRY(check_frames_name(f->speaker, i));
    if (f->cols != 256 && f->cols != 768)
        return rvcidx__fail(RVCIDX_EINPUT, "%s (frames in memory): %llu columns; RVC's features have 256 (v1) "
                            "or 768 (v2)", f->speaker, (unsigned long long)f->cols);
    if (dim && f->cols != (uint64_t)dim)
        return rvcidx__fail(RVCIDX_EINPUT, "%s (frames in memory): D=%llu, but `dim` is %d", f->speaker,
                            (unsigned long long)f->cols, dim);
    if (out->dim && f->cols != (uint64_t)out->dim)
        return rvcidx__fail(RVCIDX_EINPUT, "%s (frames in memory): D=%llu, but the frames before it have D=%d; v1 "
                            "(256) and v2 (768) features cannot share a store", f->speaker,
                            (unsigned long long)f->cols, out->dim);
    out->dim = (int)f->cols;
    char shown[320];
    snprintf(shown, sizeof shown, "%s (frames in memory)", f->speaker);
    RVCIDX__TRY(shard_list_push(out, f->speaker, "frames.npy", shown));
    rvcidx__shard *s = &out->items[out->count - 1];
    s->frames = f;
    s->size = 0; /* a file's stat: frames are recognised by hash only */
    s->mtime_ns = -1;
    /* dtype and shape now, before a plan counts rows: as a bad file's header would be found */
    rvcidx__npy_reader r;
    RVCIDX__TRY(rvcidx__shard_open(s, &r));
    rvcidx__npy_close(&r);
    return 0;
}

int rvcidx__sources_from_frames(const rvcidx_frames *frames, size_t n, int dim, rvcidx__shard_list *out) {
    memset(out, 0, sizeof *out);
    if (!frames || n == 0) return rvcidx__fail(RVCIDX_EINVAL, "no frames given");
    if (dim != 0 && dim != 256 && dim != 768)
        return rvcidx__fail(RVCIDX_EINVAL, "`dim` must be 256 (RVC v1) or 768 (v2), not %d", dim);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) rc = add_frames(out, &frames[i], i, dim);
    if (rc == 0) {
        qsort(out->items, out->count, sizeof *out->items, compare_shards);
        rc = check_duplicates(out);
    }
    if (rc) rvcidx__shard_list_free(out);
    return rc;
}

int rvcidx__sources_gather(const char *const *srcs, int n_srcs, const rvcidx_ingest_params *params,
                           rvcidx__shard_list *out) {
    int dim = params ? params->dim : 0;
    if (params && params->n_frames) {
        memset(out, 0, sizeof *out);
        if (n_srcs > 0)
            return rvcidx__fail(RVCIDX_EINVAL, "sources and frames in memory together: give one or the other");
        return rvcidx__sources_from_frames(params->frames, params->n_frames, dim, out);
    }
    return rvcidx__sources_collect(srcs, n_srcs, dim, out);
}

int rvcidx__shard_open(const rvcidx__shard *s, rvcidx__npy_reader *r) {
    if (!s->frames) return rvcidx__npy_open(r, s->path);
    const rvcidx_frames *f = s->frames;
    return rvcidx__npy_open_memory(r, s->path, f->descr, f->data, f->rows, f->cols);
}

/* The file's bytes: the header numpy.save would write, then the data. The
 * descr and shape were checked when the shard was listed (add_frames). */
static int sha256_frames(const rvcidx__shard *s, char out[65], uint64_t *bytes_read) {
    const rvcidx_frames *f = s->frames;
    unsigned char header[RVCIDX__NPY_HEADER_MAX_FORMAT];
    size_t header_len = 0;
    RVCIDX__TRY(rvcidx__npy_format_header(f->descr, f->rows, f->cols, header, &header_len));
    uint64_t data_bytes = f->rows * f->cols * (uint64_t)rvcidx__npy_descr_itemsize(f->descr);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = 0;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(ctx, header, header_len) != 1 ||
        EVP_DigestUpdate(ctx, f->data, (size_t)data_bytes) != 1)
        rc = rvcidx__fail(RVCIDX_ENOMEM, "%s: sha256 failed (OpenSSL)", s->path);
    if (rc == 0) rc = rvcidx__sha256_final_hex(ctx, out);
    EVP_MD_CTX_free(ctx);
    if (rc == 0 && bytes_read) *bytes_read += header_len + data_bytes;
    return rc;
}

int rvcidx__shard_sha256(const rvcidx__shard *s, char out[65], uint64_t *bytes_read) {
    return s->frames ? sha256_frames(s, out, bytes_read) : rvcidx__sha256_file(s->path, out, bytes_read);
}
