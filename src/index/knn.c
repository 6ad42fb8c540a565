/* knn.c — merging exact k-NN results of row blocks (knn.h). Ties go to the
 * lower row, whatever the blocks. */
#include "index/knn.h"

#include <faiss/c_api/error_c.h>
#include <string.h>

#include "base/internal.h"

/* (d, r) before (e, s): nearer first, then the lower row. */
static int closer(float d, int64_t r, float e, int64_t s) { return d < e || (d == e && (s < 0 || r < s)); }

void rvcidx__knn_merge(float *dist, int64_t *row, const float *nd, const int64_t *nr, int64_t base, int k) {
    float d[RVCIDX__KNN_MAX_K];
    int64_t r[RVCIDX__KNN_MAX_K];
    int i = 0, j = 0;
    for (int o = 0; o < k; o++) {
        int64_t cand = j < k && nr[j] >= 0 ? nr[j] + base : -1; /* -1: no more new neighbours */
        if (cand >= 0 && (i >= k || closer(nd[j], cand, dist[i], row[i]))) d[o] = nd[j], r[o] = cand, j++;
        else d[o] = dist[i], r[o] = row[i], i++;
    }
    memcpy(dist, d, sizeof(float) * (size_t)k), memcpy(row, r, sizeof(int64_t) * (size_t)k);
}

int rvcidx__knn_search_merge(FaissIndex *flat, const float *q, uint64_t nq, int k, int inner_product, int64_t base,
                             float *dist, int64_t *row, float *nd, int64_t *nr) {
    if (!nq) return 0;
    if (k < 1 || k > RVCIDX__KNN_MAX_K) return rvcidx__fail(RVCIDX_EINVAL, "k-NN: k %d outside 1..%d", k, RVCIDX__KNN_MAX_K);
    if (faiss_Index_search(flat, (idx_t)nq, q, k, nd, nr) != 0)
        return rvcidx__fail(RVCIDX_EFAISS, "faiss: exact k-NN: %s", faiss_get_last_error());
    if (inner_product)
        for (uint64_t i = 0; i < nq * (uint64_t)k; i++) nd[i] = -nd[i];
    for (uint64_t i = 0; i < nq; i++)
        rvcidx__knn_merge(dist + i * (uint64_t)k, row + i * (uint64_t)k, nd + i * (uint64_t)k, nr + i * (uint64_t)k,
                          base, k);
    return 0;
}
