/* test_version.c — the versions rvcidx reports are the ones it runs with. */
#include "test_util.h"

#include "rvcidx/version.h"

static void reports_faiss_hdf5_blas_and_gpu(void **state) {
    (void)state;
    rvcidx_runtime_versions v;
    assert_int_equal(rvcidx_get_runtime_versions(&v), 0);
    assert_string_equal(v.faiss, "1.7.3");
    assert_true(!strcmp(v.faiss_simd, "avx2") || !strcmp(v.faiss_simd, "generic"));
    unsigned maj = 0, min = 0;
    assert_int_equal(sscanf(v.hdf5, "%u.%u", &maj, &min), 2);
    assert_int_equal(maj, 1);
    assert_true(v.blas[0] != '\0');
    /* Either a described GPU or the reason there is none: never empty. */
    assert_true(!strncmp(v.gpu, "CUDA runtime", 12) || !strncmp(v.gpu, "no GPU: ", 8));
    assert_true(strlen(v.gpu) > 8);
}

static void null_is_rejected(void **state) {
    (void)state;
    assert_int_not_equal(rvcidx_get_runtime_versions(NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reports_faiss_hdf5_blas_and_gpu),
        cmocka_unit_test(null_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
