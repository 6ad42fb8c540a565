/* index_internal.h — private: what train and encode share: the resolved
 * plan (row range, nlist, sample size) and small parameter helpers. */
#ifndef RVCIDX_INDEX_INTERNAL_H
#define RVCIDX_INDEX_INTERNAL_H

#include <stdint.h>

#include "rvcidx/index.h"
#include "rvcidx/store.h"

/* Rows per faiss add call. Split builds cut their parts on this grid, so each
 * part adds exactly the batches a single build adds: faiss assigns batches
 * of under 20 rows through another code path than larger ones. */
enum { RVCIDX__ADD_BATCH_ROWS = 16384 };

typedef struct rvcidx__index_plan {
    int dim;
    uint64_t first_row, rows; /* the store range indexed */
    int64_t nlist;
    uint64_t train_rows;
} rvcidx__index_plan;

/* The k-means sample: --train-rows (p->train_rows > 0) or auto,
 * RVCIDX_TRAIN_ROWS_PER_LIST * nlist, at most rows. Shared with plan's
 * prediction so the two cannot drift apart. */
uint64_t rvcidx__train_rows(const rvcidx_index_params *p, int64_t nlist, uint64_t rows);

/* Resolves the auto parameters against the store and checks them. */
int rvcidx__index_plan_make(const rvcidx_index_params *p, const rvcidx_store *store, const char *store_path,
                            rvcidx__index_plan *plan);

const char *rvcidx__metric_name(rvcidx_metric m);

/* base_path holds the store's rows p->first_row.. (its ntotal of them), added
 * from a trained empty index; out_path gets it with the rest of the range
 * (p->rows, 0: to the end) added on the same batch grid as one add of the
 * whole range, and nprobe/k_factor stored. Lets a build tune on an index of
 * its first rows and ship that index extended, encoding each row once. */
int rvcidx__encode_extend(const char *store_path, const char *base_path, const char *out_path,
                          const rvcidx_index_params *p, int nprobe, int k_factor, rvcidx_encode_result *res);

#endif
