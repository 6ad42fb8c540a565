/* test_gpu.c — the GPU probe. Skips (exit 77) with the reason when no GPU is
 * usable here; where one is, checks what the probe reports about it. */
#include "test_util.h"

#include "rvcidx/error.h"
#include "rvcidx/gpu.h"

static void probe_describes_the_gpu(void **state) {
    (void)state;
    rvcidx_gpu_info info;
    assert_int_equal(rvcidx_gpu_probe(&info), 0);
    assert_true(info.count >= 1);
    assert_true(info.name[0] != '\0');
    assert_true(info.memory_bytes > (1ULL << 30));
    assert_true(info.runtime_version > 0);
    assert_string_equal(info.reason, "");
}

int main(void) {
    rvcidx_gpu_info info;
    if (rvcidx_gpu_probe(&info) != 0) {
        assert_true(info.reason[0] != '\0');
        printf("SKIP: no usable GPU: %s\n", info.reason);
        return 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(probe_describes_the_gpu)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
