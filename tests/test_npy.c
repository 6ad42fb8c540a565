/* test_npy.c — the strict .npy reader: every accepted dtype converts exactly
 * as NumPy's astype(np.float32) does, v1/v2/v3 headers and any key order are
 * read, every malformed file is refused with a message that names the file
 * and says what is wrong, and the sha256 covers the whole file; an array in
 * memory reads as the file numpy.save would write for it.
 *
 * Valid files come from Debian's NumPy (/usr/bin/python3); malformed ones are
 * hand-made bytes, so the reader is never tested only against itself. */
#include "test_util.h"

#include <math.h>

#include "../src/ingest/npy.h"
#include "rvcidx/error.h"

#define PYTHON "/usr/bin/python3"

/* ---- helpers ------------------------------------------------------------- */

static int have_numpy(void) {
    static int cached = -1;
    if (cached < 0) cached = system(PYTHON " -c 'import numpy' >/dev/null 2>&1") == 0;
    return cached;
}

/* Runs a Python snippet with the scratch directory as its working directory. */
static void run_python(const char *dir, const char *code) {
    char script[4200], cmd[8600];
    snprintf(script, sizeof script, "%s/gen.py", dir);
    FILE *fp = fopen(script, "w");
    assert_non_null(fp);
    fputs("import hashlib, numpy as np\n", fp);
    fputs(code, fp);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "cd '%s' && " PYTHON " gen.py", dir);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

/* An .npy file's bytes: magic, version, length field, dict text padded with
 * spaces so the data starts at a multiple of `align` (0: no padding), '\n'. */
static size_t make_npy(unsigned char *buf, size_t cap, int major, const char *dict, size_t align,
                       const void *data, size_t data_len) {
    size_t prefix = major == 1 ? 10 : 12, text = strlen(dict);
    size_t total = prefix + text + 1;
    size_t pad = align ? (align - total % align) % align : 0;
    size_t header_len = text + pad + 1;
    assert_true(total + pad + data_len <= cap);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < prefix - 8; i++) buf[8 + i] = (unsigned char)(header_len >> (8 * i));
    memcpy(buf + prefix, dict, text);
    memset(buf + prefix + text, ' ', pad);
    buf[prefix + text + pad] = '\n';
    if (data_len) memcpy(buf + prefix + header_len, data, data_len);
    return prefix + header_len + data_len;
}

static const float six_floats[6] = {0, 1, 2, 3, 4, 5};

/* Writes a 2x3 '<f4' file (0..5) with the given dict text, version and alignment. */
static void write_dict_file(const char *path, int major, const char *dict, size_t align) {
    unsigned char buf[1024];
    unsigned char data[24];
    for (int i = 0; i < 6; i++) { /* little-endian whatever the host */
        uint32_t bits;
        memcpy(&bits, &six_floats[i], 4);
        for (int b = 0; b < 4; b++) data[4 * i + b] = (unsigned char)(bits >> (8 * b));
    }
    write_file(path, buf, make_npy(buf, sizeof buf, major, dict, align, data, sizeof data));
}

/* Opens, reads every row max_rows at a time, finishes. Returns the first
 * failing status; on success *values (malloc'd) and sha256 are filled. */
/* Reads every row of an opened reader, max_rows per call, and finishes it. */
static int read_all(rvcidx__npy_reader *r, uint64_t max_rows, rvcidx__npy_info *info, float **values,
                    unsigned char sha256[32]) {
    int rc = 0;
    *info = r->info;
    float *all = malloc((size_t)(r->info.rows * r->info.cols + 1) * sizeof(float));
    float *chunk = malloc((size_t)(max_rows * r->info.cols) * sizeof(float));
    assert_non_null(all);
    assert_non_null(chunk);
    uint64_t done = 0, got = 0;
    while ((rc = rvcidx__npy_read_rows(r, chunk, max_rows, &got)) == 0 && got > 0) {
        memcpy(all + done * r->info.cols, chunk, (size_t)(got * r->info.cols) * sizeof(float));
        done += got;
    }
    free(chunk);
    if (rc == 0) rc = rvcidx__npy_finish(r, sha256);
    rvcidx__npy_close(r);
    if (rc == 0) *values = all;
    else free(all);
    return rc;
}

