/* eval_choice.c — judging a sweep's settings and choosing one (see
 * eval_choice.h): pure functions of the measured points, apart from the
 * measuring in eval.c so that they can be tested on their own. */
#include "eval/eval_choice.h"

/* The recall a setting must give, with no empty slot, whether or not it
 * can be chosen: its lower confidence bound (eval_score.c) reaches the
 * target, so that the target holds for voices the tuning did not see. */
int rvcidx__eval_meets_recall(const rvcidx_eval_point *pt, double target) {
    return pt->recall_k_bound >= target && pt->empty_share == 0;
}

int rvcidx__eval_meets_recall_on_mean(const rvcidx_eval_point *pt, double target) {
    return pt->recall_k >= target && pt->empty_share == 0;
}

int64_t rvcidx_eval_nlist_for_nprobe(const rvcidx_eval_report *r, int nprobe) {
    if (!r || nprobe <= 0 || r->nlist <= nprobe) return 0;
    int needed = 0;
    for (size_t i = 0; i < r->n_points; i++) {
        const rvcidx_eval_point *pt = &r->points[i];
        if (rvcidx__eval_meets_recall(pt, r->target_recall) && (!needed || pt->nprobe < needed))
            needed = pt->nprobe;
    }
    if (!needed) return 0;
    int64_t fewer = r->nlist * nprobe / needed;
    if (fewer > r->nlist / 2) fewer = r->nlist / 2;
    return fewer > 0 ? fewer : 1;
}

/* Per-query work estimate: coarse search, list scanning, exact refine.
 * FastScan reads a 4-bit code of M nibbles 32 at a time in SIMD registers:
 * about M/8 operations a code, against D for a float vector. */
double rvcidx__eval_cost(const rvcidx__index_info *in, int k, int nprobe, int k_factor) {
    double list = (double)in->ntotal / (double)in->nlist, coarse = (double)in->nlist * in->dim;
    if (in->type == RVCIDX_INDEX_IVFFLAT) return coarse + nprobe * list * in->dim;
    return coarse + nprobe * (list * in->pq_m / 8.0 + in->pq_m * 16.0) + (double)k * k_factor * in->dim;
}

/* More lists stop paying once a k_factor's recall has stopped rising: three
 * of its settings measured, the last nprobe step gained under 0.002. */
int rvcidx__eval_plateaued(const rvcidx_eval_point *done, size_t n, int k_factor) {
    double prev[2] = {-1, -1};
    int seen = 0;
    for (size_t i = 1; i < n; i++) { /* done[0] is the stored setting, outside the sweep order */
        if (done[i].k_factor != k_factor) continue;
        prev[0] = prev[1];
        prev[1] = done[i].recall_k;
        seen++;
        if (seen >= 3 && done[i].recall_k - prev[0] < 0.002) return 1;
    }
    return 0;
}

double rvcidx__eval_block_p99(const rvcidx_eval_point *pt) {
    return pt->app_block_ms_p99 > pt->block_ms_p99 ? pt->app_block_ms_p99 : pt->block_ms_p99;
}

/* 1 when p is cheaper than best by the cost model, ties broken by the smaller nprobe, then k_factor. */
int rvcidx__eval_cheaper(const rvcidx_eval_point *p, const rvcidx_eval_point *best) {
    return p->cost < best->cost ||
           (p->cost == best->cost && (p->nprobe < best->nprobe || (p->nprobe == best->nprobe && p->k_factor < best->k_factor)));
}

/* Without a budget: the cheapest setting reaching the target. Under a time
 * budget the time is already paid for: the best recall that fits it; under
 * a realtime app's limit (budget_cheapest) the cheapest that fits, as the
 * cores it leaves free are the voice model's. */
static int pick(rvcidx_eval_report *r, int on_mean) {
    int chosen = -1;
    for (size_t i = 0; i < r->n_points; i++) {
        const rvcidx_eval_point *p = &r->points[i];
        if (!(on_mean ? p->reaches_mean : p->reaches_target)) continue;
        if (chosen < 0) { chosen = (int)i; continue; }
        const rvcidx_eval_point *best = &r->points[chosen];
        int better = r->max_block_ms > 0 && !r->budget_cheapest ? p->recall_k > best->recall_k || (p->recall_k == best->recall_k && rvcidx__eval_cheaper(p, best))
                                         : rvcidx__eval_cheaper(p, best);
        if (better) chosen = (int)i;
    }
    return chosen;
}

/* The cheapest setting whose bound reaches the target (under a time budget
 * the best recall that fits). When none does but one reaches it on the mean,
 * that one, and the report says no margin was left, except for an app that
 * forces nprobe: its build trains again with fewer lists instead
 * (build_index.c), which buys the margin. */
void rvcidx__eval_choose(rvcidx_eval_report *r) {
    r->chosen = pick(r, 0);
    r->no_margin = 0;
    if (r->chosen >= 0 || r->fixed_nprobe > 0) return;
    r->chosen = pick(r, 1);
    r->no_margin = r->chosen >= 0;
}
