/* index_io.h — private: loading an index file and finding what it is. */
#ifndef RVCIDX_INDEX_IO_H
#define RVCIDX_INDEX_IO_H

#include <faiss/c_api/Index_c.h>
#include <stdint.h>

#include "index/faiss_c_ext.h"
#include "rvcidx/index.h"

typedef struct rvcidx__index_info {
    rvcidx_index_type type;
    int dim;
    int64_t nlist;
    uint64_t ntotal;
    int inner_product;
    int nprobe;
    int k_factor; /* 0 for ivfflat */
    int pq_m;     /* PQ sub-quantizers (ivfpq4fs), 0 otherwise */
    rvcidx_refine refine; /* the refine storage (ivfpq4fs); flat otherwise */
    int residual; /* ivfpq4fs: 1 for x4fsr (residuals encoded), 0 for x4fs */
} rvcidx__index_info;

/* Reads an index file (only call this on files whose sha256 was checked when
 * they come from elsewhere: faiss is not safe on tampered files). */
int rvcidx__index_load(const char *path, FaissIndex **out, rvcidx__index_info *info);

/* What an index in memory is (path names it in errors). */
int rvcidx__index_describe_loaded(FaissIndex *index, const char *path, rvcidx__index_info *info);

/* Sets nprobe (and k_factor for a refine wrapper) on a loaded index. */
int rvcidx__index_set_params(FaissIndex *index, int nprobe, int k_factor);

/* Writes index to path atomically. */
int rvcidx__index_save(const FaissIndex *index, const char *path);

/* Writes, atomically to path, the IndexRefineFlat around base (trained,
 * its rows added) with k_factor, whose float storage is the rows rows()
 * gives: what rvcidx__index_save writes for that index, byte for byte,
 * with only a batch of the rows in memory at a time. */
int rvcidx__index_save_refine_flat_streamed(const FaissIndex *base, int k_factor, rvcidx_faiss_rows_fn rows, void *user,
                                            const char *path);

/* Writes, atomically to path, a refine wrapper reading its rows by id
 * (rvcidx_faiss_IndexRefine_new_from_rows) as the refine holding those rows
 * (floats or SQ codes) would be written, rows() giving them in order, a
 * batch at a time. */
int rvcidx__index_save_from_rows(const FaissIndex *index, rvcidx_faiss_rows_fn rows, void *user, const char *path);

/* rvcidx_index_merge, the merged index's nprobe and k_factor set first
 * when nprobe > 0 (a split build tuned before merging; index_merge.c). */
int rvcidx__index_merge_set(const char *const *part_paths, size_t n, const char *out_path, rvcidx_progress_fn progress,
                            void *progress_user, int nprobe, int k_factor, rvcidx_encode_result *result);

/* Writes, atomically to path, a refine wrapper whose storage was dropped
 * (rvcidx_faiss_IndexRefine_drop_storage) with the storage's bytes codes()
 * gives streamed in: a merge's parts, read from their files. */
int rvcidx__index_save_codes_streamed(const FaissIndex *index, rvcidx_faiss_codes_fn codes, void *user,
                                      const char *path);

#endif
