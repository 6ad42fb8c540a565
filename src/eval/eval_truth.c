/* eval_truth.c — the ground truth when the indexed vectors are not held in
 * memory (past RVCIDX_ROWS_IN_MEMORY): the store's rows are searched a
 * block at a time in the backend's exact index, each query keeping its
 * nearest (index/knn.h), so eval never holds more than one block. */
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <float.h>
#include <stdlib.h>

#include "backend/backend.h"
#include "base/internal.h"
#include "eval/eval_queries.h"
#include "index/knn.h"
#include "index/sample.h"

enum { TRUTH_BLOCK_ROWS = RVCIDX__EVAL_TRUTH_BLOCK_ROWS };

static int search_block(const rvcidx__eval_data *d, const rvcidx__backend *b, int inner_product, int kk,
                        const float *block, uint64_t m, uint64_t at, float *dist, int64_t *ids, float *nd, int64_t *nr) {
    FaissIndex *flat = NULL;
    RVCIDX__TRY(b->new_flat(b, d->dim, inner_product, &flat));
    int rc = faiss_Index_add(flat, (idx_t)m, block) != 0
                 ? rvcidx__fail(RVCIDX_EFAISS, "faiss: filling the exact index failed: %s", faiss_get_last_error())
                 : 0;
    if (rc == 0) rc = rvcidx__knn_search_merge(flat, d->queries, d->nq, kk, inner_product, (int64_t)at, dist, ids, nd, nr);
    b->free_flat(b, flat);
    return rc;
}

int rvcidx__eval_truth_by_blocks(const rvcidx__eval_data *d, const rvcidx__backend *b, int inner_product, int kk,
                                 float *dist, int64_t *ids) {
    if (kk > RVCIDX__KNN_MAX_K)
        return rvcidx__fail(RVCIDX_EINVAL, "eval: k %d over %d with the vectors read from the store; raise "
                            "RVCIDX_ROWS_IN_MEMORY above %llu bytes to hold them", kk - 1, RVCIDX__KNN_MAX_K - 1,
                            (unsigned long long)(d->ntotal * (uint64_t)d->dim * sizeof(float)));
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(d->store_path, &st));
    uint64_t cells = d->nq * (uint64_t)kk;
    float *block = malloc(sizeof(float) * TRUTH_BLOCK_ROWS * (size_t)d->dim), *nd = malloc(sizeof(float) * cells);
    int64_t *nr = malloc(sizeof(int64_t) * cells);
    int rc = block && nd && nr ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory for the ground truth");
    for (uint64_t i = 0; i < cells; i++) dist[i] = FLT_MAX, ids[i] = -1;
    for (uint64_t at = 0; rc == 0 && at < d->ntotal; at += TRUTH_BLOCK_ROWS) {
        uint64_t m = d->ntotal - at < TRUTH_BLOCK_ROWS ? d->ntotal - at : TRUTH_BLOCK_ROWS;
        rc = rvcidx_store_read_rows(st, d->first_row + at, m, block);
        if (rc == 0 && d->cosine) rvcidx__normalize_rows(block, m, d->dim);
        if (rc == 0) rc = search_block(d, b, inner_product, kk, block, m, at, dist, ids, nd, nr);
    }
    for (uint64_t i = 0; inner_product && i < cells; i++) dist[i] = -dist[i]; /* the products, as faiss gives them */
    free(block), free(nd), free(nr);
    rvcidx_store_close(st);
    return rc;
}
