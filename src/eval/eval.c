/* eval.c — stage 4: recall, empty slots and RVC blend error of an index
 * against exact search, over a sweep of nprobe x k_factor. */
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/backend.h"
#include "backend/run_context.h"
#include "eval/eval_blend.h"
#include "eval/eval_choice.h"
#include "eval/eval_ctx.h"
#include "eval/eval_internal.h"
#include "eval/eval_queries.h"
#include "index/faiss_c_ext.h"
#include "base/faiss_check.h"
#include "index/index_io.h"
#include "base/internal.h"
#include "base/param_text.h"
#include "rvcidx/eval.h"
#include "base/threads.h"
#include "store/row_reader.h"

void rvcidx_eval_report_free(rvcidx_eval_report *r) {
    if (!r) return;
    free(r->points);
    free(r);
}

/* Keeps the first k entries of each row of kk that are not the query itself. */
static void drop_self(const eval_ctx *c, const int64_t *ids, const float *dist, answers *out) {
    int k = c->p->k, kk = k + c->extra;
    for (uint64_t q = 0; q < c->data.nq; q++) {
        int64_t self = c->data.self_ids ? c->data.self_ids[q] : -2;
        int j = 0;
        for (int i = 0; i < kk && j < k; i++) {
            if (ids[q * kk + i] == self) continue;
            out->ids[q * k + j] = ids[q * kk + i];
            out->dist[q * k + j] = dist[q * kk + i];
            j++;
        }
    }
}

/* Room for k+extra answers per query (ids, dist) and the k kept (out). */
static int answer_space(const eval_ctx *c, int64_t **ids, float **dist, answers *out) {
    int k = c->p->k, kk = k + c->extra;
    uint64_t nq = c->data.nq;
    *ids = malloc(sizeof **ids * nq * kk);
    *dist = malloc(sizeof **dist * nq * kk);
    out->ids = malloc(sizeof *out->ids * nq * k);
    out->dist = malloc(sizeof *out->dist * nq * k);
    return *ids && *dist && out->ids && out->dist ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory");
}

/* The index searches with pt's settings from now on. */
static int set_point(eval_ctx *c, const rvcidx_eval_point *pt) {
    RVCIDX__TRY(rvcidx__index_set_params(c->index, pt->nprobe, pt->k_factor));
    c->nprobe = pt->nprobe;
    return 0;
}

/* Searches index for every query (k+extra), a chunk of queries a call
 * (eval_internal.h), and keeps k per query. */
static int search_all(eval_ctx *c, FaissIndex *index, answers *out, double *seconds) {
    int kk = c->p->k + c->extra;
    uint64_t nq = c->data.nq;
    int64_t *ids = NULL;
    float *dist = NULL;
    int rc = answer_space(c, &ids, &dist, out);
    int by_residual_l2 = index == c->index && c->info.type == RVCIDX_INDEX_IVFPQ4FS && c->info.residual &&
                         !c->info.inner_product;
    uint64_t chunk = rvcidx__eval_search_chunk(by_residual_l2, c->info.pq_m, c->nprobe);
    double start = omp_get_wtime();
    for (uint64_t at = 0; rc == 0 && at < nq; at += chunk) {
        uint64_t m = nq - at < chunk ? nq - at : chunk;
        if (faiss_Index_search(index, (idx_t)m, c->data.queries + at * (uint64_t)c->data.dim, kk, dist + at * kk,
                               ids + at * kk) != 0)
            rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: search failed: %s", faiss_get_last_error());
    }
    if (seconds) *seconds = omp_get_wtime() - start;
    if (rc == 0) drop_self(c, ids, dist, out);
    free(ids);
    free(dist);
    return rc;
}

/* An RFlat index holds every vector exactly, in an IndexFlat of the index's
 * metric: eval reads the vectors and, on the CPU, searches for the ground
 * truth there rather than in two more copies of the data (at 1M x 768 each
 * is 3 GB). The fp16/sq8 refines are lossy: truth and blends then come from
 * the store's original vectors. */
