/* index_internal.h — private: what train and encode share: the resolved
 * plan (row range, nlist, sample size) and small parameter helpers. */
#ifndef RVCIDX_INDEX_INTERNAL_H
#define RVCIDX_INDEX_INTERNAL_H

#include <faiss/c_api/Index_c.h>
#include <stdint.h>

#include "rvcidx/index.h"
#include "rvcidx/store.h"

/* Rows per faiss add call. Split builds cut their parts on this grid, so each
 * part adds exactly the batches a single build adds: faiss assigns batches
 * of under 20 rows through another code path than larger ones. */
enum { RVCIDX__ADD_BATCH_ROWS = 16384 };

/* Rows the PQ codes are trained on, at most (encode.c; the plan counts them). */
enum { RVCIDX__PQ_TRAIN_ROWS = 65536 };

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

struct rvcidx__backend;
struct rvcidx__ctx;
/* rvcidx_train in a run's context (backend/run_context.h): its device,
 * acquired once for the run, and progress callback. */
int rvcidx__train(const char *store_path, const char *centroids_path, const rvcidx_index_params *params,
                  struct rvcidx__ctx *ctx, rvcidx_train_result *result);

/* faiss's k-means of n rows of x into k centres, with p's iterations, seed
 * and metric (spherical for ip/cosine), assigning with the backend's flat
 * index: what training runs, and what `max_vectors`' kmeans reduction runs.
 * *out: k*dim floats (malloc'd, the caller frees), NULL on failure. */
int rvcidx__kmeans(const rvcidx_index_params *p, int dim, int64_t k, const float *x, uint64_t n,
                   struct rvcidx__backend *backend, float **out);

/* Bytes of vectors a build holds in memory to tune and measure with, past
 * which it reads them from the store by id instead (store/row_reader.h):
 * RVCIDX_ROWS_IN_MEMORY (a size; the plan refuses a bad one), else 256 MiB.
 * Below it the tuning index keeps its refine storage as faiss does. */
uint64_t rvcidx__rows_in_memory_max(void);

/* Bytes per row of the refine storage p's index keeps (0 for IVF-Flat). */
uint64_t rvcidx__refine_row_bytes(const rvcidx_index_params *p, int dim);

/* The two rules RVCIDX_ROWS_IN_MEMORY sets, for encode, tuning, eval,
 * index auto and the plan alike: 1 when the refine storage of rows vectors
 * of dim would pass it (the refine then reads its rows by id), and when
 * rows vectors of dim as floats would (eval then reads them by id; auto
 * does not build IVF-Flat). */
int rvcidx__refine_past_limit(const rvcidx_index_params *p, int dim, uint64_t rows);
int rvcidx__vectors_past_limit(int dim, uint64_t rows);

/* An index being encoded in memory: trained, then filled by rows in order.
 * Builds use it to measure the index of their first rows (the tuning index)
 * before adding the rest. Owns index and store. */
typedef struct rvcidx__encoding {
    rvcidx_index_params p; /* resolved: nlist from the centroids */
    rvcidx__index_plan plan;
    rvcidx_store *store;
    FaissIndex *index;
    rvcidx_run run;  /* its progress callback */
    uint64_t added; /* rows of the plan's range added so far */
    struct rvcidx__row_reader *rows; /* the refine's rows, read by id (rows_by_id), else NULL */
    double started;
} rvcidx__encoding;

/* Trains the empty index from the centroids (PQ on the seeded sample) and
 * reserves exact storage for the whole range; with rows_by_id (ivfpq4fs
 * only) the refine keeps no storage and reads each row from the store by
 * id (rvcidx_faiss_IndexRefine_new_from_rows): the same searches, none of
 * the range's rows in memory. Frees e on failure. */
int rvcidx__encoding_open(const char *store_path, const char *centroids_path, const rvcidx_index_params *p,
                          const rvcidx_run *run, int rows_by_id, rvcidx__encoding *e);

/* Adds the range's rows up to rows (counted from its first), in the add
 * batches one add of the whole range makes: the same bytes in the end. */
int rvcidx__encoding_add(rvcidx__encoding *e, uint64_t rows);

/* Writes the index to path (atomically) and describes it in res. */
int rvcidx__encoding_save(rvcidx__encoding *e, const char *path, rvcidx_encode_result *res);

/* For an RFlat index (ivfpq4fs, refine flat), or any refine read by id:
 * drops the float storage of the rows added so far (RFlat), adds the rest
 * of the range to the PQ index alone, stores nprobe and k_factor, and
 * writes the file with the rows streamed from the store, as floats or SQ
 * codes (index_io.h): the same bytes as adding everything and
 * rvcidx__encoding_save, without the range's rows in memory. For RFlat
 * e->index is then the base index. */
int rvcidx__encoding_finish_streamed(rvcidx__encoding *e, const char *path, int nprobe, int k_factor,
                                     rvcidx_encode_result *res);

void rvcidx__encoding_free(rvcidx__encoding *e);

#endif
