/* outdir.c — OUTDIR, the folder a build owns: its file names, its lock, the
 * note a failed build leaves and the state `rvcidx status` reads back. The
 * one place that knows what a build may create or replace there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "outdir/outdir_internal.h"
#include "outdir/manifest.h"
#include "rvcidx/outdir.h"

/* A rename cannot replace a directory, and finding one at the end would
 * leave the new index beside no manifest: refused before any work. An index
 * folder (per speaker) holds the first six names. */
int rvcidx__outdir_check_replaceable(const char *dir, int top) {
    const char *names[RVCIDX_OUT_FAILED + 1];
    size_t n = top ? RVCIDX_OUT_FAILED + 1 : RVCIDX_OUT_PUBLISHED + 1;
    for (size_t i = 0; i < n; i++) names[i] = rvcidx_output_name((rvcidx_output)i);
    return rvcidx__check_replaceable(dir, names, n);
}

int rvcidx_outdir_lock(const char *dir, int *handle) {
    if (!dir || !handle) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_outdir_lock: NULL argument");
    char path[PATH_MAX];
    RVCIDX__TRY(rvcidx_outdir_path(dir, RVCIDX_OUT_LOCK, path, sizeof path));
    return rvcidx__dir_lock(dir, path, handle);
}

void rvcidx_outdir_unlock(int handle) {
    if (handle < 0) return;
    /* an empty lock file says "released cleanly": only a holder that died
     * leaves its pid for the next one to report */
    if (ftruncate(handle, 0) != 0) rvcidx__log(RVCIDX_LOG_DEBUG, "cannot empty the lock file: %s", strerror(errno));
    close(handle);
}

int rvcidx_outdir_make(const char *dir) { return rvcidx__mkdir_p(dir); }
int rvcidx_outdir_make_own(const char *dir) { return rvcidx__own_dir(dir); }

int rvcidx_outdir_write_file(const char *path, const void *data, size_t n) {
    return rvcidx__write_bytes_file(path, data, n);
}

int rvcidx_read_file(const char *path, int own, char **data, size_t *n) {
    FILE *fp = NULL;
    RVCIDX__TRY(own ? rvcidx__fopen_own(path, &fp) : rvcidx__fopen_input(path, &fp));
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[65536];
    size_t got;
    while (mem && (got = fread(chunk, 1, sizeof chunk, fp)) > 0) fwrite(chunk, 1, got, mem);
    int bad = ferror(fp);
    fclose(fp);
    if (!mem || fclose(mem) != 0 || bad) {
        free(buf);
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot read", path);
    }
    *data = buf;
    if (n) *n = len;
    return 0;
}

/* ---- the failure note ---------------------------------------------------- */

void rvcidx_outdir_clear_failure(const char *dir) {
    char path[PATH_MAX];
    if (rvcidx_outdir_path(dir, RVCIDX_OUT_FAILED, path, sizeof path) == 0) unlink(path);
}

int rvcidx_outdir_record_failure(const char *dir, int exit_code, const char *reason) {
    char path[PATH_MAX], ts[32], host[256] = "";
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    gethostname(host, sizeof host - 1);
    RVCIDX__TRY(rvcidx_outdir_path(dir, RVCIDX_OUT_FAILED, path, sizeof path));
    json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s}", "format", "rvcidx-failed", "exit", exit_code, "reason",
                          reason ? reason : rvcidx_exit_reason(exit_code), "time", ts, "host", host);
    int rc = o ? rvcidx__write_json_file(path, o, 0) : rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    json_decref(o);
    return rc;
}

/* The recorded failure's exit code (its reason and time into what), 0 when none. */
static int read_failure(const char *dir, char *what, size_t n) {
    char path[PATH_MAX];
    if (rvcidx_outdir_path(dir, RVCIDX_OUT_FAILED, path, sizeof path) != 0 || access(path, F_OK) != 0) return 0;
    json_t *o = rvcidx__json_load_own(path, NULL); /* a FIFO there: refused, never waited on */
    if (!o) return 0;
    int code = (int)json_integer_value(json_object_get(o, "exit"));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    const char *ts = json_string_value(json_object_get(o, "time"));
    snprintf(what, n, "%s%s%s", reason ? reason : rvcidx_exit_reason(code), ts ? " at " : "", ts ? ts : "");
    json_decref(o);
    return code ? code : 1;
}

