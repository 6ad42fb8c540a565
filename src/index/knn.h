/* knn.h — private: exact k-NN over rows searched a block at a time, each
 * query keeping its best k: what the reduction and eval's ground truth use
 * when the rows are too many to hold in one flat index. */
#ifndef RVCIDX_KNN_H
#define RVCIDX_KNN_H

#include <faiss/c_api/Index_c.h>
#include <stdint.h>

enum { RVCIDX__KNN_MAX_K = 64 };

/* Merges k new neighbours (nd/nr nearest first, rows offset by base; -1
 * none) into one query's best k (dist/row nearest first): nearer first,
 * then the lower row. Distances are "smaller is nearer" (an inner product
 * enters negated). */
void rvcidx__knn_merge(float *dist, int64_t *row, const float *nd, const int64_t *nr, int64_t base, int k);

/* Searches nq queries q in flat (k <= 64 nearest, nd/nr the caller's
 * nq*k scratch) and merges the results, rows offset by base, into each
 * query's running best dist/row. inner_product: flat ranks by inner
 * product, and dist holds the products negated. */
int rvcidx__knn_search_merge(FaissIndex *flat, const float *q, uint64_t nq, int k, int inner_product, int64_t base,
                             float *dist, int64_t *row, float *nd, int64_t *nr);

#endif
