/* eval_queries.h — private: the vectors eval measures with: every indexed
 * vector (for the ground truth and RVC's blend) and the queries. */
#ifndef RVCIDX_EVAL_QUERIES_H
#define RVCIDX_EVAL_QUERIES_H

#include <stdint.h>

#include "rvcidx/eval.h"

typedef struct rvcidx__eval_data {
    int dim;
    uint64_t ntotal;
    float *base;        /* ntotal x dim: the indexed vectors, as indexed */
    uint64_t nq;
    float *queries;     /* nq x dim */
    int64_t *self_ids;  /* nq: the query's own id (leave-one-out), or NULL */
} rvcidx__eval_data;

/* Loads rows [first_row, +ntotal) of the store (normalised for cosine) and
 * picks the queries: a seeded sample of them (leave-one-out), of the store's
 * other rows, or of the external queries store. */
int rvcidx__eval_data_load(const char *store_path, uint64_t first_row, uint64_t ntotal, int cosine,
                           const rvcidx_eval_params *p, rvcidx__eval_data *out);
void rvcidx__eval_data_free(rvcidx__eval_data *d);

#endif
