/* test_store.c — the HDF5 store's round trip (src/store/): rows and the
 * /sources table written by the writer come back from the reader as they
 * went in, the speakers are derived from the sources in order, the recorded
 * sha256 is that of the rows' bytes and is checked, a store grown by a
 * second writer keeps its first rows, and an aborted writer leaves nothing. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

#include "rvcidx/rvcidx.h"
#include "store/store_impl.h"

enum { DIM = 8 };
static char dir[4096], path[4200];

static void rows_of(float *x, uint64_t first, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        for (int d = 0; d < DIM; d++) x[i * DIM + (uint64_t)d] = (float)(first + i) + (float)d / 16.0f;
}

static void add(rvcidx__store_writer *w, const char *speaker, const char *file, uint64_t first, uint64_t n) {
    float x[64 * DIM];
    rows_of(x, first, n);
    assert_int_equal(rvcidx__store_append_rows(w, x, n), 0);
    rvcidx__source_record rec = {speaker, file, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                 "<f4", "ok", "", first, n};
    assert_int_equal(rvcidx__store_add_source(w, &rec), 0);
}

static int setup(void **state) {
    (void)state;
    test_scratch_dir("store", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/store.h5", dir);
    unlink(path);
    return 0;
}

static void write_then_read(void **state) {
    (void)state;
    rvcidx__store_writer w;
    assert_int_equal(rvcidx__store_writer_create(&w, path, DIM), 0);
    add(&w, "alice", "0.npy", 0, 40);
    add(&w, "alice", "1.npy", 40, 24);
    add(&w, "bob", "0.npy", 64, 30);
    assert_int_equal(rvcidx__store_writer_commit(&w), 0);

    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(path, &st), 0);
    assert_int_equal(rvcidx_store_rows(st), 94);
    assert_int_equal(rvcidx_store_dim(st), DIM);
    float got[94 * DIM], want[94 * DIM];
    rows_of(want, 0, 94);
    assert_int_equal(rvcidx_store_read_rows(st, 0, 94, got), 0);
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(rvcidx_store_read_rows(st, 90, 4, got), 0); /* a range from the middle */
    assert_memory_equal(got, want + 90 * DIM, 4 * DIM * sizeof(float));
    assert_int_equal(rvcidx_store_read_rows(st, 90, 5, got), RVCIDX_EINVAL); /* past the end */

    assert_int_equal(rvcidx_store_source_count(st), 3);
    rvcidx_store_source s;
    assert_int_equal(rvcidx_store_get_source(st, 1, &s), 0);
    assert_string_equal(s.speaker, "alice");
    assert_string_equal(s.path, "1.npy");
    assert_string_equal(s.dtype, "<f4");
    assert_int_equal(s.first_row, 40);
    assert_int_equal(s.rows, 24);
    assert_int_equal(rvcidx_store_speaker_count(st), 2);
    rvcidx_store_speaker sp;
    assert_int_equal(rvcidx_store_get_speaker(st, 1, &sp), 0);
    assert_string_equal(sp.name, "bob");
    assert_int_equal(sp.first_row, 64);
    assert_int_equal(sp.rows, 30);

    char sha[65];
    assert_int_equal(rvcidx__store_rows_sha256(st, 0, 94, sha, NULL), 0);
    assert_string_equal(sha, rvcidx__store_recorded_rows_sha256(st));
    int intact = 0;
    char why[256];
    assert_int_equal(rvcidx__store_rows_intact(st, 1, &intact, why, sizeof why), 0);
    assert_int_equal(intact, 1);
    rvcidx_store_close(st);
}

static void grown_keeps_its_rows(void **state) {
    (void)state;
    write_then_read(state);
    rvcidx__store_writer w;
    assert_int_equal(rvcidx__store_writer_extend(&w, path), 0);
    add(&w, "carol", "0.npy", 94, 10);
    assert_int_equal(rvcidx__store_writer_commit(&w), 0);
    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(path, &st), 0);
    assert_int_equal(rvcidx_store_rows(st), 104);
    float got[104 * DIM], want[104 * DIM];
    rows_of(want, 0, 104);
    assert_int_equal(rvcidx_store_read_rows(st, 0, 104, got), 0);
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(rvcidx_store_speaker_count(st), 3);
    int intact = 0;
    char why[256];
    assert_int_equal(rvcidx__store_rows_intact(st, 1, &intact, why, sizeof why), 0);
    assert_int_equal(intact, 1);
    rvcidx_store_close(st);
}

static void aborted_leaves_nothing(void **state) {
    (void)state;
    rvcidx__store_writer w;
    assert_int_equal(rvcidx__store_writer_create(&w, path, DIM), 0);
    add(&w, "alice", "0.npy", 0, 10);
    char tmp[sizeof w.tmp_path];
    snprintf(tmp, sizeof tmp, "%s", w.tmp_path);
    struct stat st;
    assert_int_equal(stat(tmp, &st), 0); /* written under its temporary name ... */
    rvcidx__store_writer_abort(&w);
    assert_int_not_equal(stat(tmp, &st), 0); /* ... and gone */
    assert_int_not_equal(stat(path, &st), 0); /* the final name never appeared */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(write_then_read, setup),
        cmocka_unit_test_setup(grown_keeps_its_rows, setup),
        cmocka_unit_test_setup(aborted_leaves_nothing, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
