/* store_check.c — reads a just-written store back before it is published.
 *
 * HDF5 has been seen to return success for every call, H5Fclose included,
 * after one of its writes failed with ENOSPC (the variable-length strings of
 * a table were lost). So a store is published only after its temporary file
 * reopens as a store whose tables agree with what was written and whose
 * newly appended rows hash to the bytes appended (tests/py/test_io_faults.py).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store_impl.h"

enum { CHECK_BLOCK_ROWS = 4096 };

static int is_sha256_hex(const char *s) {
    if (!s || strlen(s) != 64) return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

static int check_tables(const rvcidx__store_writer *w, rvcidx_store *st) {
    size_t n = rvcidx_store_source_count(st);
    if (n != w->sources)
        return rvcidx__fail(RVCIDX_EIO, "%s: read back %zu sources, wrote %zu (disk full or I/O error?)", w->final_path, n, w->sources);
    uint64_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        rvcidx_store_source s;
        rvcidx_store_get_source(st, i, &s);
        int status_ok = !strcmp(s.status, "ok") || !strcmp(s.status, "empty") || !strcmp(s.status, "rejected");
        if (!is_sha256_hex(s.sha256) || !status_ok || !s.speaker[0] || !s.path[0])
            return rvcidx__fail(RVCIDX_EIO, "%s: source %zu read back damaged (disk full or I/O error?)", w->final_path, i);
        rows += s.rows;
    }
    if (rows != w->rows || rvcidx_store_rows(st) != w->rows)
        return rvcidx__fail(RVCIDX_EIO, "%s: %llu rows read back, %llu written (disk full or I/O error?)", w->final_path,
                            (unsigned long long)rvcidx_store_rows(st), (unsigned long long)w->rows);
    return 0;
}

static int check_appended_rows(rvcidx__store_writer *w, rvcidx_store *st) {
    if (!w->appended_sha_valid) return 0;
    unsigned char want[32], got[32];
    unsigned len = 0;
    if (EVP_DigestFinal_ex(w->appended_sha, want, &len) != 1) return rvcidx__fail(RVCIDX_ENOMEM, "sha256 failed");
    float *block = malloc(sizeof(float) * CHECK_BLOCK_ROWS * (size_t)w->dim);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = block && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    for (uint64_t at = w->appended_from; rc == 0 && at < w->rows; at += CHECK_BLOCK_ROWS) {
        uint64_t n = w->rows - at < CHECK_BLOCK_ROWS ? w->rows - at : CHECK_BLOCK_ROWS;
        rc = rvcidx_store_read_rows(st, at, n, block);
        if (rc == 0 && EVP_DigestUpdate(ctx, block, sizeof(float) * n * (uint64_t)w->dim) != 1)
            rc = rvcidx__fail(RVCIDX_ENOMEM, "sha256 failed");
    }
    if (rc == 0 && EVP_DigestFinal_ex(ctx, got, &len) != 1) rc = rvcidx__fail(RVCIDX_ENOMEM, "sha256 failed");
    if (rc == 0 && memcmp(want, got, 32) != 0)
        rc = rvcidx__fail(RVCIDX_EIO, "%s: the rows read back differ from those written (disk full or I/O error?)", w->final_path);
    EVP_MD_CTX_free(ctx);
    free(block);
    return rc;
}

int rvcidx__store_check_written(rvcidx__store_writer *w) {
    rvcidx_store *st = NULL;
    if (rvcidx_store_open(w->tmp_path, &st) != 0)
        return rvcidx__fail(RVCIDX_EIO, "%s: the written store does not read back (%s); nothing was published",
                            w->final_path, rvcidx_last_error());
    int rc = check_tables(w, st);
    if (rc == 0) rc = check_appended_rows(w, st);
    rvcidx_store_close(st);
    return rc;
}
