/* sample.c — seeded row samples from a store, and L2 normalisation. */
#include "index/sample.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/internal.h"
#include "base/rng.h"

enum { BLOCK_ROWS = 8192 };

void rvcidx__normalize_rows(float *x, uint64_t n, int dim) {
    const double eps = 1e-12;
    for (uint64_t i = 0; i < n; i++) {
        float *row = x + i * (uint64_t)dim;
        double sum = 0.0;
        for (int j = 0; j < dim; j++) sum += (double)row[j] * row[j];
        double norm = sqrt(sum);
        float scale = (float)(1.0 / (norm > eps ? norm : eps));
        for (int j = 0; j < dim; j++) row[j] *= scale;
    }
}

static int report(rvcidx_progress_fn progress, void *user, uint64_t done, uint64_t total, int finished) {
    if (!progress) return 0;
    rvcidx_progress p = {"sample", "rows", done, total, 0, finished};
    return progress(&p, user) ? rvcidx__fail(RVCIDX_EINTR, "sampling: stopped on request") : 0;
}

/* Copies the chosen rows of one block to out; returns how many. */
static uint64_t pick_rows(rvcidx__rng *rng, const float *block, uint64_t rows, int dim, uint64_t *wanted,
                          uint64_t *left, float *out) {
    uint64_t taken = 0;
    for (uint64_t i = 0; i < rows && *wanted; i++, (*left)--) {
        if (rvcidx__rng_uniform(rng) * (double)*left >= (double)*wanted) continue;
        memcpy(out + taken * (uint64_t)dim, block + i * (uint64_t)dim, sizeof(float) * (size_t)dim);
        taken++;
        (*wanted)--;
    }
    return taken;
}

static int hash_floats(const float *x, uint64_t count, char *sha_hex) {
    unsigned char md[32];
    unsigned len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, x, count * sizeof(float)) == 1 && EVP_DigestFinal_ex(ctx, md, &len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return rvcidx__fail(RVCIDX_ENOMEM, "sha256 of the sample failed");
    rvcidx__hex(md, 32, sha_hex);
    return 0;
}

/* Where rvcidx__sample_rows puts what it picks: one array, in row order. */
typedef struct into_array {
    float *out;
    uint64_t taken;
    int dim;
} into_array;

static int append_to_array(const float *rows, uint64_t n, void *ctx) {
    into_array *a = ctx;
    memcpy(a->out + a->taken * (uint64_t)a->dim, rows, sizeof(float) * (size_t)n * (size_t)a->dim);
    a->taken += n;
    return 0;
}

int rvcidx__sample_rows_each(rvcidx_store *store, uint64_t first, uint64_t n, uint64_t want, uint64_t seed,
                             rvcidx_progress_fn progress, void *progress_user, rvcidx__rows_fn each, void *ctx) {
    int dim = rvcidx_store_dim(store);
    if (want > n) want = n;
    float *block = malloc(sizeof(float) * BLOCK_ROWS * (size_t)dim);
    float *picked = want < n ? malloc(sizeof(float) * BLOCK_ROWS * (size_t)dim) : NULL;
    if (!block || (want < n && !picked)) {
        free(block), free(picked);
        return rvcidx__fail(RVCIDX_ENOMEM, "out of memory for a %d-row block of D=%d", BLOCK_ROWS, dim);
    }
    rvcidx__rng rng;
    rvcidx__rng_init(&rng, seed, 0x5a4d1e);
    uint64_t wanted = want, left = n;
    int rc = report(progress, progress_user, 0, n, 0);
    for (uint64_t at = 0; rc == 0 && at < n && wanted; at += BLOCK_ROWS) {
        uint64_t rows = n - at < BLOCK_ROWS ? n - at : BLOCK_ROWS;
        rc = rvcidx_store_read_rows(store, first + at, rows, block);
        if (rc == 0 && want == n) { /* everything */
            wanted -= rows;
            rc = each(block, rows, ctx);
        } else if (rc == 0) {
            uint64_t got = pick_rows(&rng, block, rows, dim, &wanted, &left, picked);
            if (got) rc = each(picked, got, ctx);
        }
        if (rc == 0) rc = report(progress, progress_user, at + rows, n, 0);
    }
    free(block), free(picked);
    if (rc == 0) rc = report(progress, progress_user, n, n, 1);
    return rc;
}

int rvcidx__sample_rows(rvcidx_store *store, uint64_t first, uint64_t n, uint64_t want, uint64_t seed,
                        rvcidx_progress_fn progress, void *progress_user, float **out, char *sha_hex) {
    int dim = rvcidx_store_dim(store);
    if (want > n) want = n;
    *out = NULL;
    into_array a = {malloc(sizeof(float) * (size_t)(want ? want : 1) * (size_t)dim), 0, dim};
    if (!a.out)
        return rvcidx__fail(RVCIDX_ENOMEM, "out of memory for a %llu-row training sample of D=%d",
                            (unsigned long long)want, dim);
    int rc = rvcidx__sample_rows_each(store, first, n, want, seed, progress, progress_user, append_to_array, &a);
    if (rc == 0 && sha_hex) rc = hash_floats(a.out, a.taken * (uint64_t)dim, sha_hex);
    if (rc) {
        free(a.out);
        return rc;
    }
    *out = a.out;
    return 0;
}
