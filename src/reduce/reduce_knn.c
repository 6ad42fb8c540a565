/* reduce_knn.c — exact k-NN over a store's rows without holding them: the
 * rows are searched one block at a time and each query keeps its best k;
 * and chosen rows read back a block at a time.
 *
 * The reduction's measurement and `hubs` search hundreds of thousands of
 * rows; an IndexFlatL2 over all of them would copy them (2.3 GB more at
 * 750k x 768), so a block's index is built, searched and dropped instead,
 * and the results merged. Ties go to the lower row, whatever the blocks.
 */
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "base/faiss_check.h"
#include "base/internal.h"
#include "reduce/reduce_internal.h"

enum { KNN_MAX_K = RVCIDX__KNN_MAX_K, KNN_BLOCK_ROWS = 65536 };

int rvcidx__reduce_report(const rvcidx__reduce_env *env, const char *unit, uint64_t done, uint64_t total,
                          int finished) {
    if (!env || !env->progress) return 0;
    rvcidx_progress pr = {env->stage ? env->stage : "reduce", unit, done, total, 0, finished};
    return env->progress(&pr, env->progress_user) ? rvcidx__fail(RVCIDX_EINTR, "%s: stopped on request", pr.stage) : 0;
}

int rvcidx__reduce_relabel(const rvcidx_progress *p, void *env) {
    const rvcidx__reduce_env *e = env;
    rvcidx_progress pr = *p;
    pr.stage = e->stage ? e->stage : "reduce";
    return e->progress(&pr, e->progress_user);
}

int rvcidx__reduce_new_flat(const rvcidx__reduce_env *env, int dim, FaissIndex **out) {
    *out = NULL;
    if (env && env->backend) return env->backend->new_flat(env->backend, dim, 0, out);
    FaissIndexFlatL2 *flat = NULL;
    RVCIDX__FAISS_CHECK(faiss_IndexFlatL2_new_with(&flat, dim), "IndexFlatL2");
    *out = (FaissIndex *)flat;
    return 0;
}

void rvcidx__reduce_free_flat(const rvcidx__reduce_env *env, FaissIndex *flat) {
    if (!flat) return;
    if (env && env->backend) env->backend->free_flat(env->backend, flat);
    else faiss_Index_free(flat);
}

static int by_row(const void *a, const void *b) {
    const rvcidx__row_slot *x = a, *y = b;
    return (x->row > y->row) - (x->row < y->row);
}

int rvcidx__read_rows_at(rvcidx_store *st, uint64_t first, rvcidx__row_slot *want, size_t n, float *out) {
    int dim = rvcidx_store_dim(st), rc = 0;
    qsort(want, n, sizeof *want, by_row);
    float *block = malloc(sizeof(float) * (size_t)KNN_BLOCK_ROWS * (size_t)dim);
    if (!block) return rvcidx__fail(RVCIDX_ENOMEM, "reading %zu chosen rows: out of memory", n);
    for (size_t i = 0; rc == 0 && i < n;) {
        uint64_t at = (uint64_t)want[i].row - (uint64_t)want[i].row % KNN_BLOCK_ROWS;
        uint64_t m = KNN_BLOCK_ROWS, last = (uint64_t)want[n - 1].row + 1;
        if (at + m > last) m = last - at;
        if ((rc = rvcidx_store_read_rows(st, first + at, m, block)) != 0) break;
        for (; i < n && (uint64_t)want[i].row < at + m; i++)
            memcpy(out + want[i].slot * (uint64_t)dim, block + ((uint64_t)want[i].row - at) * (uint64_t)dim,
                   sizeof(float) * (size_t)dim);
    }
    free(block);
    return rc;
}

int rvcidx__knn_store(rvcidx_store *st, const rvcidx__reduce_env *env, uint64_t first, uint64_t n, const float *q,
                      uint64_t nq, int k, int64_t *ids) {
    int dim = rvcidx_store_dim(st), rc = 0;
    if (k < 1 || k > KNN_MAX_K) return rvcidx__fail(RVCIDX_EINVAL, "k-NN: k %d outside 1..%d", k, KNN_MAX_K);
    uint64_t block_rows = n < KNN_BLOCK_ROWS ? n : KNN_BLOCK_ROWS;
    float *block = malloc(sizeof(float) * (size_t)(block_rows ? block_rows : 1) * (size_t)dim);
    float *dist = malloc(sizeof(float) * (size_t)nq * (size_t)k), *nd = malloc(sizeof(float) * (size_t)nq * (size_t)k);
    int64_t *nr = malloc(sizeof(int64_t) * (size_t)nq * (size_t)k);
    if (!block || !dist || !nd || !nr) rc = rvcidx__fail(RVCIDX_ENOMEM, "k-NN: out of memory for %llu queries",
                                                        (unsigned long long)nq);
    for (uint64_t i = 0; rc == 0 && i < nq * (uint64_t)k; i++) dist[i] = FLT_MAX, ids[i] = -1;
    for (uint64_t at = 0; rc == 0 && at < n; at += KNN_BLOCK_ROWS) {
        uint64_t m = n - at < KNN_BLOCK_ROWS ? n - at : KNN_BLOCK_ROWS;
        FaissIndex *flat = NULL;
        if ((rc = rvcidx_store_read_rows(st, first + at, m, block)) != 0) break;
        if ((rc = rvcidx__reduce_new_flat(env, dim, &flat)) != 0) break;
        if (faiss_Index_add(flat, (idx_t)m, block) != 0)
            rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: exact k-NN: add failed: %s", faiss_get_last_error());
        if (rc == 0) rc = rvcidx__knn_search_merge(flat, q, nq, k, 0, (int64_t)at, dist, ids, nd, nr);
        rvcidx__reduce_free_flat(env, flat);
        if (rc == 0) rc = rvcidx__reduce_report(env, "rows", at + m, n, at + m == n);
    }
    free(block), free(dist), free(nd), free(nr);
    return rc;
}
