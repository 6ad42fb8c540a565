/* inject.c — an LD_PRELOAD shim that makes the Nth write, pwrite, fwrite,
 * fsync or rename of this process fail, for I/O fault tests.
 *
 *   RVCIDX_FAULT=OP:N:ERRNO   OP one of write, pwrite, fwrite, fsync, rename;
 *                             N counts that OP's calls on regular files from
 *                             1; ERRNO is ENOSPC or EIO. The call fails once.
 *   RVCIDX_FAULT_COUNT=FILE   append "OP COUNT" lines to FILE at exit, to
 *                             learn how many calls a run makes.
 * Only regular files count (never the terminal, pipes or sockets), so
 * logging keeps working while the artifacts' I/O fails.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OP_WRITE, OP_PWRITE, OP_FWRITE, OP_FSYNC, OP_RENAME, N_OPS };
static const char *const op_names[N_OPS] = {"write", "pwrite", "fwrite", "fsync", "rename"};
static long counts[N_OPS];
static int fail_op = -1, fail_errno;
static long fail_at;

__attribute__((constructor)) static void setup(void) {
    const char *spec = getenv("RVCIDX_FAULT");
    char op[16], err[16];
    if (!spec || sscanf(spec, "%15[a-z]:%ld:%15s", op, &fail_at, err) != 3) return;
    for (int i = 0; i < N_OPS; i++)
        if (!strcmp(op, op_names[i])) fail_op = i;
    fail_errno = !strcmp(err, "EIO") ? EIO : ENOSPC;
}

__attribute__((destructor)) static void report(void) {
    const char *path = getenv("RVCIDX_FAULT_COUNT");
    FILE *f = path ? fopen(path, "a") : NULL;
    for (int i = 0; f && i < N_OPS; i++) fprintf(f, "%s %ld\n", op_names[i], counts[i]);
    if (f) fclose(f);
}

static int regular_fd(int fd) {
    struct stat st;
    return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* 1 when this call is the one to fail. */
static int should_fail(int op, int counted) {
    if (!counted) return 0;
    long n = __atomic_add_fetch(&counts[op], 1, __ATOMIC_SEQ_CST);
    if (op == fail_op && n == fail_at) {
        errno = fail_errno;
        return 1;
    }
    return 0;
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

ssize_t write(int fd, const void *buf, size_t n) {
    if (should_fail(OP_WRITE, regular_fd(fd))) return -1;
    return REAL("write", ssize_t (*)(int, const void *, size_t))(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
    if (should_fail(OP_PWRITE, regular_fd(fd))) return -1;
    return REAL("pwrite", ssize_t (*)(int, const void *, size_t, off_t))(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
    if (should_fail(OP_PWRITE, regular_fd(fd))) return -1;
    return REAL("pwrite64", ssize_t (*)(int, const void *, size_t, off_t))(fd, buf, n, off);
}

size_t fwrite(const void *ptr, size_t size, size_t n, FILE *f) {
    if (should_fail(OP_FWRITE, regular_fd(fileno(f)))) return 0;
    return REAL("fwrite", size_t (*)(const void *, size_t, size_t, FILE *))(ptr, size, n, f);
}

int fsync(int fd) {
    if (should_fail(OP_FSYNC, regular_fd(fd))) return -1;
    return REAL("fsync", int (*)(int))(fd);
}

int rename(const char *from, const char *to) {
    if (should_fail(OP_RENAME, 1)) return -1;
    return REAL("rename", int (*)(const char *, const char *))(from, to);
}
