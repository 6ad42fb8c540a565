/* test_fsutil.c — atomic publish: a reader sees the old file or the complete
 * new one, and no temporary file survives a commit or an abort. */
#include "test_util.h"

#include <sys/wait.h>

#include "../src/base/fsutil.h"
#include "rvcidx/error.h"

static void commit_publishes_and_leaves_no_temp(void **state) {
    (void)state;
    char dir[4096], path[4200], pattern[4300];
    test_scratch_dir("fsutil_commit", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.bin", dir);
    rvcidx__atomic_file f;
    assert_int_equal(rvcidx__atomic_open(&f, path), 0);
    assert_int_equal(access(path, F_OK), -1); /* not visible before commit */
    assert_int_equal(rvcidx__atomic_write(&f, "hello", 5), 0);
    assert_int_equal(rvcidx__atomic_commit(&f), 0);
    size_t n = 0;
    unsigned char *data = test_read_file(path, &n);
    assert_non_null(data);
    assert_int_equal(n, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    snprintf(pattern, sizeof pattern, "'%s'/.*" RVCIDX__TMP_MARK "*", dir);
    assert_int_equal(test_count_glob(pattern), 0);
}

static void abort_keeps_previous_file(void **state) {
    (void)state;
    char dir[4096], path[4200], pattern[4300];
    test_scratch_dir("fsutil_abort", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.bin", dir);
    rvcidx__atomic_file f;
    assert_int_equal(rvcidx__atomic_open(&f, path), 0);
    assert_int_equal(rvcidx__atomic_write(&f, "old", 3), 0);
    assert_int_equal(rvcidx__atomic_commit(&f), 0);

    assert_int_equal(rvcidx__atomic_open(&f, path), 0);
    assert_int_equal(rvcidx__atomic_write(&f, "new but unfinished", 18), 0);
    rvcidx__atomic_abort(&f);
    rvcidx__atomic_abort(&f); /* twice is harmless */
    size_t n = 0;
    unsigned char *data = test_read_file(path, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(data, "old", 3);
    free(data);
    snprintf(pattern, sizeof pattern, "'%s'/.*" RVCIDX__TMP_MARK "*", dir);
    assert_int_equal(test_count_glob(pattern), 0);
}

static void open_in_missing_directory_fails_with_io_error(void **state) {
    (void)state;
    rvcidx__atomic_file f;
    assert_int_equal(rvcidx__atomic_open(&f, "/nonexistent-rvcidx/dir/out.bin"), RVCIDX_EIO);
    assert_non_null(strstr(rvcidx_last_error(), "/nonexistent-rvcidx/dir"));
}

static void mkdir_p_creates_parents_and_rejects_files(void **state) {
    (void)state;
    char dir[4096], deep[4200], file[4200];
    test_scratch_dir("fsutil_mkdir", dir, sizeof dir);
    snprintf(deep, sizeof deep, "%s/a/b/ç ü/d", dir);
    assert_int_equal(rvcidx__mkdir_p(deep), 0);
    assert_int_equal(rvcidx__mkdir_p(deep), 0); /* idempotent */
    assert_int_equal(access(deep, F_OK), 0);
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *fp = fopen(file, "w");
    fclose(fp);
    assert_int_equal(rvcidx__mkdir_p(file), RVCIDX_EIO);
    assert_non_null(strstr(rvcidx_last_error(), "not a directory"));
}

static void touch(const char *dir, const char *name) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
}

static int exists(const char *dir, const char *name) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* A kill can leave a temporary file, or the temporary file of a file being
 * saved to a temporary name (the build's working index): a later run
 * removes both when their process is gone, and nothing of a live one. */
static void stale_temps_of_dead_processes_are_removed(void **state) {
    (void)state;
    char dir[4096], final[4200], dead[64], dead_nested[96], live[64], live_nested[96];
    test_scratch_dir("fsutil_stale", dir, sizeof dir);
    snprintf(final, sizeof final, "%s/index", dir);
    pid_t child = fork(); /* a pid that surely belongs to no process once reaped */
    if (child == 0) _exit(0);
    assert_true(child > 0);
    waitpid(child, NULL, 0);
    snprintf(dead, sizeof dead, ".index" RVCIDX__TMP_MARK "%ld", (long)child);
    snprintf(dead_nested, sizeof dead_nested, "..index" RVCIDX__TMP_MARK "%ld" RVCIDX__TMP_MARK "%ld", (long)child,
             (long)child);
    snprintf(live, sizeof live, ".index" RVCIDX__TMP_MARK "%ld", (long)getpid());
    snprintf(live_nested, sizeof live_nested, "..index" RVCIDX__TMP_MARK "%ld" RVCIDX__TMP_MARK "%ld", (long)getpid(),
             (long)getpid());
    touch(dir, dead), touch(dir, dead_nested), touch(dir, live), touch(dir, live_nested);
    touch(dir, "..index" RVCIDX__TMP_MARK "1x"); /* not ours: left alone */
    assert_int_equal(rvcidx__remove_stale_temps(final), 0);
    assert_false(exists(dir, dead));
    assert_false(exists(dir, dead_nested));
    assert_true(exists(dir, live));
    assert_true(exists(dir, live_nested));
    assert_true(exists(dir, "..index" RVCIDX__TMP_MARK "1x"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_publishes_and_leaves_no_temp),
        cmocka_unit_test(abort_keeps_previous_file),
        cmocka_unit_test(open_in_missing_directory_fails_with_io_error),
        cmocka_unit_test(mkdir_p_creates_parents_and_rejects_files),
        cmocka_unit_test(stale_temps_of_dead_processes_are_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