static int read_npy(const char *path, uint64_t max_rows, rvcidx__npy_info *info, float **values,
                    unsigned char sha256[32]) {
    rvcidx__npy_reader r;
    *values = NULL;
    int rc = rvcidx__npy_open(&r, path);
    return rc != 0 ? rc : read_all(&r, max_rows, info, values, sha256);
}

/* The file is refused with `code`; the one-line message names it and holds `what`. */
static void expect_rejected(const char *path, int code, const char *what) {
    rvcidx__npy_info info;
    float *values = NULL;
    unsigned char sha[32];
    int rc = read_npy(path, 7, &info, &values, sha);
    const char *msg = rvcidx_last_error();
    if (rc != code || !strstr(msg, what) || !strstr(msg, path))
        print_error("%s: rc %d (want %d), message \"%s\" (want \"%s\")\n", path, rc, code, msg, what);
    assert_int_equal(rc, code);
    assert_non_null(strstr(msg, what));
    assert_non_null(strstr(msg, path));
    assert_null(strchr(msg, '\n'));
    assert_non_null(strstr(msg, "; "));
    assert_null(values);
}

static void sha_hex(const unsigned char sha[32], char hex[65]) {
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", sha[i]);
}

/* The sha256 Python's hashlib computes for path (written by the generator to path.sha256). */
static void expect_sha(const char *path, const unsigned char sha[32]) {
    char hex[65], want_path[4300];
    sha_hex(sha, hex);
    snprintf(want_path, sizeof want_path, "%s.sha256", path);
    size_t n = 0;
    unsigned char *want = test_read_file(want_path, &n);
    assert_non_null(want);
    assert_int_equal(n, 64);
    assert_memory_equal(hex, want, 64);
    free(want);
}

/* ---- valid files ----------------------------------------------------------- */

/* Every finite half; random float32 bit patterns (subnormals, -0); doubles
 * across the whole float32 range with ties and the rounding edge at FLT_MAX. */
static const char *conversion_generator =
    "rng = np.random.default_rng(11)\n"
    "def out(name, a, version=None):\n"
    "    a = a[: len(a) // 16 * 16].reshape(-1, 16)\n"
    "    with open(name + '.npy', 'wb') as f:\n"
    "        np.lib.format.write_array(f, a, version=version)\n"
    "    open(name + '.f32', 'wb').write(a.astype(np.float32).tobytes())\n"
    "    open(name + '.npy.sha256', 'w').write(hashlib.sha256(open(name + '.npy', 'rb').read()).hexdigest())\n"
    "h = np.arange(65536, dtype=np.uint16).view('<f2')\n"
    "out('f2', h[np.isfinite(h)])\n"
    "f = rng.integers(0, 2**32, 70000, dtype=np.uint64).astype(np.uint32).view('<f4')\n"
    "f = np.concatenate([f[np.isfinite(f)], np.array([0.0, -0.0, 1e-45, -1e-45, 1.17e-38, 3.4028235e38], '<f4')])\n"
    "out('f4le', f.astype('<f4'), (2, 0))\n"
    "out('f4be', f.astype('>f4'), (3, 0))\n"
    "d = np.ldexp(rng.uniform(-2, 2, 100000), rng.integers(-155, 129, 100000))\n"
    "fmax = float(np.finfo(np.float32).max)\n"
    "edges = [fmax, -fmax, fmax + 2.0**102, 1 + 2.0**-24, 1 + 3 * 2.0**-24, 1e-45, 7e-46, 7.006e-46, 2.0**-150, 2.0**-149 * 1.5, 5e-324, -0.0]\n"
    "d = np.concatenate([d, np.array(edges)])\n"
    "with np.errstate(over='ignore'):\n"
    "    d = d[np.isfinite(d.astype(np.float32))]\n"
    "out('f8', d.astype('<f8'))\n";

