/* row_reader.c — single store rows by number, one pread() each (row_reader.h). */
#include "store/row_reader.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/internal.h"
#include "store/store_impl.h"

struct rvcidx__row_reader {
    int fd, dim;
    uint64_t first, rows, chunk_rows;
    uint64_t *offsets;
    size_t n_chunks;
    char path[PATH_MAX];
    atomic_int failed_errno; /* the first failed read's errno (EIO for a short read); 0 while none failed */
    atomic_llong failed_row;
};

int rvcidx__row_reader_open(const char *store_path, uint64_t first, uint64_t rows, rvcidx__row_reader **out) {
    *out = NULL;
    rvcidx__row_reader *r = calloc(1, sizeof *r);
    if (!r) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    r->fd = -1;
    rvcidx_store *st = NULL;
    int rc = rvcidx_store_open(store_path, &st);
    if (rc == 0 && (first > rvcidx_store_rows(st) || rows > rvcidx_store_rows(st) - first))
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: rows %llu..%llu are outside its %llu rows", store_path,
                          (unsigned long long)first, (unsigned long long)(first + rows),
                          (unsigned long long)rvcidx_store_rows(st));
    if (rc == 0) rc = rvcidx__store_raw_rows(st, &r->fd, &r->offsets, &r->n_chunks, &r->chunk_rows);
    if (rc == 0) r->dim = rvcidx_store_dim(st);
    rvcidx_store_close(st);
    if (rc) {
        rvcidx__row_reader_close(r);
        return rc;
    }
    snprintf(r->path, sizeof r->path, "%s", store_path);
    r->first = first, r->rows = rows;
    atomic_init(&r->failed_errno, 0);
    atomic_init(&r->failed_row, -1);
    *out = r;
    return 0;
}

static int remember_failure(rvcidx__row_reader *r, int64_t row, int err) {
    int none = 0;
    if (atomic_compare_exchange_strong(&r->failed_errno, &none, err ? err : EIO)) atomic_store(&r->failed_row, row);
    return -1;
}

int rvcidx__row_reader_get(rvcidx__row_reader *r, int64_t row, float *out) {
    if (row < 0 || (uint64_t)row >= r->rows) return remember_failure(r, row, ERANGE);
    uint64_t at = r->first + (uint64_t)row, row_bytes = (uint64_t)r->dim * sizeof(float);
    uint64_t chunk = at / r->chunk_rows;
    if (chunk >= r->n_chunks) return remember_failure(r, row, ERANGE);
    off_t offset = (off_t)(r->offsets[chunk] + (at % r->chunk_rows) * row_bytes);
    char *dst = (char *)out;
    for (size_t done = 0; done < row_bytes;) {
        ssize_t got = pread(r->fd, dst + done, row_bytes - done, offset + (off_t)done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return remember_failure(r, row, got < 0 ? errno : EIO);
        done += (size_t)got;
    }
    return 0;
}

int rvcidx__row_reader_status(const rvcidx__row_reader *r) {
    int err = atomic_load(&((rvcidx__row_reader *)r)->failed_errno);
    if (!err) return 0;
    long long row = atomic_load(&((rvcidx__row_reader *)r)->failed_row);
    return rvcidx__fail(RVCIDX_EIO, "%s: reading row %lld back failed: %s", r->path, row + (long long)r->first,
                        err == ERANGE ? "outside the indexed rows" : strerror(err));
}

int rvcidx__row_reader_dim(const rvcidx__row_reader *r) { return r->dim; }
uint64_t rvcidx__row_reader_rows(const rvcidx__row_reader *r) { return r->rows; }

void rvcidx__row_reader_close(rvcidx__row_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->offsets);
    free(r);
}
