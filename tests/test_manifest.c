/* test_manifest.c — the manifest's request JSON (manifest.c): canonical
 * text; the parameters, a budget and a refine only when set; every
 * source of the store, in store order; a name that is not UTF-8 (a store
 * another program wrote) is escaped reversibly and marked, never dropped;
 * valid names are written as they are; and the escape itself gives the
 * bytes back. */
#include "test_util.h"

#include <jansson.h>
#include <string.h>

#include "base/internal.h"
#include "outdir/manifest.h"
#include "rvcidx/store.h"
#include "store/store_impl.h"

static char dir[4096], store[4200];

/* A store of three sources, the second named with a byte that is not UTF-8
 * and a backslash, written through the store's own writer. */
static void write_store(void) {
    rvcidx__store_writer w;
    memset(&w, 0, sizeof w);
    assert_int_equal(rvcidx__store_writer_create(&w, store, 4), 0);
    float rows[12] = {0};
    for (int i = 0; i < 12; i++) rows[i] = (float)i;
    assert_int_equal(rvcidx__store_append_rows(&w, rows, 3), 0);
    static const char *const paths[3] = {"3_feature256/0.npy", "3_feature256/caf\xe9\\x.npy", "3_feature256/\xc3\xa9.npy"};
    char sha[65];
    memset(sha, 'a', 64), sha[64] = '\0';
    for (int i = 0; i < 3; i++) {
        rvcidx__source_record rec = {"spk", paths[i], sha, "<f4", "ok", "", (uint64_t)i, 1};
        assert_int_equal(rvcidx__store_add_source(&w, &rec), 0);
    }
    assert_int_equal(rvcidx__store_writer_commit(&w), 0);
}

static void every_source_listed_escaped_when_needed(void **state) {
    (void)state;
    rvcidx_ingest_params ingest = rvcidx_ingest_default_params();
    rvcidx_index_params index = rvcidx_index_default_params();
    rvcidx__manifest_spec m;
    memset(&m, 0, sizeof m);
    m.outdir = dir, m.store_path = store, m.ingest = &ingest, m.index = &index;
    char *text = NULL;
    assert_int_equal(rvcidx__manifest_request(&m, &text), 0);
    json_t *req = json_loads(text, 0, NULL);
    assert_non_null(req);
    json_t *inputs = json_object_get(req, "inputs");
    assert_int_equal(json_array_size(inputs), 3);
    json_t *plain = json_array_get(inputs, 0), *odd = json_array_get(inputs, 1), *accented = json_array_get(inputs, 2);
    assert_string_equal(json_string_value(json_object_get(plain, "path")), "3_feature256/0.npy");
    assert_null(json_object_get(plain, "escaped"));
    assert_string_equal(json_string_value(json_object_get(odd, "path")), "3_feature256/caf\\xe9\\\\x.npy");
    assert_string_equal(json_string_value(json_array_get(json_object_get(odd, "escaped"), 0)), "path");
    assert_string_equal(json_string_value(json_object_get(accented, "path")), "3_feature256/\xc3\xa9.npy"); /* UTF-8 */
    assert_null(json_object_get(accented, "escaped"));
    json_decref(req);
    free(text);
}

static json_t *request_of(const rvcidx_index_params *index, const rvcidx_reduce_params *reduce) {
    rvcidx_ingest_params ingest = rvcidx_ingest_default_params();
    rvcidx__manifest_spec m;
    memset(&m, 0, sizeof m);
    m.outdir = dir, m.store_path = store, m.ingest = &ingest, m.index = index, m.reduce = reduce;
    char *text = NULL, *again = NULL;
    assert_int_equal(rvcidx__manifest_request(&m, &text), 0);
    assert_int_equal(rvcidx__manifest_request(&m, &again), 0);
    assert_string_equal(text, again); /* canonical: the same request, the same bytes */
    json_t *req = json_loads(text, 0, NULL);
    assert_non_null(req);
    free(text), free(again);
    return req;
}

/* The parameters' part: a budget and a refine are written only when set
 * (a manifest written before they existed stays current), and every value
 * the build depends on is there. */
static void parameters_recorded_only_when_set(void **state) {
    (void)state;
    rvcidx_index_params index = rvcidx_index_default_params();
    rvcidx_reduce_params none = rvcidx_reduce_default_params();
    json_t *req = request_of(&index, &none);
    json_t *ip = json_object_get(req, "parameters");
    assert_non_null(ip);
    assert_int_equal(json_integer_value(json_object_get(ip, "seed")), 1234);
    assert_int_equal(json_integer_value(json_object_get(ip, "nprobe")), 16);
    assert_null(json_object_get(ip, "refine"));
    assert_null(json_object_get(ip, "max_vectors"));
    assert_null(json_object_get(ip, "reduce"));
    json_decref(req);
    rvcidx_reduce_params budget = rvcidx_reduce_default_params();
    budget.max_vectors = 5000;
    index.refine = RVCIDX_REFINE_SQ8;
    req = request_of(&index, &budget);
    ip = json_object_get(req, "parameters");
    assert_int_equal(json_integer_value(json_object_get(ip, "max_vectors")), 5000);
    assert_int_equal(json_integer_value(json_object_get(ip, "max_app_memory")), 0);
    assert_string_equal(json_string_value(json_object_get(ip, "reduce")), "auto");
    assert_string_equal(json_string_value(json_object_get(ip, "refine")), "sq8");
    json_decref(req);
    req = request_of(&index, NULL); /* no budget given at all: as none */
    assert_null(json_object_get(json_object_get(req, "parameters"), "max_vectors"));
    json_decref(req);
}

static void escape_round_trips(void **state) {
    (void)state;
    static const char *const cases[][2] = {{"plain", "plain"}, {"caf\xe9", "caf\\xe9"}, {"a\\b\xff", "a\\\\b\\xff"},
                                           {"\xc3\xa9\xc3", "\xc3\xa9\\xc3"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *e = rvcidx__utf8_escape(cases[i][0]);
        assert_non_null(e);
        assert_true(rvcidx__utf8_valid(e));
        if (!rvcidx__utf8_valid(cases[i][0])) assert_string_equal(e, cases[i][1]);
        free(e);
    }
}

int main(void) {
    test_scratch_dir("manifest", dir, sizeof dir);
    snprintf(store, sizeof store, "%s/store.h5", dir);
    write_store();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_source_listed_escaped_when_needed),
        cmocka_unit_test(parameters_recorded_only_when_set),
        cmocka_unit_test(escape_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
