/* test_index_params.c — the nlist rule, faiss factory strings and RVC's
 * index file names (listed by RVC's UI only without "trained"). */
#include "test_util.h"

#include "rvcidx/index.h"

static void auto_nlist_follows_the_documented_rule(void **state) {
    (void)state;
    assert_int_equal(rvcidx_auto_nlist(100000), 632); /* 2*sqrt(N) */
    assert_int_equal(rvcidx_auto_nlist(22713), 301);  /* 2*sqrt(N); N/39 = 582 */
    assert_int_equal(rvcidx_auto_nlist(6000), 153);   /* N/39 binds below N ~ 6,084: 2*sqrt(N) = 154 */
    assert_int_equal(rvcidx_auto_nlist(1000000), 2000);
    assert_int_equal(rvcidx_auto_nlist(1000), 25);    /* capped at N/39 (63 -> 25) */
    assert_int_equal(rvcidx_auto_nlist(10), 1);
    assert_int_equal(rvcidx_auto_nlist(0), 1);
}

static void factory_strings(void **state) {
    (void)state;
    rvcidx_index_params p = rvcidx_index_default_params();
    char s[96];
    assert_int_equal(rvcidx_index_describe(&p, 768, 602, s, sizeof s), 0);
    assert_string_equal(s, "IVF602,PQ384x4fs,RFlat");
    assert_int_equal(rvcidx_index_describe(&p, 256, 100, s, sizeof s), 0);
    assert_string_equal(s, "IVF100,PQ128x4fs,RFlat");
    p.refine = RVCIDX_REFINE_FP16;
    assert_int_equal(rvcidx_index_describe(&p, 768, 602, s, sizeof s), 0);
    assert_string_equal(s, "IVF602,PQ384x4fs,Refine(SQfp16)");
    p.refine = RVCIDX_REFINE_SQ8;
    assert_int_equal(rvcidx_index_describe(&p, 768, 602, s, sizeof s), 0);
    assert_string_equal(s, "IVF602,PQ384x4fs,Refine(SQ8)");
    p.refine = RVCIDX_REFINE_FLAT;
    assert_int_equal(rvcidx_index_params_set(&p, "index", "ivfpq4fsr"), 0);
    assert_int_equal(p.type, RVCIDX_INDEX_IVFPQ4FS);
    assert_int_equal(p.residual, 1);
    assert_int_equal(rvcidx_index_describe(&p, 768, 602, s, sizeof s), 0);
    assert_string_equal(s, "IVF602,PQ384x4fsr,RFlat");
    assert_int_equal(rvcidx_index_file_name(&p, 768, 602, "alice", s, sizeof s), 0);
    assert_string_equal(s, "added_IVF602_PQ384x4fsr_RFlat_nprobe_16_alice_v2.index");
    assert_int_equal(rvcidx_index_params_set(&p, "index", "ivfpq4fs"), 0);
    assert_int_equal(p.residual, 0);
    p.type = RVCIDX_INDEX_IVFFLAT;
    assert_int_equal(rvcidx_index_describe(&p, 768, 582, s, sizeof s), 0);
    assert_string_equal(s, "IVF582,Flat");
    p.type = RVCIDX_INDEX_IVFPQ4FS;
    assert_int_not_equal(rvcidx_index_describe(&p, 257, 10, s, sizeof s), 0); /* odd D */
}

static void file_names_are_listed_by_rvc(void **state) {
    (void)state;
    rvcidx_index_params p = rvcidx_index_default_params();
    char s[512];
    assert_int_equal(rvcidx_index_file_name(&p, 768, 602, "alice", s, sizeof s), 0);
    assert_string_equal(s, "added_IVF602_PQ384x4fs_RFlat_nprobe_16_alice_v2.index");
    p.refine = RVCIDX_REFINE_SQ8;
    assert_int_equal(rvcidx_index_file_name(&p, 768, 602, "alice", s, sizeof s), 0);
    assert_string_equal(s, "added_IVF602_PQ384x4fs_RSQ8_nprobe_16_alice_v2.index");
    p.refine = RVCIDX_REFINE_FLAT;
    p.type = RVCIDX_INDEX_IVFFLAT;
    p.nprobe = 3;
    assert_int_equal(rvcidx_index_file_name(&p, 256, 50, "pretrained voice/x", s, sizeof s), 0);
    assert_null(strstr(s, "trained")); /* RVC hides files containing it */
    assert_null(strchr(s, '/'));
    assert_non_null(strstr(s, "added_IVF50_Flat_nprobe_3_"));
    assert_non_null(strstr(s, "_v1.index"));
    assert_int_equal(rvcidx_index_file_name(&p, 768, 50, "vozes_ção", s, sizeof s), 0);
    assert_non_null(strstr(s, "vozes_ção")); /* non-ASCII names kept (RVC #450) */
}

/* The refine storage is N*D*4, *2 or *1 bytes (SQ8 also keeps 2 floats
 * a dimension); everything else is the same for the three. */
static void predicted_sizes_differ_by_the_refine_storage(void **state) {
    (void)state;
    rvcidx_index_params p = rvcidx_index_default_params();
    uint64_t n = 100000, d = 768;
    uint64_t flat = rvcidx_index_predict_bytes(&p, (int)d, 1264, n);
    p.refine = RVCIDX_REFINE_FP16;
    uint64_t fp16 = rvcidx_index_predict_bytes(&p, (int)d, 1264, n);
    p.refine = RVCIDX_REFINE_SQ8;
    uint64_t sq8 = rvcidx_index_predict_bytes(&p, (int)d, 1264, n);
    assert_int_equal(flat - fp16, n * d * 2);
    assert_int_equal(fp16 - sq8, n * d - 8 * d);
    assert_true(flat > n * d * 4 + n * d / 4); /* the floats, the 4-bit codes, ids, centroids */
    assert_true(flat < n * d * 4 + n * d / 4 + n * 8 + 1264 * d * 4 + 1264 * 32 * d / 4 + 65536);
    assert_string_equal(rvcidx_refine_name(RVCIDX_REFINE_SQ8), "sq8");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auto_nlist_follows_the_documented_rule),
        cmocka_unit_test(factory_strings),
        cmocka_unit_test(file_names_are_listed_by_rvc),
        cmocka_unit_test(predicted_sizes_differ_by_the_refine_storage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