static void each_dtype_converts_exactly_as_numpy(void **state) {
    (void)state;
    if (!have_numpy()) skip();
    char dir[4096], path[4300], f32[4300];
    test_scratch_dir("npy_convert", dir, sizeof dir);
    run_python(dir, conversion_generator);
    const char *names[] = {"f2", "f4le", "f4be", "f8"};
    const int itemsizes[] = {2, 4, 4, 8};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", dir, names[i]);
        snprintf(f32, sizeof f32, "%s/%s.f32", dir, names[i]);
        rvcidx__npy_info info;
        float *values = NULL;
        unsigned char sha[32];
        /* one call reads the whole file: several chunks per call for f4 and f8 */
        assert_int_equal(read_npy(path, 100000, &info, &values, sha), 0);
        assert_int_equal(info.itemsize, itemsizes[i]);
        assert_int_equal(info.cols, 16);
        size_t n = 0;
        unsigned char *want = test_read_file(f32, &n);
        assert_non_null(want);
        assert_int_equal(n, info.rows * info.cols * 4);
        assert_memory_equal(values, want, n); /* bit for bit: -0, subnormals, rounding */
        expect_sha(path, sha);
        free(want);
        free(values);
    }
}

/* An array in memory reads as the file numpy.save writes for it: the same
 * float32 values and the same sha256, for each dtype (the data bytes come
 * from NumPy's tobytes(), the expected sha from hashlib over np.save's file). */
static void memory_frames_read_as_numpy_save_writes_them(void **state) {
    (void)state;
    if (!have_numpy()) skip();
    char dir[4096], path[4300];
    test_scratch_dir("npy_memory", dir, sizeof dir);
    run_python(dir, "a = np.random.default_rng(5).normal(size=(37, 768))\n"
                    "for n, t in (('f4le', '<f4'), ('f4be', '>f4'), ('f2', '<f2'), ('f8', '<f8')):\n"
                    "    b = a.astype(t)\n"
                    "    np.save(n + '.npy', b)\n"
                    "    open(n + '.raw', 'wb').write(b.tobytes())\n"
                    "    open(n + '.npy.sha256', 'w').write(hashlib.sha256(open(n + '.npy', 'rb').read()).hexdigest())\n");
    const char *names[] = {"f4le", "f4be", "f2", "f8"}, *descrs[] = {"<f4", ">f4", "<f2", "<f8"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s.raw", dir, names[i]);
        size_t n = 0;
        unsigned char *raw = test_read_file(path, &n);
        assert_non_null(raw);
        rvcidx__npy_reader r;
        assert_int_equal(rvcidx__npy_open_memory(&r, "spk (frames in memory)", descrs[i], raw, 37, 768), 0);
        rvcidx__npy_info info;
        float *from_memory = NULL, *from_file = NULL;
        unsigned char sha[32], file_sha[32];
        assert_int_equal(read_all(&r, 5, &info, &from_memory, sha), 0); /* 5 rows a call: chunks cross rows */
        assert_int_equal(info.rows, 37);
        snprintf(path, sizeof path, "%s/%s.npy", dir, names[i]);
        expect_sha(path, sha);
        assert_int_equal(read_npy(path, 37, &info, &from_file, file_sha), 0);
        assert_memory_equal(from_memory, from_file, 37 * 768 * sizeof(float));
        free(from_memory);
        free(from_file);
        free(raw);
    }
    /* refused, naming the frames: another dtype, no columns, no data */
    float one[768] = {0};
    rvcidx__npy_reader r;
    const char *bad_descrs[] = {"<i4", "|f4", "<f16", ""};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rvcidx__npy_open_memory(&r, "spk (frames in memory)", bad_descrs[i], one, 1, 768), RVCIDX_EINPUT);
        assert_non_null(strstr(rvcidx_last_error(), "spk (frames in memory): dtype"));
    }
    assert_int_equal(rvcidx__npy_open_memory(&r, "spk", "<f4", one, 1, 0), RVCIDX_EINPUT);
    assert_int_equal(rvcidx__npy_open_memory(&r, "spk", "<f4", NULL, 1, 768), RVCIDX_EINPUT);
    assert_non_null(strstr(rvcidx_last_error(), "spk: shape (1, 768)"));
    /* a NaN names its row, as in a file */
    one[700] = NAN;
    assert_int_equal(rvcidx__npy_open_memory(&r, "spk", "<f4", one, 1, 768), 0);
    uint64_t got = 0;
    float out[768];
    assert_int_equal(rvcidx__npy_read_rows(&r, out, 1, &got), RVCIDX_EINPUT);
    assert_non_null(strstr(rvcidx_last_error(), "spk: row 0 has a NaN"));
    rvcidx__npy_close(&r);
}

