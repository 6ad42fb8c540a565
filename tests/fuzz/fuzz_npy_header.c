/* fuzz_npy_header.c — libFuzzer target for the .npy reader (zstd style: the
 * same LLVMFuzzerTestOneInput runs under libFuzzer and, through
 * regression_driver.c, over the committed corpus in every ctest run).
 *
 * Each input is parsed as a header from memory, then written to a file and
 * run through the whole reader, and the two are checked against each other
 * and against invariants a sanitizer cannot see: the header and file-size
 * checks agree, the data size is what the shape says, every row is read,
 * every value is finite, and the reader's sha256 is that of the input. A
 * violated invariant aborts, which libFuzzer reports as a crash.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../../src/ingest/npy.h"

/* The outcome of the last input: 0 accepted whole, else the reader's error.
 * The regression driver checks it against the corpus file's name. */
int fuzz_npy_last_rc;

#define FUZZ_MAX_ROWS 3 /* small, so inputs with several rows take several reads */

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                               \
        }                                                                          \
    } while (0)

static void check_info(const rvcidx__npy_info *in, size_t size) {
    CHECK(in->major >= 1 && in->major <= 3 && in->minor == 0);
    CHECK(in->data_offset <= size && in->data_offset <= RVCIDX__NPY_MAX_HEADER + 12);
    CHECK(in->cols > 0);
    CHECK(in->data_bytes == in->rows * in->cols * (uint64_t)in->itemsize);
    CHECK(strlen(in->descr) == 3);
}

static const char *temp_path(void) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_npy_%ld.npy", (long)getpid());
    return path;
}

static int write_input(const char *path, const uint8_t *data, size_t size) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    size_t written = size ? fwrite(data, 1, size, fp) : 0;
    return fclose(fp) == 0 && written == size ? 0 : -1;
}

/* Reads every row; returns the reader's status. */
static int read_all(rvcidx__npy_reader *r, const uint8_t *data, size_t size) {
    const rvcidx__npy_info *in = &r->info;
    /* the size check at open bounds cols by the input size whenever rows > 0 */
    float *out = malloc(in->rows ? FUZZ_MAX_ROWS * in->cols * sizeof(float) : sizeof(float));
    CHECK(out);
    uint64_t total = 0, got = 0;
    int rc;
    while ((rc = rvcidx__npy_read_rows(r, out, FUZZ_MAX_ROWS, &got)) == 0 && got > 0) {
        CHECK(got <= FUZZ_MAX_ROWS);
        for (uint64_t i = 0; i < got * in->cols; i++) CHECK(isfinite(out[i]));
        total += got;
    }
    free(out);
    if (rc != 0) return rc;
    CHECK(total == in->rows);
    unsigned char sha[32], expected[32];
    rc = rvcidx__npy_finish(r, sha);
    CHECK(rc == 0);
    CHECK(EVP_Digest(data, size, expected, NULL, EVP_sha256(), NULL) == 1);
    CHECK(memcmp(sha, expected, 32) == 0);
    return 0;
}

static int run_reader(const uint8_t *data, size_t size, const rvcidx__npy_info *parsed, int parse_rc) {
    const char *path = temp_path();
    CHECK(write_input(path, data, size) == 0);
    rvcidx__npy_reader r;
    int rc = rvcidx__npy_open(&r, path);
    if (rc == 0) {
        /* the reader parsed the same bytes: it must agree with the pure parser */
        CHECK(parse_rc == 0 && memcmp(&r.info, parsed, sizeof *parsed) == 0);
        CHECK(parsed->data_offset + parsed->data_bytes == size);
        check_info(&r.info, size);
        rc = read_all(&r, data, size);
    } else {
        CHECK(r.fp == NULL && r.raw == NULL && r.sha == NULL && r.path == NULL);
    }
    rvcidx__npy_close(&r);
    rvcidx__npy_close(&r); /* twice is harmless */
    unlink(path);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rvcidx__npy_info info;
    int parse_rc = rvcidx__npy_parse_header("fuzz.npy", data, size, &info);
    if (parse_rc == 0) check_info(&info, size);
    fuzz_npy_last_rc = run_reader(data, size, &info, parse_rc);
    return 0;
}