static int find_exact_copy(eval_ctx *c) {
    if (c->info.type != RVCIDX_INDEX_IVFPQ4FS || c->info.refine != RVCIDX_REFINE_FLAT) return 0;
    FaissIndex *refine = NULL;
    if (rvcidx_faiss_IndexRefine_refine_index(c->index, &refine) != 0)
        return rvcidx__fail(RVCIDX_EFAISS, "faiss: %s", faiss_get_last_error());
    FaissIndexFlat *flat = faiss_IndexFlat_cast(refine);
    if (!flat) return 0;
    float *xb = NULL;
    size_t size = 0;
    faiss_IndexFlat_xb(flat, &xb, &size);
    if (size != c->info.ntotal * (size_t)c->info.dim || faiss_Index_ntotal(refine) != (idx_t)c->info.ntotal) return 0;
    c->exact = refine;
    c->exact_xb = xb;
    return 0;
}

/* The vectors are read from the store: searched a block at a time. */
static int truth_by_blocks(eval_ctx *c, const rvcidx__backend *b) {
    int64_t *ids = NULL;
    float *dist = NULL;
    int rc = answer_space(c, &ids, &dist, &c->truth);
    if (rc == 0) rc = rvcidx__eval_truth_by_blocks(&c->data, b, c->info.inner_product, c->p->k + c->extra, dist, ids);
    if (rc == 0) drop_self(c, ids, dist, &c->truth);
    free(ids);
    free(dist);
    return rc;
}

static int compute_truth(eval_ctx *c) {
    rvcidx__backend *b = NULL;
    RVCIDX__TRY(rvcidx__ctx_device(c->run, &b));
    b->describe(b, c->report->truth_device, sizeof c->report->truth_device);
    if (!c->data.base) return truth_by_blocks(c, b);
    if (c->exact && b->host_flat) return search_all(c, c->exact, &c->truth, NULL);
    FaissIndex *flat = NULL;
    int rc = b->new_flat(b, c->data.dim, c->info.inner_product, &flat);
    if (rc == 0 && faiss_Index_add(flat, (idx_t)c->data.ntotal, c->data.base) != 0)
        rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: filling the exact index failed: %s", faiss_get_last_error());
    if (rc == 0) rc = search_all(c, flat, &c->truth, NULL);
    if (flat) b->free_flat(b, flat);
    return rc;
}

/* Queries/s of the fastest of repeated searches (at least 2, and at least
 * 0.1 s in all): one short run is at the mercy of the scheduler. */
static int time_searches(eval_ctx *c, double *qps) {
    double best = 0, total = 0;
    int rc = 0;
    for (int run = 0; rc == 0 && (run < 2 || total < 0.1); run++) {
        answers a = {0};
        double seconds = 0;
        rc = search_all(c, c->index, &a, &seconds);
        rvcidx__answers_free(&a);
        total += seconds;
        if (seconds > 0 && (best == 0 || seconds < best)) best = seconds;
    }
    *qps = best > 0 ? (double)c->data.nq / best : 0;
    return rc;
}

/* A realtime app searches one block of frames a call: per-call overheads
 * (the coarse search of a few queries, thread start-up) weigh on it as they
 * never do on a whole file. Each block's time is kept, over passes until at
 * least min_passes and 0.1 s, and the median and 99th percentile taken. */