static void reads_v1_v2_v3_headers_of_each_dtype(void **state) {
    (void)state;
    if (!have_numpy()) skip();
    char dir[4096], path[4300];
    test_scratch_dir("npy_versions", dir, sizeof dir);
    run_python(dir, "a = np.arange(15, dtype=np.float64).reshape(5, 3) / 4\n"
                    "for t in ('<f4', '>f4', '<f2', '<f8'):\n"
                    "    for v in (1, 2, 3):\n"
                    "        with open('%s_v%d.npy' % (t[0] == '<' and 'le' + t[1:] or 'be' + t[1:], v), 'wb') as f:\n"
                    "            np.lib.format.write_array(f, a.astype(t), version=(v, 0))\n");
    const char *dtypes[] = {"le" "f4", "be" "f4", "le" "f2", "le" "f8"};
    const char *descrs[] = {"<f4", ">f4", "<f2", "<f8"};
    for (int t = 0; t < 4; t++) {
        for (int v = 1; v <= 3; v++) {
            snprintf(path, sizeof path, "%s/%s_v%d.npy", dir, dtypes[t], v);
            rvcidx__npy_info info;
            float *values = NULL;
            unsigned char sha[32];
            assert_int_equal(read_npy(path, 2, &info, &values, sha), 0);
            assert_int_equal(info.major, v);
            assert_int_equal(info.minor, 0);
            assert_string_equal(info.descr, descrs[t]);
            assert_int_equal(info.rows, 5);
            assert_int_equal(info.cols, 3);
            assert_int_equal(info.data_offset % 64, 0);
            for (int i = 0; i < 15; i++) assert_true(values[i] == (float)i / 4);
            free(values);
        }
    }
}

static void keys_in_any_order_quotes_and_whitespace(void **state) {
    (void)state;
    const char *dicts[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<f4', 'shape': (2, 3), 'fortran_order': False}",
        "{'fortran_order': False, 'descr': '<f4', 'shape': (2, 3)}",
        "{'fortran_order': False, 'shape': (2, 3), 'descr': '<f4'}",
        "{'shape': (2, 3), 'descr': '<f4', 'fortran_order': False}",
        "{'shape': (2, 3,), 'fortran_order': False, 'descr': '<f4',}",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
        "{ 'descr' :\t'<f4' ,\n 'fortran_order':False,'shape':( 2 ,3 , ) }",
        "  {'descr':'<f4','fortran_order':False,'shape':(2,3)}",
    };
    unsigned char buf[512];
    for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
        size_t n = make_npy(buf, sizeof buf, 1, dicts[i], 64, NULL, 0);
        rvcidx__npy_info info;
        int rc = rvcidx__npy_parse_header("k.npy", buf, n, &info);
        if (rc != 0) print_error("dict %zu: %s\n", i, rvcidx_last_error());
        assert_int_equal(rc, 0);
        assert_int_equal(info.rows, 2);
        assert_int_equal(info.cols, 3);
        assert_int_equal(info.dtype, RVCIDX__NPY_F4_LE);
        assert_int_equal(info.data_offset, n);
        assert_int_equal(info.data_bytes, 24);
    }
}

