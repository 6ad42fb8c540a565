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

#include "base/hash.h"
#include "base/internal.h"
#include "store/store_impl.h"

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

/* One pass over every row read back: the appended ones must hash to the
 * bytes appended, all of them to the rows_sha256 recorded in the file. */
static int check_rows(rvcidx__store_writer *w, rvcidx_store *st) {
    char before[65], appended[65], all[65], want[65];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    if (rc == 0) rc = rvcidx__store_rows_sha256(st, 0, w->appended_from, before, ctx);
    if (rc == 0) rc = rvcidx__store_rows_sha256(st, w->appended_from, w->rows - w->appended_from, appended, ctx);
    if (rc == 0) rc = rvcidx__sha256_final_hex(ctx, all);
    if (rc == 0 && w->appended_sha_valid && (rc = rvcidx__sha256_final_hex(w->appended_sha, want)) == 0 && strcmp(want, appended) != 0)
        rc = rvcidx__fail(RVCIDX_EIO, "%s: the rows read back differ from those written (disk full or I/O error?)", w->final_path);
    w->appended_sha_valid = 0;
    if (rc == 0 && (strcmp(all, w->rows_sha256) != 0 || strcmp(all, rvcidx__store_recorded_rows_sha256(st)) != 0))
        rc = rvcidx__fail(RVCIDX_EIO, "%s: the rows read back do not hash to the rows_sha256 recorded (disk full or "
                          "I/O error?)", w->final_path);
    EVP_MD_CTX_free(ctx);
    return rc;
}

int rvcidx__store_check_written(rvcidx__store_writer *w) {
    rvcidx_store *st = NULL;
    if (rvcidx_store_open(w->tmp_path, &st) != 0)
        return rvcidx__fail(RVCIDX_EIO, "%s: the written store does not read back (%s); nothing was published",
                            w->final_path, rvcidx_last_error());
    int rc = check_tables(w, st);
    if (rc == 0) rc = check_rows(w, st);
    rvcidx_store_close(st);
    return rc;
}
