/* eval_ctx.h — private: the state of one measurement, shared by eval.c
 * (the sweep, timing, choosing) and eval_score.c (recall, ties, RVC's blend
 * error against exact search). */
#ifndef RVCIDX_EVAL_CTX_H
#define RVCIDX_EVAL_CTX_H

#include <faiss/c_api/Index_c.h>

#include "eval/eval_queries.h"
#include "index/index_io.h"
#include "rvcidx/eval.h"

struct rvcidx__ctx; /* backend/run_context.h */

typedef struct answers {
    int64_t *ids; /* nq x k, own id removed */
    float *dist;
} answers;


typedef struct eval_ctx {
    const rvcidx_eval_params *p;
    struct rvcidx__ctx *run;   /* the run's device (the ground truth's), threads and progress */
    rvcidx__eval_data data;
    rvcidx__index_info info;
    FaissIndex *index;
    int nprobe; /* index's nprobe as last set (its search calls' size follows it) */
    FaissIndex *exact;    /* the refine wrapper's flat copy of every vector (borrowed), or NULL */
    const float *exact_xb; /* its vectors */
    float *app_xb; /* fp16/sq8 refines: reconstruct_n(0, ntotal), what apps blend (owned); else NULL */
    int app_by_id; /* fp16/sq8 refines past RVCIDX_ROWS_IN_MEMORY: what apps blend, reconstructed by id */
    float *row_buf; /* one vector read by id (owned) */
    int extra;   /* 1 when leave-one-out asks for k+1 to drop the query itself */
    answers truth;
    rvcidx_eval_report *report;
    size_t planned; /* settings in the sweep as planned: the progress total, fixed from the start */
    rvcidx_eval_params eff; /* the caller's params with the budget's defaults filled in (c->p points here) */
    const rvcidx__eval_others *others; /* where other speakers' queries come from, when not the store (NULL) */
} eval_ctx;

/* The one-sided 95% normal quantile recall_k_bound is taken at
 * (eval_score.c computes it, eval.c describes it in the report). */
#define RVCIDX__EVAL_BOUND_Z 1.6449

void rvcidx__answers_free(answers *a);

/* qsort's comparison of doubles, ascending. */

/* fp16/sq8 refines: what apps blend (reconstruct_n of every vector, or by
 * id past RVCIDX_ROWS_IN_MEMORY); also the one-vector buffer reads use. */
int rvcidx__eval_load_app_vectors(eval_ctx *c);

/* Recall (tie-aware), empty slots and blend error of the answers a against
 * the truth, into pt. */
int rvcidx__eval_score(const eval_ctx *c, const answers *a, rvcidx_eval_point *pt);

#endif