static void any_padding_is_accepted(void **state) {
    (void)state;
    char dir[4096], path[4300];
    test_scratch_dir("npy_padding", dir, sizeof dir);
    const size_t aligns[] = {16, 0, 64};
    const int majors[] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/pad%zu.npy", dir, aligns[i]);
        write_dict_file(path, majors[i], "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                        aligns[i]);
        rvcidx__npy_info info;
        float *values = NULL;
        unsigned char sha[32];
        assert_int_equal(read_npy(path, 1, &info, &values, sha), 0);
        if (aligns[i]) assert_int_equal(info.data_offset % aligns[i], 0);
        assert_memory_equal(values, six_floats, sizeof six_floats);
        free(values);
    }
}

static void zero_rows_is_valid_and_hashed(void **state) {
    (void)state;
    if (!have_numpy()) skip();
    char dir[4096], path[4300];
    test_scratch_dir("npy_zero_rows", dir, sizeof dir);
    run_python(dir, "np.save('empty.npy', np.zeros((0, 768), '<f4'))\n"
                    "open('empty.npy.sha256', 'w').write(hashlib.sha256(open('empty.npy', 'rb').read()).hexdigest())\n");
    snprintf(path, sizeof path, "%s/empty.npy", dir);
    rvcidx__npy_info info;
    float *values = NULL;
    unsigned char sha[32];
    assert_int_equal(read_npy(path, 4, &info, &values, sha), 0);
    assert_int_equal(info.rows, 0);
    assert_int_equal(info.cols, 768);
    assert_int_equal(info.data_bytes, 0);
    expect_sha(path, sha);
    free(values);
}

/* ---- malformed headers ------------------------------------------------------ */

typedef struct bad_dict {
    const char *dict;
    const char *what; /* distinctive substring of the message */
} bad_dict;

static const bad_dict bad_dicts[] = {
    {"{'descr': '<f4', 'shape': (2, 3)}", "no 'fortran_order' key"},
    {"{'fortran_order': False, 'shape': (2, 3)}", "no 'descr' key"},
    {"{'descr': '<f4', 'fortran_order': False}", "no 'shape' key"},
    {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", "duplicate key 'descr'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", "unknown key 'x'"},
    {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}", "Fortran-order arrays are not supported"},
    {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", "True or False"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", "array is 1-D, expected 2-D [frames, dim]"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3)}", "array is 3-D, expected 2-D [frames, dim]"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': ()}", "array is 0-D"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (6)}", "expected a tuple for 'shape'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", "expected a tuple '('"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3)}", "non-negative integers (found '-'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, x)}", "non-negative integers (found 'x'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0, 3)}", "',' or ')'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (1_000, 3)}", "',' or ')'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (02, 3)}", "leading zeros"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (9007199254740993, 1)}", "exceeds 2^53"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 1)}", "exceeds 2^53"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (9007199254740992, 9007199254740992)}", "too large"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", "too large"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 2097152)}", "too large"}, /* 2^64 bytes */
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (5, 0)}", "zero columns"},
    {"{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3)}", "unsupported dtype '<i4' (accepted: '<f4', '>f4', '<f2', '<f8')"},
    {"{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3)}", "unsupported dtype '<c8'"},
    {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3)}", "unsupported dtype '|u1'"},
    {"{'descr': 'O', 'fortran_order': False, 'shape': (2, 3)}", "unsupported dtype 'O'"},
    {"{'descr': '|O', 'fortran_order': False, 'shape': (2, 3)}", "unsupported dtype '|O'"},
    {"{'descr': '|f4', 'fortran_order': False, 'shape': (2, 3)}", "unsupported dtype '|f4'"},
    {"{'descr': '=f4', 'fortran_order': False, 'shape': (2, 3)}", "unsupported dtype '=f4'"},
    {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3)}", "structured"},
    {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2, 3)}", "plain quoted string"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x", "only spaces after '}'"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", "only spaces after '}'"},
    {"{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", "',' or '}'"},
    {"{'descr': '<f4',, 'fortran_order': False, 'shape': (2, 3)}", "quoted string"},
    {"{descr: '<f4', 'fortran_order': False, 'shape': (2, 3)}", "quoted string"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "',' or '}'"},
    {"('descr', '<f4')", "'{'"},
    {"", "'{'"},
};

