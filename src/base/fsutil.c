/* fsutil.c — directory creation and the atomic publish of files. */
#include "base/fsutil.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <stdlib.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/internal.h"

/* A file type other than a regular file, in words; NULL for a regular file. */
static const char *mode_in_words(mode_t mode) {
    if (S_ISREG(mode)) return NULL;
    if (S_ISLNK(mode)) return "a symbolic link (rvcidx never follows links among its own files)";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return S_ISDIR(mode) ? "a directory" : "not a regular file";
}

/* What sits at path instead of a regular file, in words (lstat: a link is named as such). */
static const char *kind_of(const char *path, int follow) {
    struct stat st;
    int rc = follow ? stat(path, &st) : lstat(path, &st);
    if (rc != 0) {
        if (follow && errno == ENOENT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) return "a dangling symbolic link";
        if (errno == ELOOP) return "a symbolic link loop";
        return NULL;
    }
    return mode_in_words(st.st_mode);
}

static int fail_open(const char *path, int err, int follow) {
    const char *what = err == ELOOP || err == ENOENT || err == ENXIO || err == EISDIR ? kind_of(path, follow) : NULL;
    if (what) return rvcidx__fail(RVCIDX_EINPUT, "%s: is %s, not a regular file; remove or replace it", path, what);
    return rvcidx__fail(RVCIDX_EIO, "%s: cannot open: %s", path, strerror(err));
}

static int open_regular(const char *path, int follow, int *fd_out) {
    *fd_out = -1;
    const char *kind = kind_of(path, follow); /* before opening: opening some devices has effects */
    if (kind) return rvcidx__fail(RVCIDX_EINPUT, "%s: is %s, not a regular file; remove or replace it", path, kind);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0) return fail_open(path, errno, follow);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot stat: %s", path, strerror(saved));
    }
    const char *now = mode_in_words(st.st_mode); /* replaced since the check above */
    if (now) {
        close(fd);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: is %s, not a regular file; remove or replace it", path, now);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    *fd_out = fd;
    return 0;
}

int rvcidx__open_own(const char *path, int *fd) { return open_regular(path, 0, fd); }

static int fopen_regular(const char *path, int follow, FILE **fp) {
    int fd;
    *fp = NULL;
    RVCIDX__TRY(open_regular(path, follow, &fd));
    *fp = fdopen(fd, "rb");
    if (*fp) return 0;
    int saved = errno;
    close(fd);
    return rvcidx__fail(RVCIDX_ENOMEM, "%s: cannot open a stream: %s", path, strerror(saved));
}

int rvcidx__fopen_input(const char *path, FILE **fp) { return fopen_regular(path, 1, fp); }
int rvcidx__fopen_own(const char *path, FILE **fp) { return fopen_regular(path, 0, fp); }

int rvcidx__require_regular(const char *path) {
    int fd;
    RVCIDX__TRY(open_regular(path, 1, &fd));
    close(fd);
    return 0;
}

json_t *rvcidx__json_load_own(const char *path, json_error_t *err) {
    json_error_t local;
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    FILE *fp = NULL;
    if (rvcidx__fopen_own(path, &fp) != 0) {
        snprintf(err->text, sizeof err->text, "%s", rvcidx_last_error());
        return NULL;
    }
    json_t *doc = json_loadf(fp, 0, err);
    fclose(fp);
    return doc;
}

int rvcidx__own_dir(const char *path) {
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot create directory: %s", path, strerror(errno));
    struct stat st;
    if (lstat(path, &st) != 0) return rvcidx__fail(RVCIDX_EIO, "%s: cannot stat: %s", path, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return rvcidx__fail(RVCIDX_EINPUT, "%s: is a symbolic link where rvcidx keeps a folder of its own; rvcidx "
                            "writes nothing through links: remove it", path);
    if (!S_ISDIR(st.st_mode))
        return rvcidx__fail(RVCIDX_EINPUT, "%s: exists and is not a directory; remove it or choose another output "
                            "directory", path);
    return 0;
}

int rvcidx__check_replaceable(const char *dir, const char *const *names, size_t n) {
    char path[PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return rvcidx__fail(RVCIDX_EINPUT, "%s: is a directory where rvcidx writes its %s; remove or rename it",
                                path, names[i]);
    }
    return 0;
}

int rvcidx__tmp_create(const char *final_path, char *tmp, size_t n, int *fd_out) {
    *fd_out = -1;
    RVCIDX__TRY(rvcidx__tmp_name(final_path, tmp, n));
    if (unlink(tmp) != 0 && errno != ENOENT && errno != EISDIR && errno != EPERM)
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot remove %s: %s", final_path, tmp, strerror(errno));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot create its temporary file %s: %s", final_path, tmp, strerror(errno));
    *fd_out = fd;
    return 0;
}

