/* eval_queries.h — private: the vectors eval measures with: every indexed
 * vector (for the ground truth and RVC's blend) and the queries. */
#ifndef RVCIDX_EVAL_QUERIES_H
#define RVCIDX_EVAL_QUERIES_H

#include <stdint.h>

#include "rvcidx/eval.h"

/* Where "other speakers" queries come from when not from the measured store
 * itself: a reduced index's store (`max_vectors`) holds only the kept
 * vectors, and the other speakers' frames stay in the store it was reduced
 * from. The queries are a sample of store's rows outside [first_row, +rows). */
typedef struct rvcidx__eval_others {
    const char *store;
    uint64_t first_row, rows;
    int held_out; /* 1: a build's tuning index, the speakers after it held out: each speaker's
                     queries are drawn and measured apart (at most RVCIDX_EVAL_MAX_GROUPS) */
} rvcidx__eval_others;

struct rvcidx__row_reader;

typedef struct rvcidx__eval_data {
    int dim;
    uint64_t ntotal;
    const float *base;  /* ntotal x dim: the indexed vectors, as indexed; NULL when read by id (rows) */
    float *base_owned;  /* base when read from the store, NULL when borrowed */
    struct rvcidx__row_reader *rows; /* past RVCIDX_ROWS_IN_MEMORY: the store's rows by id, else NULL */
    const char *store_path;          /* where the indexed vectors are: rows [first_row, +ntotal) */
    uint64_t first_row;
    int cosine;
    uint64_t nq;
    float *queries;     /* nq x dim */
    int64_t *self_ids;  /* nq: the query's own id (leave-one-out), or NULL */
    uint64_t zero_rows; /* cosine: indexed vectors of norm 0 (they tie with every query) */
    int groups;         /* held-out speakers measured apart; 1: the queries are one group */
    uint8_t *query_group; /* nq: each query's group, NULL with one group */
    char group_names[RVCIDX_EVAL_MAX_GROUPS][64];
    uint64_t group_queries[RVCIDX_EVAL_MAX_GROUPS];
} rvcidx__eval_data;

/* Takes the indexed vectors from indexed (borrowed: ntotal x dim, e.g. the
 * refine index's exact copy; it must outlive out) or, when NULL, reads rows
 * [first_row, +ntotal) of the store (normalised for cosine): all at once up
 * to RVCIDX_ROWS_IN_MEMORY bytes, past it one by one when asked
 * (rvcidx__eval_row); store_path must outlive out. It picks the
 * queries: a seeded sample of them (leave-one-out), of the store's other
 * rows, or of the external queries store. Fails when the store's D is not
 * index_dim. */
int rvcidx__eval_data_load(const char *store_path, uint64_t first_row, uint64_t ntotal, int index_dim, int cosine,
                           const float *indexed, const rvcidx_eval_params *p, const rvcidx__eval_others *others,
                           rvcidx__eval_data *out);
void rvcidx__eval_data_free(rvcidx__eval_data *d);

/* Indexed vector id: in memory, or read into buf (dim floats); NULL when
 * the read failed (rvcidx_last_error() says why). */
const float *rvcidx__eval_row(const rvcidx__eval_data *d, int64_t id, float *buf);

/* Rows of norm 0 among the indexed vectors (read a block at a time when
 * they are not in memory). */
int rvcidx__eval_zero_rows(const rvcidx__eval_data *d, uint64_t *zeros);

/* Rows searched at once for the ground truth when read from the store: the
 * block and the exact index's copy of it, 96 MiB at D=768 (the plan counts
 * them). */
enum { RVCIDX__EVAL_TRUTH_BLOCK_ROWS = 16384 };

struct rvcidx__backend;
/* The exact kk nearest indexed vectors of every query (nq x kk, nearest
 * first, ties to the lower row) when they are read from the store: its
 * rows searched a block at a time on backend b (eval_truth.c). kk <= 64. */
int rvcidx__eval_truth_by_blocks(const rvcidx__eval_data *d, const struct rvcidx__backend *b, int inner_product, int kk,
                                 float *dist, int64_t *ids);

#endif