static void malformed_dicts_are_rejected(void **state) {
    (void)state;
    char dir[4096], path[4300];
    test_scratch_dir("npy_bad_dicts", dir, sizeof dir);
    for (size_t i = 0; i < sizeof bad_dicts / sizeof bad_dicts[0]; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.npy", dir, i);
        write_dict_file(path, 1, bad_dicts[i].dict, 64);
        expect_rejected(path, RVCIDX_EINPUT, bad_dicts[i].what);
    }
}

/* Rewrites the file's bytes [at, at+n) and checks the rejection. */
static void expect_patched_rejected(const char *path, size_t at, const void *bytes, size_t n,
                                    const char *what) {
    write_dict_file(path, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 64);
    size_t size = 0;
    unsigned char *data = test_read_file(path, &size);
    assert_non_null(data);
    memcpy(data + at, bytes, n);
    write_file(path, data, size);
    free(data);
    expect_rejected(path, RVCIDX_EINPUT, what);
}

static void malformed_preambles_are_rejected(void **state) {
    (void)state;
    char dir[4096], path[4300];
    test_scratch_dir("npy_bad_preamble", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.npy", dir);
    expect_patched_rejected(path, 0, "\x93NUMPX", 6, "bad magic");
    expect_patched_rejected(path, 0, "PK\x03\x04", 4, "bad magic");
    expect_patched_rejected(path, 6, "\x04", 1, "unsupported .npy format version 4.0");
    expect_patched_rejected(path, 6, "\x00", 1, "version 0.0");
    expect_patched_rejected(path, 7, "\x01", 1, "version 2.1");
    expect_patched_rejected(path, 8, "\x01\x00\x01\x00", 4, "header length 65537 exceeds the limit");
    expect_patched_rejected(path, 8, "\xff\xff\xff\xff", 4, "header length 4294967295 exceeds");
    expect_patched_rejected(path, 8, "\x00\x00\x00\x00", 4, "does not end with a newline");
    expect_patched_rejected(path, 14, "\xe9", 1, "header byte 2 is not ASCII");
    expect_patched_rejected(path, 8, "\x00\x01\x00\x00", 4, "truncated header (152 bytes, the header needs 268)");
}

/* Prefixes of a valid file: each is an empty file or a truncated header. */
static void truncated_headers_are_rejected(void **state) {
    (void)state;
    unsigned char buf[512];
    size_t n = make_npy(buf, sizeof buf, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                        64, NULL, 0);
    rvcidx__npy_info info;
    assert_int_equal(rvcidx__npy_parse_header("t.npy", buf, 0, &info), RVCIDX_EINPUT);
    assert_non_null(strstr(rvcidx_last_error(), "t.npy: file is empty"));
    for (size_t len = 1; len < n; len++) {
        assert_int_equal(rvcidx__npy_parse_header("t.npy", buf, len, &info), RVCIDX_EINPUT);
        assert_non_null(strstr(rvcidx_last_error(), "t.npy: truncated header"));
    }
    assert_int_equal(rvcidx__npy_parse_header("t.npy", buf, n, &info), 0);
    /* a cap-sized length in a short file is a cap error, not a truncation */
    memcpy(buf + 8, "\x01\x00\x01\x00", 4);
    assert_int_equal(rvcidx__npy_parse_header("t.npy", buf, 12, &info), RVCIDX_EINPUT);
    assert_non_null(strstr(rvcidx_last_error(), "exceeds the limit"));
}

static void empty_file_is_rejected(void **state) {
    (void)state;
    char dir[4096], path[4300];
    test_scratch_dir("npy_empty", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/empty.npy", dir);
    write_file(path, "", 0);
    expect_rejected(path, RVCIDX_EINPUT, "file is empty (0 bytes)");
}

/* ---- data ------------------------------------------------------------------ */

static void truncated_data_and_trailing_bytes_are_rejected(void **state) {
    (void)state;
    char dir[4096], path[4300];
    test_scratch_dir("npy_size", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.npy", dir);
    unsigned char buf[512], zeros[32] = {0};
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    write_file(path, buf, make_npy(buf, sizeof buf, 1, dict, 64, zeros, 23));
    expect_rejected(path, RVCIDX_EINPUT, "truncated data: shape (2, 3) of '<f4' needs 152 bytes but the file has 151");
    write_file(path, buf, make_npy(buf, sizeof buf, 1, dict, 64, zeros, 0));
    expect_rejected(path, RVCIDX_EINPUT, "truncated data");
    write_file(path, buf, make_npy(buf, sizeof buf, 1, dict, 64, zeros, 25));
    expect_rejected(path, RVCIDX_EINPUT, "trailing bytes: 1 more than shape (2, 3) needs");
}

/* NaN or Inf anywhere names the row, counted from the file's start even when
 * it lies in a later read call or a later chunk. */
static void non_finite_values_name_their_row(void **state) {
    (void)state;
    if (!have_numpy()) skip();
    char dir[4096], path[4300];
    test_scratch_dir("npy_nan", dir, sizeof dir);
    run_python(dir, "a = np.zeros((300, 300), '<f4'); a[250, 7] = np.nan; np.save('nan250.npy', a)\n"
                    "a = np.zeros((40, 8), '<f4'); a[17, 0] = np.nan; np.save('nan17.npy', a)\n"
                    "a = np.zeros((40, 8), '>f4'); a[0, 7] = -np.inf; np.save('inf0.npy', a)\n"
                    "a = np.zeros((9, 2), '<f2'); a[8, 1] = np.inf; np.save('inf8_f2.npy', a)\n"
                    "a = np.zeros((9, 2), '<f2'); a[3, 1] = np.nan; np.save('nan3_f2.npy', a)\n"
                    "a = np.zeros((6, 4), '<f8'); a[5, 3] = 1e39; np.save('over5_f8.npy', a)\n"
                    "a = np.zeros((6, 4), '<f8'); a[2, 0] = -3.4028236e38; np.save('over2_f8.npy', a)\n"
                    "a = np.zeros((6, 4), '<f8'); a[4, 2] = np.inf; np.save('inf4_f8.npy', a)\n");
    const struct { const char *file, *what; } cases[] = {
        {"nan250.npy", "row 250 has a NaN or infinite value; fix or remove the file, or pass `skip_bad`"},
        {"nan17.npy", "row 17 has a NaN or infinite value"},
        {"inf0.npy", "row 0 has a NaN or infinite value"},
        {"inf8_f2.npy", "row 8 has a NaN or infinite value"},
        {"nan3_f2.npy", "row 3 has a NaN or infinite value"},
        {"over5_f8.npy", "row 5 has a NaN or infinite value (a float64 beyond float32's range)"},
        {"over2_f8.npy", "row 2 has a NaN or infinite value (a float64 beyond float32's range)"},
        {"inf4_f8.npy", "row 4 has a NaN or infinite value;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
        expect_rejected(path, RVCIDX_EINPUT, cases[i].what); /* 7 rows per call */
    }
    /* all 300 rows in one call: the NaN is in the call's second chunk */
    snprintf(path, sizeof path, "%s/nan250.npy", dir);
    rvcidx__npy_info info;
    float *values = NULL;
    unsigned char sha[32];
    assert_int_equal(read_npy(path, 300, &info, &values, sha), RVCIDX_EINPUT);
    assert_non_null(strstr(rvcidx_last_error(), "nan250.npy: row 250 has a NaN"));
}

/* ---- the reader's life cycle ------------------------------------------------- */

static void missing_file_and_directory_are_rejected(void **state) {
    (void)state;
    char dir[4096];
    test_scratch_dir("npy_paths", dir, sizeof dir);
    rvcidx__npy_reader r;
    assert_int_equal(rvcidx__npy_open(&r, "/nonexistent-rvcidx/a.npy"), RVCIDX_EIO);
    assert_non_null(strstr(rvcidx_last_error(), "/nonexistent-rvcidx/a.npy: cannot open"));
    assert_null(r.fp);
    rvcidx__npy_close(&r);
    assert_int_equal(rvcidx__npy_open(&r, dir), RVCIDX_EINPUT);
    assert_non_null(strstr(rvcidx_last_error(), "not a regular file"));
    assert_null(r.fp);
    assert_null(r.raw);
}

static void misuse_is_refused_and_close_is_idempotent(void **state) {
    (void)state;
    char dir[4096], path[4300];
    test_scratch_dir("npy_lifecycle", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.npy", dir);
    write_dict_file(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 64);
    rvcidx__npy_reader r;
    float out[6];
    uint64_t got = 9;
    unsigned char sha[32];
    assert_int_equal(rvcidx__npy_open(&r, path), 0);
    assert_int_equal(rvcidx__npy_read_rows(&r, out, 1, &got), 0);
    assert_int_equal(got, 1);
    assert_int_equal(rvcidx__npy_finish(&r, sha), RVCIDX_EINVAL); /* a row is left */
    assert_non_null(strstr(rvcidx_last_error(), "finish after 1 of 2 rows"));
    assert_int_equal(rvcidx__npy_read_rows(&r, out, 5, &got), 0);
    assert_int_equal(got, 1);
    assert_int_equal(rvcidx__npy_read_rows(&r, out, 5, &got), 0);
    assert_int_equal(got, 0);
    assert_int_equal(rvcidx__npy_finish(&r, sha), 0);
    assert_int_equal(rvcidx__npy_finish(&r, sha), RVCIDX_EINVAL);
    assert_int_equal(rvcidx__npy_read_rows(&r, out, 5, &got), RVCIDX_EINVAL);
    rvcidx__npy_close(&r);
    rvcidx__npy_close(&r);
    assert_int_equal(rvcidx__npy_read_rows(&r, out, 5, &got), RVCIDX_EINVAL);
    assert_int_equal(got, 0);
}

static void a_failed_read_stops_the_reader(void **state) {
    (void)state;
    char dir[4096], path[4300];
    test_scratch_dir("npy_failed", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.npy", dir);
    unsigned char buf[512], data[8] = {0, 0, 0, 0, 0, 0, 0xc0, 0x7f}; /* 0.0, NaN */
    write_file(path, buf, make_npy(buf, sizeof buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }", 64, data, 8));
    rvcidx__npy_reader r;
    float out[2];
    uint64_t got = 0;
    unsigned char sha[32];
    assert_int_equal(rvcidx__npy_open(&r, path), 0);
    assert_int_equal(rvcidx__npy_read_rows(&r, out, 2, &got), RVCIDX_EINPUT);
    assert_non_null(strstr(rvcidx_last_error(), "row 1 has a NaN"));
    assert_int_equal(got, 0);
    assert_int_equal(rvcidx__npy_read_rows(&r, out, 2, &got), RVCIDX_EINVAL);
    assert_int_equal(rvcidx__npy_finish(&r, sha), RVCIDX_EINVAL);
    rvcidx__npy_close(&r);
    rvcidx__npy_close(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_dtype_converts_exactly_as_numpy),
        cmocka_unit_test(reads_v1_v2_v3_headers_of_each_dtype),
        cmocka_unit_test(memory_frames_read_as_numpy_save_writes_them),
        cmocka_unit_test(keys_in_any_order_quotes_and_whitespace),
        cmocka_unit_test(any_padding_is_accepted),
        cmocka_unit_test(zero_rows_is_valid_and_hashed),
        cmocka_unit_test(malformed_dicts_are_rejected),
        cmocka_unit_test(malformed_preambles_are_rejected),
        cmocka_unit_test(truncated_headers_are_rejected),
        cmocka_unit_test(empty_file_is_rejected),
        cmocka_unit_test(truncated_data_and_trailing_bytes_are_rejected),
        cmocka_unit_test(non_finite_values_name_their_row),
        cmocka_unit_test(missing_file_and_directory_are_rejected),
        cmocka_unit_test(misuse_is_refused_and_close_is_idempotent),
        cmocka_unit_test(a_failed_read_stops_the_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