void rvcidx__fd_path(int fd, char *out, size_t n) { snprintf(out, n, "/proc/self/fd/%d", fd); }

int rvcidx__mkdir_p(const char *path) {
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return rvcidx__fail(RVCIDX_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return rvcidx__fail(RVCIDX_EIO, "%s: exists and is not a directory", buf);
    return 0;
}

int rvcidx__tmp_name(const char *final_path, char *out, size_t n) {
    char dir_buf[PATH_MAX], base_buf[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", final_path);
    snprintf(base_buf, sizeof base_buf, "%s", final_path);
    int len = snprintf(out, n, "%s/.%s" RVCIDX__TMP_MARK "%ld", dirname(dir_buf),
                       basename(base_buf), (long)getpid());
    if (len < 0 || (size_t)len >= n)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: path too long", final_path);
    return 0;
}

int rvcidx__atomic_open(rvcidx__atomic_file *f, const char *final_path) {
    memset(f, 0, sizeof *f);
    if (snprintf(f->final_path, sizeof f->final_path, "%s", final_path) >= (int)sizeof f->final_path)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: path too long", final_path);
    int fd;
    RVCIDX__TRY(rvcidx__tmp_create(final_path, f->tmp_path, sizeof f->tmp_path, &fd));
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        int saved = errno;
        close(fd);
        unlink(f->tmp_path);
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot create: %s", final_path, strerror(saved));
    }
    return 0;
}

int rvcidx__atomic_write(rvcidx__atomic_file *f, const void *data, size_t n) {
    if (n && fwrite(data, 1, n, f->fp) != n)
        return rvcidx__fail(RVCIDX_EIO, "%s: write failed: %s", f->final_path, strerror(errno));
    return 0;
}

int rvcidx__fsync_parent(const char *path) {
    char dir_buf[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", path);
    const char *dir = dirname(dir_buf);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return rvcidx__fail(RVCIDX_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0 && saved != EINVAL) /* some filesystems cannot fsync directories */
        return rvcidx__fail(RVCIDX_EIO, "%s: fsync failed: %s", dir, strerror(saved));
    return 0;
}

int rvcidx__atomic_commit(rvcidx__atomic_file *f) {
    int failed = fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;
    int saved = errno;
    failed |= fclose(f->fp) != 0;
    f->fp = NULL;
    if (failed) {
        unlink(f->tmp_path);
        return rvcidx__fail(RVCIDX_EIO, "%s: write failed: %s", f->final_path, strerror(saved ? saved : errno));
    }
    if (rename(f->tmp_path, f->final_path) != 0) {
        saved = errno;
        unlink(f->tmp_path);
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot rename into place: %s", f->final_path, strerror(saved));
    }
    return rvcidx__fsync_parent(f->final_path);
}

void rvcidx__atomic_abort(rvcidx__atomic_file *f) {
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
    if (f->tmp_path[0]) unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
}

/* The pid that a temporary name of ours ends with, or -1. */
/* The pid in "PREFIX<pid>", or in "PREFIX<pid>.rvcidx-tmp.<pid>": a file
 * written atomically to a temporary name (an index saved to the build's
 * working name) has a temporary name of its own, and a kill between its
 * creation and its rename leaves that nested one. -1 for anything else. */
static long tmp_owner_pid(const char *name, const char *prefix) {
    size_t n = strlen(prefix), mark = strlen(RVCIDX__TMP_MARK);
    if (strncmp(name, prefix, n) != 0) return -1;
    char *end = NULL;
    long pid = strtol(name + n, &end, 10);
    if (end == name + n || pid <= 0) return -1;
    if (*end == '\0') return pid;
    if (strncmp(end, RVCIDX__TMP_MARK, mark) != 0) return -1;
    const char *inner = end + mark;
    long pid2 = strtol(inner, &end, 10);
    return end != inner && *end == '\0' && pid2 == pid ? pid : -1;
}

int rvcidx__remove_stale_temps(const char *final_path) {
    char dir_buf[PATH_MAX], base_buf[PATH_MAX], prefix[PATH_MAX], path[PATH_MAX];
    snprintf(dir_buf, sizeof dir_buf, "%s", final_path);
    snprintf(base_buf, sizeof base_buf, "%s", final_path);
    const char *dir = dirname(dir_buf);
    snprintf(prefix, sizeof prefix, ".%s" RVCIDX__TMP_MARK, basename(base_buf));
    char nested[PATH_MAX + 1]; /* the temporary name of a file saved to a temporary name */
    snprintf(nested, sizeof nested, ".%s", prefix);
    DIR *d = opendir(dir);
    if (!d) return 0; /* no directory yet: nothing left behind */
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = tmp_owner_pid(e->d_name, prefix);
        if (pid < 0) pid = tmp_owner_pid(e->d_name, nested);
        if (pid < 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0)
            rvcidx__log(RVCIDX_LOG_WARN, "removed %s, left by an interrupted run (pid %ld)", path, pid);
    }
    closedir(d);
    return 0;
}

uint64_t rvcidx__file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int rvcidx__publish_file(const char *tmp_path, const char *final_path) {
    int fd = open(tmp_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int rc = 0;
    if (fd < 0) rc = rvcidx__fail(RVCIDX_EIO, "%s: cannot reopen to fsync: %s", tmp_path, strerror(errno));
    if (rc == 0 && fsync(fd) != 0) rc = rvcidx__fail(RVCIDX_EIO, "%s: fsync failed: %s", final_path, strerror(errno));
    if (fd >= 0) close(fd);
    if (rc == 0 && rename(tmp_path, final_path) != 0)
        rc = rvcidx__fail(RVCIDX_EIO, "%s: cannot rename into place: %s", final_path, strerror(errno));
    if (rc) {
        unlink(tmp_path);
        return rc;
    }
    return rvcidx__fsync_parent(final_path);
}

int rvcidx__dir_lock(const char *dir, const char *path, int *fd_out) {
    char old[32] = "";
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
    if (fd < 0 && (errno == ELOOP || errno == ENXIO || errno == EISDIR)) return fail_open(path, errno, 0);
    if (fd < 0) return rvcidx__fail(RVCIDX_EIO, "%s: cannot create the lock file: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: is not a regular file, so not rvcidx's lock; remove it", path);
    }
    if (st.st_nlink > 1) { /* a hard link to a file elsewhere: writing our pid would overwrite it */
        close(fd);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: has %lu hard links, so it is not rvcidx's lock (another file's "
                            "content would be overwritten); remove it", path, (unsigned long)st.st_nlink);
    }
    ssize_t n = pread(fd, old, sizeof old - 1, 0);
    old[n > 0 ? n : 0] = '\0';
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        close(fd);
        if (saved == EWOULDBLOCK)
            return rvcidx__fail(RVCIDX_ELOCKED, "%s: another rvcidx process (pid %ld) is building here; wait for it "
                                "or choose another output directory", dir, strtol(old, NULL, 10));
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot lock: %s", path, strerror(saved));
    }
    long prev = strtol(old, NULL, 10);
    if (prev > 0 && prev != (long)getpid() && kill((pid_t)prev, 0) != 0 && errno == ESRCH)
        rvcidx__log(RVCIDX_LOG_WARN, "%s: cleared a stale lock left by pid %ld, which is no longer running", dir, prev);
    char mine[32];
    int len = snprintf(mine, sizeof mine, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, mine, (size_t)len, 0) != len)
        rvcidx__log(RVCIDX_LOG_WARN, "%s: cannot record our pid in the lock file", path);
    *fd_out = fd;
    return 0;
}