static int time_blocks(eval_ctx *c, int min_passes, double *p50_ms, double *p99_ms, double *qps) {
    uint64_t nq = c->data.nq, bf = (uint64_t)c->report->block_frames, blocks = (nq + bf - 1) / bf;
    int k = c->p->k + c->extra;
    double *ms = NULL, total = 0;
    size_t n = 0, cap = 0;
    int64_t *ids = malloc(sizeof *ids * bf * k);
    float *dist = malloc(sizeof *dist * bf * k);
    int rc = ids && dist ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory");
    for (int pass = 0; rc == 0 && (pass < min_passes || total < 0.1); pass++) {
        if (n + blocks > cap) {
            double *grown = realloc(ms, sizeof *ms * (cap = 2 * (n + blocks)));
            if (!grown) { rc = rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory"); break; }
            ms = grown;
        }
        for (uint64_t b = 0; rc == 0 && b < blocks; b++) {
            uint64_t first = b * bf, m = nq - first < bf ? nq - first : bf;
            double start = omp_get_wtime();
            if (faiss_Index_search(c->index, (idx_t)m, c->data.queries + first * (uint64_t)c->data.dim, k, dist, ids))
                rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: search failed: %s", faiss_get_last_error());
            double s = omp_get_wtime() - start;
            total += s;
            ms[n++] = 1000.0 * s;
        }
    }
    if (rc == 0 && n > 0) {
        qsort(ms, n, sizeof *ms, rvcidx__compare_double);
        *p50_ms = ms[(n - 1) / 2];
        *p99_ms = ms[(size_t)(0.99 * (double)(n - 1))];
        if (qps) *qps = total > 0 ? (double)(n / blocks) * (double)nq / total : 0;
    }
    free(ms), free(ids), free(dist);
    return rc;
}

/* One thread means one for the BLAS too: OpenBLAS's own pool would
 * otherwise run the coarse quantizer's GEMM on every core. */
static int time_one_thread(eval_ctx *c, rvcidx_eval_point *pt) {
    rvcidx__thread_counts saved = rvcidx__threads_get();
    rvcidx__set_threads(1);
    int rc = c->p->block_frames > 0 ? time_blocks(c, 1, &pt->block_ms_p50, &pt->block_ms_p99, &pt->qps_1thread)
                                    : time_searches(c, &pt->qps_1thread);
    rvcidx__threads_restore(saved);
    return rc;
}

/* The settings that ship or shipped (and, under a time budget, every one
 * that could be chosen) are timed again at length (3 passes at least: about
 * 190 blocks of 1,000 queries, so p99 is not the one slowest), on one
 * thread and on the realtime app's own: RVC realtime sets OMP_NUM_THREADS=4
 * and OPENBLAS_NUM_THREADS=1; an app that sets nothing (search_threads 0)
 * searches on every core. Without an app or a budget, blocks of 16 frames
 * on one thread only: what a realtime user of this index would see. */
static int time_app_threads(eval_ctx *c, rvcidx_eval_point *pt) {
    if (!c->p->measure_speed || pt->app_block_ms_p50 > 0) return 0;
    if (c->p->block_frames <= 0 && pt->block_ms_p50 > 0) return 0;
    RVCIDX__TRY(set_point(c, pt));
    rvcidx__thread_counts saved = rvcidx__threads_get();
    rvcidx__set_threads(1);
    int rc = time_blocks(c, 3, &pt->block_ms_p50, &pt->block_ms_p99, NULL);
    if (rc || c->p->block_frames <= 0) return rvcidx__threads_restore(saved), rc;
    if (c->p->search_threads == 1) { /* the app's threads are the one just timed: timing it again only doubled tuning */
        pt->app_block_ms_p50 = pt->block_ms_p50, pt->app_block_ms_p99 = pt->block_ms_p99;
        c->report->search_threads = 1;
        return rvcidx__threads_restore(saved), 0;
    }
    if (c->p->search_threads > 0) omp_set_num_threads(c->p->search_threads);
    else rvcidx__threads_restore(saved);
    c->report->search_threads = omp_get_max_threads();
    if (rc == 0) rc = time_blocks(c, 3, &pt->app_block_ms_p50, &pt->app_block_ms_p99, NULL);
    rvcidx__threads_restore(saved);
    return rc;
}

/* All-threads speed only where it is reported: the stored and chosen settings. */
static int time_all_threads(eval_ctx *c, rvcidx_eval_point *pt) {
    if (!c->p->measure_speed || pt->qps_all > 0) return 0;
    RVCIDX__TRY(set_point(c, pt));
    return time_searches(c, &pt->qps_all);
}

/* An app that sets nprobe itself will search with that one, whatever the file holds. */
static int choosable(const eval_ctx *c, const rvcidx_eval_point *pt) {
    return c->p->fixed_nprobe <= 0 || pt->nprobe == c->p->fixed_nprobe;
}

/* Under a time budget: the measured p99 per block fits on one thread and on
 * the budget's threads (on fewer cores than the app's threads the app's
 * time can be the longer one). */
static int fits_budget(const eval_ctx *c, const rvcidx_eval_point *pt) {
    return c->p->max_block_ms <= 0 ||
           (pt->app_block_ms_p99 > 0 && rvcidx__eval_block_p99(pt) <= c->p->max_block_ms);
}

/* Below this, one timed search says little (timer, first-touch noise):
 * such a setting is timed again at length. */
#define ONE_SEARCH_MIN_SECONDS 0.05

/* The sweep's searches give the recall and, timed, the 1-thread speed in
 * one pass: on one thread when speed is measured (the answers do not depend
 * on the thread count), on every core otherwise. At 1M vectors this halved
 * tuning, which had searched every setting once on all cores and then at
 * least twice more on one. Realtime blocks are timed apart, per block. */
static int search_and_score(eval_ctx *c, rvcidx_eval_point *pt) {
    int timed = c->p->measure_speed && choosable(c, pt) && c->p->block_frames <= 0;
    rvcidx__thread_counts saved = rvcidx__threads_get();
    if (timed) rvcidx__set_threads(1);
    answers a = {0};
    double seconds = 0;
    int rc = search_all(c, c->index, &a, &seconds);
    if (timed) rvcidx__threads_restore(saved);
    if (rc == 0) rc = rvcidx__eval_score(c, &a, pt);
    rvcidx__answers_free(&a);
    if (rc == 0 && timed && seconds >= ONE_SEARCH_MIN_SECONDS) pt->qps_1thread = (double)c->data.nq / seconds;
    return rc;
}

static int measure_point(eval_ctx *c, rvcidx_eval_point *pt) {
    RVCIDX__TRY(set_point(c, pt));
    int rc = search_and_score(c, pt);
    if (rc == 0 && c->p->measure_speed && choosable(c, pt) && pt->qps_1thread <= 0) rc = time_one_thread(c, pt);
    /* under a realtime app's limit only a setting that reaches the recall can be chosen: only it is timed at length */
    int below_recall = c->p->budget_cheapest && !rvcidx__eval_meets_recall(pt, c->p->target_recall);
    if (rc == 0 && c->p->max_block_ms > 0 && choosable(c, pt) && !below_recall) rc = time_app_threads(c, pt);
    pt->cost = rvcidx__eval_cost(&c->info, c->p->k, pt->nprobe, pt->k_factor);
    pt->reaches_target = rvcidx__eval_meets_recall(pt, c->p->target_recall) && choosable(c, pt) && fits_budget(c, pt);
    pt->reaches_mean = rvcidx__eval_meets_recall_on_mean(pt, c->p->target_recall) && choosable(c, pt) && fits_budget(c, pt);
    return rc;
}

/* nprobe 1,2,4,.. up to nlist; k_factor 1,2,4,..,128 (refine only): other
 * speakers' frames sit farther from the indexed ones than the indexed ones
 * from each other, and the PQ ranks them less well: they need more
 * exact-refined candidates, and at 1M vectors more than 256 of 4,000 lists. */
static int plan_sweep(eval_ctx *c) {
    rvcidx_eval_report *r = c->report;
    int nprobes[33], n_np = 0, kfs[8], n_kf = 0, fixed = c->p->fixed_nprobe;
    for (int64_t v = 1; v <= r->nlist && n_np < 32; v *= 2) {
        if (fixed > v / 2 && fixed < v) nprobes[n_np++] = fixed; /* in order, between two powers of 2 */
        nprobes[n_np++] = (int)v;
    }
    if (fixed > 0 && (n_np == 0 || fixed > nprobes[n_np - 1]) && n_np < 33) nprobes[n_np++] = fixed;
    if (c->info.type == RVCIDX_INDEX_IVFFLAT) kfs[n_kf++] = 0;
    else for (int v = 1; v <= 128; v *= 2) kfs[n_kf++] = v;
    size_t n = c->p->tune ? (size_t)(n_np * n_kf) + 1 : 1;
    r->points = calloc(n, sizeof *r->points);
    if (!r->points) return rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory");
    r->points[0].nprobe = c->info.nprobe; /* the stored setting first */
    r->points[0].k_factor = c->info.k_factor;
    r->n_points = 1;
    for (int i = 0; c->p->tune && i < n_np; i++)
        for (int j = 0; j < n_kf; j++) {
            if (nprobes[i] == c->info.nprobe && kfs[j] == c->info.k_factor) continue;
            r->points[r->n_points].nprobe = nprobes[i];
            r->points[r->n_points++].k_factor = kfs[j];
        }
    return 0;
}

/* 1 when pt searches at least the lists and candidates of a setting already
 * timed over the budget: more work cannot take less time. */
static int slower_than_too_slow(const eval_ctx *c, const rvcidx_eval_point *done, size_t n, const rvcidx_eval_point *pt) {
    for (size_t i = 0; i < n; i++)
        if (choosable(c, &done[i]) && done[i].app_block_ms_p99 > 0 && !fits_budget(c, &done[i]) && pt->nprobe >= done[i].nprobe &&
            pt->k_factor >= done[i].k_factor)
            return 1;
    return 0;
}

static int report_progress(const eval_ctx *c, size_t done, int finished) {
    const rvcidx_run *run = &c->run->run;
    if (!run->progress) return 0;
    rvcidx_progress pr = {"eval", "settings", done, c->planned, 0, finished};
    return run->progress(&pr, run->progress_user) ? rvcidx__fail(RVCIDX_EINTR, "eval: stopped on request") : 0;
}

/* When no setting of the sweep reached the target, a refine may still get
 * there by re-ranking more PQ candidates: past a few million vectors the
 * 4-bit codes of other speakers' frames tie too often for k x 128 of them to
 * hold the exact k (5M x 768: 0.908 at nprobe 512, k_factor 128). k_factor
 * 256, 512 and 1024 at the best nprobe and the next two powers of two, the
 * cheapest first by the cost model, until one reaches the target. Nothing
 * changes for a sweep that reached it. */
enum { MORE_KF = 3, MORE_NP = 3 };

static int more_candidates(eval_ctx *c) {
    rvcidx_eval_report *r = c->report;
    const rvcidx_eval_point *best = NULL;
    for (size_t i = 0; i < r->n_points; i++) {
        if (r->points[i].reaches_target) return 0;
        if (choosable(c, &r->points[i]) && (!best || r->points[i].recall_k > best->recall_k)) best = &r->points[i];
    }
    if (!c->p->tune || c->info.type != RVCIDX_INDEX_IVFPQ4FS || !best) return 0;
    rvcidx_eval_point extra[MORE_KF * MORE_NP];
    size_t n = 0;
    for (int a = 0; a < MORE_NP; a++)
        for (int b = 0; b < MORE_KF; b++) {
            int64_t np = (int64_t)best->nprobe << a;
            if (np > r->nlist || (c->p->fixed_nprobe > 0 && np != c->p->fixed_nprobe)) continue;
            memset(&extra[n], 0, sizeof extra[n]);
            extra[n].nprobe = (int)np;
            extra[n].k_factor = 256 << b;
            extra[n].cost = rvcidx__eval_cost(&c->info, c->p->k, extra[n].nprobe, extra[n].k_factor);
            n++;
        }
    for (size_t i = 1; i < n; i++) /* cheapest first (insertion sort: at most 9) */
        for (size_t j = i; j > 0 && extra[j].cost < extra[j - 1].cost; j--) {
            rvcidx_eval_point t = extra[j];
            extra[j] = extra[j - 1], extra[j - 1] = t;
        }
    rvcidx__log(RVCIDX_LOG_INFO, "eval: no setting reached %d-recall@%d >= %.2f (best %.4f at nprobe %d, k_factor %d): "
                "re-ranking more candidates (k_factor up to 1024)", c->p->k, c->p->k, c->p->target_recall,
                best->recall_k, best->nprobe, best->k_factor);
    rvcidx_eval_point *grown = realloc(r->points, sizeof *grown * (r->n_points + n)); /* best points into the old */
    if (!grown) return rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory");
    r->points = grown;
    c->planned += n;
    for (size_t i = 0; i < n; i++) {
        RVCIDX__TRY(measure_point(c, &extra[i]));
        r->points[r->n_points++] = extra[i];
        RVCIDX__TRY(report_progress(c, c->planned - n + i + 1, 0));
        if (extra[i].reaches_target) break;
    }
    return 0;
}

/* The report's account of recall_k_bound (eval_score.c). */
static void describe_bound(eval_ctx *c) {
    rvcidx_eval_report *r = c->report;
    r->groups = c->data.groups;
    for (int g = 0; g < r->groups; g++) {
        snprintf(r->group_names[g], sizeof r->group_names[g], "%s", c->data.groups > 1 ? c->data.group_names[g] : "");
        r->group_queries[g] = c->data.group_queries[g];
    }
    if (r->groups > 1)
        snprintf(r->bound_method, sizeof r->bound_method, "one-sided 95%% lower bound of each of the %d held-out "
                 "speakers' mean k-recall@k over its queries (mean - %.3f standard errors), the worst speaker's",
                 r->groups, RVCIDX__EVAL_BOUND_Z);
    else
        snprintf(r->bound_method, sizeof r->bound_method, "one-sided 95%% lower bound of the mean k-recall@k over the "
                 "queries (mean - %.3f standard errors); one group of queries, so it does not cover how other "
                 "voices differ from these", RVCIDX__EVAL_BOUND_Z);
}

static int run_eval(eval_ctx *c, const char *store_path, uint64_t first_row, int cosine) {
    rvcidx_eval_report *r = c->report;
    RVCIDX__TRY(find_exact_copy(c));
    RVCIDX__TRY(rvcidx__eval_data_load(store_path, first_row, c->info.ntotal, c->info.dim, cosine, c->exact_xb, c->p,
                                       c->p->queries_from == RVCIDX_QUERIES_OTHER ? c->others : NULL, &c->data));
    r->queries = c->data.nq;
    r->zero_norm_rows = c->data.zero_rows;
    describe_bound(c);
    RVCIDX__TRY(rvcidx__eval_load_app_vectors(c));
    RVCIDX__TRY(compute_truth(c));
    RVCIDX__TRY(plan_sweep(c));
    c->planned = r->n_points; /* settings skipped below count as done: the total does not shrink */
    RVCIDX__TRY(report_progress(c, 0, 0));
    size_t kept = 0;
    double best_cost = -1; /* the cheapest measured setting that reaches the target */
    int budget = c->p->max_block_ms > 0;
    int fixed = c->p->fixed_nprobe, reached_np = 0; /* with a forced nprobe: the smallest one reaching the recall */
    for (size_t i = 0; i < r->n_points; i++) {
        rvcidx_eval_point pt = r->points[i];
        /* with a forced nprobe only two things matter: the forced setting, and the
         * smallest nprobe that reaches the recall (it tells the nlist to retrain with) */
        if (i > 0 && fixed > 0 && reached_np > 0 && pt.nprobe > (reached_np > fixed ? reached_np : fixed)) continue;
        if (i > 0 && fixed <= 0 && rvcidx__eval_plateaued(r->points, kept, pt.k_factor)) continue;
        /* a setting the model prices above one that already reaches the target can never be chosen
         * (nor under a realtime app's limit: the cheapest that fits wins); under a budget, one doing
         * all the work of a setting measured too slow would not fit either */
        if (i > 0 && (!budget || c->p->budget_cheapest) && best_cost >= 0 &&
            rvcidx__eval_cost(&c->info, c->p->k, pt.nprobe, pt.k_factor) > best_cost) continue;
        if (i > 0 && budget && slower_than_too_slow(c, r->points, kept, &pt)) continue;
        RVCIDX__TRY(measure_point(c, &pt));
        if (i > 0 && pt.reaches_target && (best_cost < 0 || pt.cost < best_cost)) best_cost = pt.cost;
        if (rvcidx__eval_meets_recall(&pt, c->p->target_recall) && (!reached_np || pt.nprobe < reached_np))
            reached_np = pt.nprobe;
        r->points[kept++] = pt;
        RVCIDX__TRY(report_progress(c, i + 1, 0));
    }
    r->n_points = kept;
    RVCIDX__TRY(more_candidates(c));
    if (c->data.rows) RVCIDX__TRY(rvcidx__row_reader_status(c->data.rows)); /* a failed read ranked a vector last */
    RVCIDX__TRY(report_progress(c, c->planned, 1));
    r->stored = 0;
    rvcidx__eval_choose(r);
    RVCIDX__TRY(time_all_threads(c, &r->points[0]));
    RVCIDX__TRY(time_app_threads(c, &r->points[0]));
    if (r->chosen < 0) return 0;
    RVCIDX__TRY(time_all_threads(c, &r->points[r->chosen]));
    return time_app_threads(c, &r->points[r->chosen]);
}

static void fill_header(eval_ctx *c, const char *index_path, const rvcidx_index_params *ip) {
    rvcidx_eval_report *r = c->report;
    snprintf(r->index_path, sizeof r->index_path, "%s", index_path);
    rvcidx_index_params tmp = ip ? *ip : rvcidx_index_default_params();
    tmp.type = c->info.type;
    tmp.refine = c->info.refine;
    tmp.residual = c->info.residual;
    rvcidx_index_describe(&tmp, c->info.dim, c->info.nlist, r->factory, sizeof r->factory);
    snprintf(r->metric, sizeof r->metric, "%s",
             !c->info.inner_product ? "l2" : ip && ip->metric == RVCIDX_METRIC_COSINE ? "cosine" : "ip");
    r->dim = c->info.dim;
    if (c->info.type == RVCIDX_INDEX_IVFPQ4FS) snprintf(r->refine, sizeof r->refine, "%s", rvcidx_refine_name(c->info.refine));
    r->k = c->p->k;
    r->nlist = c->info.nlist;
    r->ntotal = c->info.ntotal;
    r->leave_one_out = !c->p->queries_store && c->p->queries_from != RVCIDX_QUERIES_OTHER;
    if (c->p->queries_store)
        snprintf(r->queries_desc, sizeof r->queries_desc, "external store %s", c->p->queries_store);
    else if (!r->leave_one_out && c->others && !c->others->held_out)
        snprintf(r->queries_desc, sizeof r->queries_desc, "other speakers: a sample of the store's rows outside the "
                 "%llu this index's vectors were reduced from", (unsigned long long)c->others->rows);
    else
        snprintf(r->queries_desc, sizeof r->queries_desc, "%s", r->leave_one_out
                 ? "leave-one-out: a sample of the indexed vectors, each without itself"
                 : "other speakers: a sample of the store's rows outside the index");
    r->target_recall = c->p->target_recall;
    r->threads_all = omp_get_max_threads();
    const rvcidx_app_profile *app = rvcidx_app_profile_get(c->p->app);
    snprintf(r->app, sizeof r->app, "%s", app ? app->name : "");
    r->fixed_nprobe = c->p->fixed_nprobe;
    r->block_frames = c->p->block_frames > 0 ? c->p->block_frames : 16; /* 16: RVC realtime's ~0.25 s block */
    r->search_threads = c->p->search_threads;
    r->max_block_ms = c->p->max_block_ms;
    r->budget_cheapest = c->p->max_block_ms > 0 && c->p->budget_cheapest;
}

const char *rvcidx__eval_budget_choice(int budget_cheapest) {
    return budget_cheapest ? "cheapest within (the app's realtime limit)" : "highest recall within";
}

/* 16 frames: RVC realtime's 0.25 s block. */
rvcidx_eval_params rvcidx__eval_params_resolved(const rvcidx_eval_params *given) {
    rvcidx_eval_params p = *given;
    if (p.max_block_ms <= 0) return p;
    if (p.block_frames <= 0) p.block_frames = 16;
    if (p.search_threads < 0) p.search_threads = 1;
    return p;
}

static int resolve_params(eval_ctx *c, const rvcidx_eval_params *given) {
    c->eff = rvcidx__eval_params_resolved(given);
    c->p = &c->eff;
    if (c->eff.max_block_ms > 0 && !c->eff.measure_speed)
        return rvcidx__fail(RVCIDX_EINVAL, "`max_block_ms` chooses by measured time: it cannot go with `no_timing`");
    return 0;
}

int rvcidx__eval_index(FaissIndex *index, const char *label, const char *store_path,
                       const rvcidx_index_params *index_params, const rvcidx_eval_params *params,
                       const rvcidx__eval_others *others, rvcidx__ctx *run, rvcidx_eval_report **out) {
    *out = NULL;
    rvcidx_eval_params defaults = rvcidx_eval_default_params();
    eval_ctx c;
    memset(&c, 0, sizeof c);
    RVCIDX__TRY(resolve_params(&c, params ? params : &defaults));
    if (c.p->k < 1 || c.p->k > 1024) return rvcidx__fail(RVCIDX_EINVAL, "eval: k must be 1..1024");
    c.extra = c.p->queries_store || c.p->queries_from == RVCIDX_QUERIES_OTHER ? 0 : 1;
    c.report = calloc(1, sizeof *c.report);
    if (!c.report) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    c.run = run;
    c.index = index;
    c.others = others;
    int rc = rvcidx__index_describe_loaded(index, label, &c.info);
    c.nprobe = c.info.nprobe;
    if (rc == 0) {
        fill_header(&c, label, index_params);
        int cosine = index_params && index_params->metric == RVCIDX_METRIC_COSINE;
        rc = run_eval(&c, store_path, index_params ? index_params->first_row : 0, cosine);
    }
    rvcidx__answers_free(&c.truth);
    free(c.app_xb);
    free(c.row_buf);
    rvcidx__eval_data_free(&c.data);
    if (rc) {
        rvcidx_eval_report_free(c.report);
        return rc;
    }
    *out = c.report;
    return 0;
}

int rvcidx_eval(const char *index_path, const char *store_path, const rvcidx_index_params *index_params,
                const rvcidx_eval_params *params, const rvcidx_run *run, rvcidx_eval_report **out) {
    rvcidx__ctx ctx;
    rvcidx__ctx_open(&ctx, run);
    int rc = rvcidx__eval_file(index_path, store_path, index_params, params, NULL, &ctx, out);
    rvcidx__ctx_close(&ctx);
    return rc;
}

int rvcidx__eval_file(const char *index_path, const char *store_path, const rvcidx_index_params *index_params,
                      const rvcidx_eval_params *params, const rvcidx__eval_others *others, rvcidx__ctx *run,
                      rvcidx_eval_report **out) {
    if (!index_path || !store_path || !out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_eval: NULL argument");
    *out = NULL;
    FaissIndex *index = NULL;
    rvcidx__index_info info;
    RVCIDX__TRY(rvcidx__index_load(index_path, &index, &info));
    int rc = rvcidx__eval_index(index, index_path, store_path, index_params, params, others, run, out);
    faiss_Index_free(index);
    struct stat st;
    if (rc == 0 && stat(index_path, &st) == 0) rvcidx__eval_report_set_size(*out, (uint64_t)st.st_size, (*out)->ntotal);
    return rc;
}

void rvcidx__eval_report_set_size(rvcidx_eval_report *r, uint64_t file_bytes, uint64_t ntotal) {
    r->index_bytes = file_bytes;
    r->app_memory_bytes = file_bytes + ntotal * (uint64_t)r->dim * sizeof(float);
}
