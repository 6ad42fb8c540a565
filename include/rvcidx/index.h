/* rvcidx/index.h — stages 2 and 3: train IVF centroids (GPU or CPU), then
 * encode a store into the index RVC loads.
 *
 * train:  a seeded sample of the store's rows -> k-means -> CENTROIDS.h5
 *         (the centroids with their parameters and the sample's sha256, so
 *         encoding can rerun without retraining);
 * encode: the centroids fill the IVF quantizer (faiss then trains only the
 *         PQ, on residuals), the exact-refine wrapper is added, and every row
 *         of the store is streamed in -> a faiss index file written under a
 *         temporary name and renamed into place.
 * Either stage can work on a row range of the store (one speaker's rows for
 * per-speaker indexes).
 */
#ifndef RVCIDX_INDEX_H
#define RVCIDX_INDEX_H

#include "rvcidx/export.h"

#include <stddef.h>
#include <stdint.h>

#include "rvcidx/progress.h"
#include "rvcidx/run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rvcidx_index_type {
    RVCIDX_INDEX_IVFPQ4FS = 0, /* IVF{nlist},PQ{D/2}x4fs + a refine (RFlat; `refine` for fp16/sq8) */
    RVCIDX_INDEX_IVFFLAT = 1,  /* IVF{nlist},Flat: RVC's own type */
    RVCIDX_INDEX_AUTO = 2      /* rvcidx_build_index only: build IVF-Flat, PQx4fs and PQx4fsr
                                  (each refine storage that fits `max_index_size`), tune each,
                                  ship the one that measures best (rvcidx/index_build.h) */
} rvcidx_index_type;

typedef enum rvcidx_metric {
    RVCIDX_METRIC_L2 = 0,     /* as RVC */
    RVCIDX_METRIC_IP = 1,     /* inner product on the vectors as they are */
    RVCIDX_METRIC_COSINE = 2  /* inner product on L2-normalised vectors: the
                                 index then stores the normalised vectors */
} rvcidx_metric;

/* What the refine wrapper of an ivfpq4fs index stores to re-rank with, and
 * what apps get back from reconstruct_n. Every RVC app keeps
 * reconstruct_n(0, ntotal) as floats, so the memory an app holds is the file
 * plus N*D*4 bytes whichever is chosen: only the file shrinks. */
typedef enum rvcidx_refine {
    RVCIDX_REFINE_FLAT = 0, /* RFlat: the float vectors, exact (N*D*4 bytes) */
    RVCIDX_REFINE_FP16 = 1, /* Refine(SQfp16): half floats (N*D*2 bytes) */
    RVCIDX_REFINE_SQ8 = 2   /* Refine(SQ8): 8 bits per component, per-dimension
                               min/max trained on the PQ's sample (N*D bytes) */
} rvcidx_refine;

/* --train-rows auto: k-means samples at most this many rows per list. faiss
 * advises 30 to 256 per centroid; other speakers' frames found their
 * neighbours at least as well with 64 as with every row (docs/parameters.md),
 * and k-means costs grow with the sample: with nlist proportional to
 * sqrt(N) this keeps them linear in N. */
#define RVCIDX_TRAIN_ROWS_PER_LIST 64

/* --nlist auto: this many lists per sqrt(N). The seed's range is 4..16; at 2
 * k-means (rows x lists, both proportional to nlist) costs a quarter and the
 * assignment of every row half, and other speakers' frames reached the
 * recall target at half the nprobe with faster searches (docs/parameters.md,
 * bench/RESULTS.md §11). */
#define RVCIDX_NLIST_PER_SQRT_N 2

/* Default k-means iterations. faiss's default is 25; on other speakers'
 * frames, recall after 10 matched recall after 25 to within 0.0004 at every
 * setting measured, for 2.5x less k-means time (docs/parameters.md). */
#define RVCIDX_KMEANS_ITERATIONS 10

typedef struct rvcidx_index_params {
    rvcidx_index_type type;
    rvcidx_metric metric;
    int64_t nlist;        /* 0: auto (rvcidx_auto_nlist) */
    uint64_t seed;        /* k-means and sampling seed (default 1234) */
    int iterations;       /* k-means iterations (default RVCIDX_KMEANS_ITERATIONS) */
    int64_t train_rows;   /* 0: auto, min(N, RVCIDX_TRAIN_ROWS_PER_LIST * nlist) */
    int nprobe;           /* search setting written into the file (default 16) */
    int k_factor;         /* refine candidates per result (default 8; ivfpq4fs only) */
    rvcidx_refine refine; /* refine storage (ivfpq4fs only; default flat) */
    int residual;         /* ivfpq4fs only: 1 encodes each vector's residual to its list's
                             centroid (`PQ{D/2}x4fsr`, `index=ivfpq4fsr`); 0 (default) the
                             vector itself (`x4fs`, the seed's index) */
    uint64_t max_index_size; /* build only, > 0: ship the most exact refine (flat, fp16, sq8)
                                whose file fits in this many bytes, else RVCIDX_ETOOBIG */
    uint64_t first_row;   /* row range of the store to use ... */
    uint64_t rows;        /* ... 0: to the end */
} rvcidx_index_params;