int rvcidx__write_bytes_file(const char *path, const void *data, size_t n) {
    rvcidx__atomic_file f;
    RVCIDX__TRY(rvcidx__atomic_open(&f, path));
    int rc = rvcidx__atomic_write(&f, data, n);
    if (rc == 0) return rvcidx__atomic_commit(&f);
    rvcidx__atomic_abort(&f);
    return rc;
}

int rvcidx__write_json_file(const char *path, const json_t *o, size_t flags) {
    char *text = o ? json_dumps(o, JSON_INDENT(2) | flags) : NULL;
    if (!text) return rvcidx__fail(RVCIDX_ENOMEM, "%s: cannot format", path);
    int rc = rvcidx__write_text_file(path, text, 1);
    free(text);
    return rc;
}

int rvcidx__write_text_file(const char *path, const char *text, int add_newline) {
    rvcidx__atomic_file f;
    int rc = rvcidx__atomic_open(&f, path);
    if (rc) return rc;
    rc = rvcidx__atomic_write(&f, text, strlen(text));
    if (rc == 0 && add_newline) rc = rvcidx__atomic_write(&f, "\n", 1);
    if (rc == 0) return rvcidx__atomic_commit(&f);
    rvcidx__atomic_abort(&f);
    return rc;
}

void rvcidx__path_base_name(const char *path, char *out, size_t n) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
    snprintf(out, n, "%s", basename(buf));
}
