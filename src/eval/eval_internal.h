/* eval_internal.h — private: measuring an index already in memory (a build
 * tunes on its tuning index before adding the held-out rows to it). */
#ifndef RVCIDX_EVAL_INTERNAL_H
#define RVCIDX_EVAL_INTERNAL_H

#include <faiss/c_api/Index_c.h>
#include <jansson.h>

#include "eval/eval_queries.h"
#include "rvcidx/eval.h"

struct rvcidx__ctx; /* backend/run_context.h */

/* Queries eval hands faiss in one search. A by-residual L2 FastScan search
 * (x4fsr) builds float and uint8 look-up tables for every query and probed
 * list of a call at once, M x 16 x 5 bytes each (3.9 MB a query at D=768
 * and nprobe 128): 1,000 queries in one call held 3.7 GiB at 240k rows. Its
 * calls take as many queries as fill RVCIDX__EVAL_LUT_BYTES of tables, so
 * the tables weigh the same whichever nprobe the sweep climbs to and the
 * plan can count them (a fixed 64 queries held 0.25 GiB at nprobe 128 and
 * 0.5 at 256). Each query's answer does not depend on the others in its
 * call (faiss slices the queries by thread and scales each query's tables
 * on its own), so the chunks give the same results. */
#define RVCIDX__EVAL_SEARCH_CHUNK 64
#define RVCIDX__EVAL_SEARCH_CHUNK_MAX 256 /* bounds the k x k_factor candidates a call re-ranks */
#define RVCIDX__EVAL_LUT_BYTES (256ull << 20)

/* One query's look-up tables in an x4fsr search (faiss 1.7.3
 * IndexIVFFastScan::compute_LUT_uint8: floats, then their uint8 copy). */
static inline uint64_t rvcidx__eval_lut_query_bytes(int pq_m, int64_t nprobe) {
    return (uint64_t)pq_m * 16 * 5 * (uint64_t)(nprobe > 0 ? nprobe : 1);
}

/* Queries a call: by_residual_l2 for x4fsr with the L2 metric (the only
 * FastScan whose tables are per list), else RVCIDX__EVAL_SEARCH_CHUNK. */
static inline uint64_t rvcidx__eval_search_chunk(int by_residual_l2, int pq_m, int64_t nprobe) {
    if (!by_residual_l2) return RVCIDX__EVAL_SEARCH_CHUNK;
    uint64_t n = RVCIDX__EVAL_LUT_BYTES / rvcidx__eval_lut_query_bytes(pq_m, nprobe);
    return n < 1 ? 1 : n > RVCIDX__EVAL_SEARCH_CHUNK_MAX ? RVCIDX__EVAL_SEARCH_CHUNK_MAX : n;
}

/* rvcidx_eval on a loaded index, borrowed: its search parameters are left
 * as the sweep last set them. label names it in the report and in errors.
 * others (NULL: none): with queries_from other, the queries are that store's
 * rows outside that range (a reduced index: the rows it was reduced from).
 * run: the run's context (backend/run_context.h), whose device the ground
 * truth is computed on. */
int rvcidx__eval_index(FaissIndex *index, const char *label, const char *store_path,
                       const rvcidx_index_params *index_params, const rvcidx_eval_params *params,
                       const rvcidx__eval_others *others, struct rvcidx__ctx *run, rvcidx_eval_report **out);

/* rvcidx_eval with others, as rvcidx__eval_index. */
int rvcidx__eval_file(const char *index_path, const char *store_path, const rvcidx_index_params *index_params,
                      const rvcidx_eval_params *params, const rvcidx__eval_others *others, struct rvcidx__ctx *run,
                      rvcidx_eval_report **out);

/* params with what a time budget implies filled in (blocks of 16 frames,
 * one search thread, unless set): what eval measures with and the manifest
 * records. Without a budget, params unchanged. */
rvcidx_eval_params rvcidx__eval_params_resolved(const rvcidx_eval_params *params);
/* A time budget's rule, as report.json and the manifest name it. */
const char *rvcidx__eval_budget_choice(int budget_cheapest);

/* Records the size of the index file the report is about (a build: the
 * shipped one, of ntotal vectors, which may hold more rows than the tuning
 * index measured) and the memory an app holds after loading it. */
void rvcidx__eval_report_set_size(rvcidx_eval_report *r, uint64_t file_bytes, uint64_t ntotal);

/* `max_vectors`: what was kept and its blend error against all rows, as
 * report.json and manifest.json record it; NULL when nothing was reduced. */
json_t *rvcidx__reduce_json(const rvcidx_reduce_result *r, int with_speed);
json_t *rvcidx__reduce_trials_json(const rvcidx_reduce_result *r);

#endif