/* ---- state --------------------------------------------------------------- */

static int has(const char *dir, rvcidx_output which, const char *below) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s%s", dir, rvcidx_output_name(which), below ? below : "");
    return access(p, F_OK) == 0;
}

static int is_build_dir(const char *dir) {
    return has(dir, RVCIDX_OUT_MANIFEST, NULL) || has(dir, RVCIDX_OUT_STORE, NULL) || has(dir, RVCIDX_OUT_SPLIT, NULL) ||
           has(dir, RVCIDX_OUT_FAILED, NULL) || has(dir, RVCIDX_OUT_LOCK, NULL);
}

static size_t count_parts(const char *dir, unsigned *prepared) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s/split.json", dir, rvcidx_output_name(RVCIDX_OUT_SPLIT));
    json_t *o = rvcidx__json_load_own(p, NULL);
    *prepared = o ? (unsigned)json_integer_value(json_object_get(o, "parts")) : 0;
    json_decref(o);
    snprintf(p, sizeof p, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_SPLIT));
    DIR *d = opendir(p);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += !strncmp(e->d_name, "part-", 5);
    if (d) closedir(d);
    return n;
}

/* Probed with a shared lock on a read-only descriptor: never creates or
 * writes the lock file. */
static int build_running(const char *dir) {
    char p[PATH_MAX];
    if (rvcidx_outdir_path(dir, RVCIDX_OUT_LOCK, p, sizeof p) != 0) return 0;
    int fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    int busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return busy;
}

int rvcidx_outdir_state_get(const char *dir, rvcidx_outdir_state *s) {
    if (!dir || !s) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_outdir_state_get: NULL argument");
    memset(s, 0, sizeof *s);
    if (!is_build_dir(dir)) return 0;
    s->locked = build_running(dir);
    if (!s->locked && (s->failed_exit = read_failure(dir, s->failed_what, sizeof s->failed_what)) != 0) {
        s->kind = RVCIDX_OUTDIR_FAILED;
        return 0;
    }
    if (has(dir, RVCIDX_OUT_MANIFEST, NULL)) {
        size_t missing = 0;
        s->kind = rvcidx_verify(dir, 1, &missing, NULL) != 0 || missing ? RVCIDX_OUTDIR_MISSING : RVCIDX_OUTDIR_BUILT;
        return 0;
    }
    if (has(dir, RVCIDX_OUT_SPLIT, "/split.json")) {
        s->kind = RVCIDX_OUTDIR_SPLIT;
        s->parts_done = count_parts(dir, &s->parts);
        return 0;
    }
    s->kind = s->locked ? RVCIDX_OUTDIR_BUILDING : RVCIDX_OUTDIR_INCOMPLETE;
    return 0;
}

/* ---- listings ------------------------------------------------------------ */

static int compare_names(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

static int is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_features(const char *root, const char *name) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s/3_feature768", root, name);
    if (is_directory(p)) return 1;
    snprintf(p, sizeof p, "%s/%s/3_feature256", root, name);
    return is_directory(p);
}

static int holds_build(const char *root, const char *name) {
    char p[PATH_MAX + 256];
    snprintf(p, sizeof p, "%s/%s", root, name);
    return is_directory(p) && is_build_dir(p);
}

/* The entries of dir that keep says yes to, sorted. */
static int list_dir(const char *dir, int (*keep)(const char *, const char *), char ***out, size_t *count) {
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return rvcidx__fail(RVCIDX_EINPUT, "%s: cannot list: %s", dir, strerror(errno));
    size_t n = 0, cap = 0;
    char **names = NULL;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !keep(dir, e->d_name)) continue;
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!grown) { rc = rvcidx__fail(RVCIDX_ENOMEM, "out of memory"); break; }
            names = grown;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) rc = rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
        else n++;
    }
    closedir(d);
    if (rc) return rvcidx_names_free(names, n), rc;
    if (n) qsort(names, n, sizeof *names, compare_names);
    *out = names;
    *count = n;
    return 0;
}

int rvcidx_outdir_list_builds(const char *dir, char ***names, size_t *n) {
    return list_dir(dir, holds_build, names, n);
}

int rvcidx_list_model_dirs(const char *root, char ***names, size_t *n) {
    return list_dir(root, has_features, names, n);
}

void rvcidx_names_free(char **names, size_t n) {
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}