RVCIDX_API rvcidx_index_params rvcidx_index_default_params(void);

/* Sets one parameter from text, by the name of the CLI's option without its
 * dashes, '-' or '_' alike: index (ivfpq4fs|ivfpq4fsr|ivfflat|auto; ivfpq4fsr is
 * ivfpq4fs with `residual` 1), metric
 * (l2|ip|cosine), nlist (N|auto), seed, iterations, train_rows (N|auto),
 * nprobe, k_factor, refine (flat|fp16|sq8),
 * max_index_size (SIZE: 500M, 2G, 1048576; 0: none); the same ranges as the
 * options. RVCIDX_EINVAL for an unknown name or a bad value, the message
 * starting with the name ("nlist: 'x' is not an integer in 1..16777216"). */
RVCIDX_API int rvcidx_index_params_set(rvcidx_index_params *p, const char *key, const char *value);

/* The nlist chosen for n vectors: RVCIDX_NLIST_PER_SQRT_N * sqrt(n), below
 * the 4..16*sqrt(n) range the seed recommends for n <= 1M (fewer, fuller
 * lists: a recall target at a smaller nprobe, and builds 2x faster), capped
 * so every centroid gets at least 39 training points (faiss's minimum) and
 * at least 1. */
RVCIDX_API int64_t rvcidx_auto_nlist(uint64_t n);

/* faiss factory string of the index for these parameters and dim, e.g.
 * "IVF602,PQ384x4fs,RFlat", "IVF602,PQ384x4fsr,RFlat" or
 * "IVF602,PQ384x4fs,Refine(SQ8)"; writes at
 * most n bytes. */
RVCIDX_API int rvcidx_index_describe(const rvcidx_index_params *p, int dim, int64_t nlist, char *out, size_t n);

/* The size in bytes of the index file for rows vectors of dim with these
 * parameters (type, refine) and nlist: exact but for the FastScan lists'
 * padding to blocks of 32 codes, counted at its most (nlist half-empty
 * blocks), so the file is never larger. */
RVCIDX_API uint64_t rvcidx_index_predict_bytes(const rvcidx_index_params *p, int dim, int64_t nlist, uint64_t rows);

/* "flat", "fp16" or "sq8". */
RVCIDX_API const char *rvcidx_refine_name(rvcidx_refine r);

typedef struct rvcidx_train_result {
    int64_t nlist;
    uint64_t train_rows;  /* sample size */
    char sample_sha256[65];
    char device[160];     /* "cpu (2 threads)" or "cuda:0 NVIDIA H100 ..." */
    double kmeans_seconds;
} rvcidx_train_result;

/* Trains the centroids of store_path's rows and writes them to
 * centroids_path, on run's device and threads (run NULL: the defaults). */
RVCIDX_API int rvcidx_train(const char *store_path, const char *centroids_path, const rvcidx_index_params *params,
                            const rvcidx_run *run, rvcidx_train_result *result);

typedef struct rvcidx_encode_result {
    int dim;
    int64_t nlist;
    uint64_t ntotal;
    char factory[96];
    double seconds;
} rvcidx_encode_result;

/* Builds the index of store_path's rows from centroids_path and writes it to
 * index_path. Parameters (type, metric, nlist, nprobe, k_factor) must agree
 * with the centroids file where it records them. run (NULL: the defaults):
 * the threads and progress callback (encoding runs on the CPU). */
RVCIDX_API int rvcidx_encode(const char *store_path, const char *centroids_path, const char *index_path,
                             const rvcidx_index_params *params, const rvcidx_run *run, rvcidx_encode_result *result);

/* ---- split builds: one index encoded by many processes, then merged ----
 * The three calls below, applied to row ranges that cover the rows in order,
 * give the same file as rvcidx_encode, byte for byte. */

/* Writes the trained, empty index of params' row range to trained_path: the
 * quantizer holds the centroids and the PQ is trained on the same seeded
 * sample rvcidx_encode uses. Every part starts from this file. */
RVCIDX_API int rvcidx_encode_trained(const char *store_path, const char *centroids_path, const char *trained_path,
                                     const rvcidx_index_params *params, const rvcidx_run *run);

/* Adds store rows [params->first_row, +params->rows) (rows 0: to the end) to
 * the index read from trained_path and writes the partial index to part_path. */
RVCIDX_API int rvcidx_encode_part(const char *store_path, const char *trained_path, const char *part_path,
                                  const rvcidx_index_params *params, const rvcidx_run *run,
                                  rvcidx_encode_result *result);

/* Appends the parts, in the order given (row order), into one index written
 * to out_path; ids are global row numbers. result->factory is left empty. */
RVCIDX_API int rvcidx_index_merge(const char *const *part_paths, size_t n, const char *out_path, const rvcidx_run *run,
                                  rvcidx_encode_result *result);

/* The RVC-style file name for an index: contains "added_", the type, nlist,
 * nprobe, the model name and v1/v2, never "trained" (RVC's UI hides such
 * files), e.g. "added_IVF602_PQ384x4fs_RFlat_nprobe_16_mymodel_v2.index". */
RVCIDX_API int rvcidx_index_file_name(const rvcidx_index_params *p, int dim, int64_t nlist, const char *model,
                                      char *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif
