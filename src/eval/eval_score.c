/* eval_score.c — how good one setting's answers are: k-recall@k against
 * exact search (ties counted as exact), empty slots, and the error of RVC's
 * blend of the returned vectors against the blend of the exact ones. The
 * vectors come from memory or, past RVCIDX_ROWS_IN_MEMORY, by id. */
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/faiss_check.h"
#include "base/internal.h"
#include "eval/eval_blend.h"
#include "eval/eval_ctx.h"

void rvcidx__answers_free(answers *a) {
    free(a->ids);
    free(a->dist);
}

/* Vector id: as indexed, or (app) as the app reconstructs it from the
 * file (lossy for fp16/sq8); in c->row_buf when read by id. NULL when
 * reading it failed. */
static const float *vector_of(const eval_ctx *c, int app, int64_t id) {
    if (app && c->app_xb) return c->app_xb + (uint64_t)id * (uint64_t)c->data.dim;
    if (app && c->app_by_id)
        return faiss_Index_reconstruct(c->index, (idx_t)id, c->row_buf) == 0
                   ? c->row_buf
                   : (rvcidx__fail(RVCIDX_EFAISS, "faiss: reconstruct: %s", faiss_get_last_error()), NULL);
    return rvcidx__eval_row(&c->data, id, c->row_buf);
}

/* RVC's blend: weights 1/score^2 normalised, over the k result vectors
 * (vector_of, app or exact). An empty slot (-1) is the last vector to RVC (Python's
 * big_npy[-1]) with faiss's huge score, so it weighs nothing unless every
 * slot is empty. */
static int rvc_blend(const eval_ctx *c, int app, const float *query, const int64_t *ids, double *out) {
    int d = c->data.dim;
    double wsum = 0;
    memset(out, 0, sizeof(double) * (size_t)d);
    for (int i = 0; i < c->p->k; i++) {
        const float *v = vector_of(c, app, ids[i] >= 0 ? ids[i] : (int64_t)c->data.ntotal - 1);
        if (!v) return RVCIDX_EIO;
        wsum += rvcidx__blend_add(out, v, ids[i] >= 0 ? rvcidx__squared_l2(query, v, d) : (double)FLT_MAX, d);
    }
    rvcidx__blend_finish(out, d, wsum);
    return 0;
}

/* The app's blend of the index's results (from the vectors reconstruct_n
 * gives it: lossy for fp16/sq8) against the blend of the exact results from
 * the original vectors. */
static int blend_error(const eval_ctx *c, uint64_t q, const int64_t *ids, double *bi, double *bt, double *error) {
    const float *query = c->data.queries + q * (uint64_t)c->data.dim;
    RVCIDX__TRY(rvc_blend(c, 1, query, ids, bi));
    RVCIDX__TRY(rvc_blend(c, 0, query, c->truth.ids + q * (uint64_t)c->p->k, bt));
    *error = rvcidx__blend_error(bi, bt, c->data.dim);
    return 0;
}

/* What an app blends with, when the index does not hold the original
 * vectors exactly: every app calls reconstruct_n(0, ntotal) and blends those. */
int rvcidx__eval_load_app_vectors(eval_ctx *c) {
    c->row_buf = malloc(sizeof(float) * (size_t)c->info.dim);
    if (!c->row_buf) return rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory");
    if (c->info.type != RVCIDX_INDEX_IVFPQ4FS || c->info.refine == RVCIDX_REFINE_FLAT || c->info.ntotal == 0) return 0;
    if (!c->data.base) return c->app_by_id = 1, 0; /* the vectors are not held: neither are the app's */
    c->app_xb = malloc(sizeof(float) * c->info.ntotal * (size_t)c->info.dim);
    if (!c->app_xb) return rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory for the reconstructed vectors");
    RVCIDX__FAISS_CHECK(faiss_Index_reconstruct_n(c->index, 0, (idx_t)c->info.ntotal, c->app_xb), "reconstruct_n");
    return 0;
}

/* How near (larger is nearer) v is to query: minus the squared L2
 * distance, or the inner product, in double from the stored floats. */
static double nearness(const eval_ctx *c, const float *query, int64_t id) {
    const float *v = vector_of(c, 0, id);
    if (!v) return -HUGE_VAL; /* the read failure is reported after the sweep's searches */
    if (!c->info.inner_product) return -rvcidx__squared_l2(query, v, c->data.dim);
    double s = 0;
    for (int j = 0; j < c->data.dim; j++) s += (double)query[j] * v[j];
    return s;
}

/* Under ties any of the tied vectors is an exact neighbour (identical
 * silence frames, a duplicated clip): a returned vector counts as exact when
 * it is one of the exact k, or as near as the exact rank-th within
 * RVCIDX_EVAL_TIE_TOLERANCE of its distance. */
static int counts_as_exact(const eval_ctx *c, const float *query, int64_t got, const int64_t *want, int k, int rank) {
    if (got < 0) return 0;
    for (int j = 0; j < k; j++)
        if (got == want[j]) return 1;
    if (want[rank] < 0) return 0;
    double edge = nearness(c, query, want[rank]);
    return nearness(c, query, got) >= edge - RVCIDX_EVAL_TIE_TOLERANCE * fabs(edge);
}

/* The lower confidence bound of k-recall@k: per group (a held-out speaker,
 * or every query as one), the mean of its queries' recall less RVCIDX__EVAL_BOUND_Z
 * standard errors of that mean; the worst group's. A voice the tuning did
 * not see is then judged by the hardest of the ones it did, and by no more
 * queries than that voice had. */
static void recall_bound(const eval_ctx *c, const double *sum, const double *sum_sq, rvcidx_eval_point *pt) {
    double worst = 1.0;
    for (int g = 0; g < c->data.groups; g++) {
        double n = (double)c->data.group_queries[g];
        if (n < 1) continue;
        double mean = sum[g] / n, var = n > 1 ? fmax(sum_sq[g] / n - mean * mean, 0.0) * n / (n - 1) : 0.0;
        double lb = mean - RVCIDX__EVAL_BOUND_Z * sqrt(var / n);
        pt->recall_k_groups[g] = mean;
        if (lb < worst) worst = lb;
    }
    pt->recall_k_bound = worst;
}

int rvcidx__eval_score(const eval_ctx *c, const answers *a, rvcidx_eval_point *pt) {
    int k = c->p->k, d = c->data.dim;
    uint64_t nq = c->data.nq, hits1 = 0, hitsk = 0, empty = 0;
    double *errors = malloc(sizeof(double) * nq), *bi = malloc(sizeof(double) * d), *bt = malloc(sizeof(double) * d);
    if (!errors || !bi || !bt) {
        free(errors), free(bi), free(bt);
        return rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory");
    }
    double err_sum = 0, sum[RVCIDX_EVAL_MAX_GROUPS] = {0}, sum_sq[RVCIDX_EVAL_MAX_GROUPS] = {0};
    for (uint64_t q = 0; q < nq; q++) {
        const int64_t *got = a->ids + q * k, *want = c->truth.ids + q * k;
        const float *query = c->data.queries + q * (uint64_t)d;
        hits1 += got[0] == want[0] || counts_as_exact(c, query, got[0], want, 1, 0);
        int hits = 0;
        for (int i = 0; i < k; i++) {
            empty += got[i] < 0;
            hits += counts_as_exact(c, query, got[i], want, k, k - 1); /* the ids an index returns are distinct */
        }
        hitsk += (uint64_t)hits;
        int g = c->data.query_group ? c->data.query_group[q] : 0;
        sum[g] += (double)hits / k, sum_sq[g] += (double)hits / k * ((double)hits / k);
        if (blend_error(c, q, got, bi, bt, &errors[q]) != 0) {
            free(errors), free(bi), free(bt);
            return RVCIDX_EIO;
        }
        err_sum += errors[q];
    }
    qsort(errors, nq, sizeof *errors, rvcidx__compare_double);
    pt->recall_1 = (double)hits1 / (double)nq;
    pt->recall_k = (double)hitsk / ((double)nq * k);
    pt->empty_share = (double)empty / ((double)nq * k);
    pt->blend_error_mean = err_sum / (double)nq;
    pt->blend_error_p95 = errors[(uint64_t)(0.95 * (double)(nq - 1))];
    recall_bound(c, sum, sum_sq, pt);
    free(errors), free(bi), free(bt);
    return 0;
}
