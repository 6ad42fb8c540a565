/* test_demo.c — the example generator: RVC's layout, valid .npy headers,
 * the requested number of frames, and byte-identical output for one seed. */
#include "test_util.h"

#include "rvcidx/demo.h"
#include "rvcidx/error.h"

static uint64_t write_demo(const char *name, uint64_t seed, char *dir, size_t n) {
    test_scratch_dir(name, dir, n);
    rvcidx_demo_params p = rvcidx_demo_default_params();
    p.speakers = 2;
    p.minutes = 0.5;
    p.seed = seed;
    uint64_t rows = 0;
    assert_int_equal(rvcidx_demo_write(dir, &p, &rows), 0);
    return rows;
}

static void writes_rvc_layout_and_frame_count(void **state) {
    (void)state;
    char dir[4096], path[4300];
    assert_int_equal(write_demo("demo_layout", 1234, dir, sizeof dir), 2 * 1500);
    snprintf(path, sizeof path, "%s/speaker1/3_feature768/0_0.npy", dir);
    size_t n = 0;
    unsigned char *data = test_read_file(path, &n);
    assert_non_null(data);
    assert_memory_equal(data, "\x93NUMPY\x01\x00", 8);
    size_t header_len = data[8] | (size_t)data[9] << 8;
    assert_int_equal((10 + header_len) % 64, 0);
    assert_int_equal(data[10 + header_len - 1], '\n');
    assert_non_null(strstr((char *)data + 10, "'descr': '<f4'"));
    unsigned rows = 0, cols = 0;
    const char *shape = strstr((char *)data + 10, "'shape': (");
    assert_non_null(shape);
    assert_int_equal(sscanf(shape, "'shape': (%u, %u)", &rows, &cols), 2);
    assert_int_equal(cols, 768);
    assert_in_range(rows, 40, 200);
    assert_int_equal(n, 10 + header_len + (size_t)rows * cols * 4);
    free(data);
}

static int trees_equal(const char *a, const char *b) {
    char cmd[8500];
    snprintf(cmd, sizeof cmd, "diff -r '%s' '%s' >/dev/null", a, b);
    return system(cmd) == 0;
}

static void same_seed_same_bytes_other_seed_other_bytes(void **state) {
    (void)state;
    char a[4096], b[4096], c[4096];
    write_demo("demo_seed_a", 7, a, sizeof a);
    write_demo("demo_seed_b", 7, b, sizeof b);
    write_demo("demo_seed_c", 8, c, sizeof c);
    assert_true(trees_equal(a, b));
    assert_false(trees_equal(a, c));
}

static void rejects_bad_parameters(void **state) {
    (void)state;
    char dir[4096];
    test_scratch_dir("demo_bad", dir, sizeof dir);
    rvcidx_demo_params p = rvcidx_demo_default_params();
    p.dim = 512;
    assert_int_equal(rvcidx_demo_write(dir, &p, NULL), RVCIDX_EINVAL);
    assert_non_null(strstr(rvcidx_last_error(), "768"));
    p = rvcidx_demo_default_params();
    p.speaker_prefix = "a/b";
    assert_int_equal(rvcidx_demo_write(dir, &p, NULL), RVCIDX_EINVAL);
    assert_int_equal(rvcidx_demo_write(NULL, &p, NULL), RVCIDX_EINVAL);
}

static int stop_at_once(const rvcidx_progress *p, void *user) {
    (void)p;
    (*(int *)user)++;
    return 1;
}

static void progress_callback_can_stop_the_stage(void **state) {
    (void)state;
    char dir[4096];
    test_scratch_dir("demo_stop", dir, sizeof dir);
    rvcidx_demo_params p = rvcidx_demo_default_params();
    int calls = 0;
    p.progress = stop_at_once;
    p.progress_user = &calls;
    assert_int_equal(rvcidx_demo_write(dir, &p, NULL), RVCIDX_EINTR);
    assert_int_equal(calls, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_rvc_layout_and_frame_count),
        cmocka_unit_test(same_seed_same_bytes_other_seed_other_bytes),
        cmocka_unit_test(rejects_bad_parameters),
        cmocka_unit_test(progress_callback_can_stop_the_stage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
