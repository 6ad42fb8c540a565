/* test_util.h — helpers shared by the cmocka tests: scratch directories and
 * file comparison. Scratch lives under $RVCIDX_TEST_TMP (set by CTest). */
#ifndef RVCIDX_TEST_UTIL_H
#define RVCIDX_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* A fresh, empty directory named for the test: $RVCIDX_TEST_TMP/<name>. */
static inline void test_scratch_dir(const char *name, char *out, size_t n) {
    const char *root = getenv("RVCIDX_TEST_TMP");
    snprintf(out, n, "%s/%s", root ? root : "/tmp/rvcidx-test", name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", out, out);
    assert_int_equal(system(cmd), 0);
}

/* Reads a whole file into a malloc'd buffer (caller frees); NULL if absent. */
static inline unsigned char *test_read_file(const char *path, size_t *size) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf && len > 0 && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    if (size) *size = (size_t)len;
    return buf;
}

/* Number of directory entries matching a shell glob (0 if none). */
static inline int test_count_glob(const char *pattern) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls -a %s 2>/dev/null | wc -l", pattern);
    FILE *p = popen(cmd, "r");
    int count = 0;
    if (p) {
        if (fscanf(p, "%d", &count) != 1) count = -1;
        pclose(p);
    }
    return count;
}

#endif
