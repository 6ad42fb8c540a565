/* build_auto.c — `index=auto`: the index type chosen by measurement.
 *
 * Three indexes are encoded from the same centroids and tuned on the same
 * queries: IVF-PQ4 FastScan on the vectors (x4fs, the seed's), on their
 * residuals to the list centroids (x4fsr, which ddPn08's rvc-webui ships)
 * and RVC's IVF-Flat. Under `max_index_size` each PQ index gets the most
 * exact refine storage predicted to fit (the rule of build_within_size:
 * a more exact storage re-ranks closer to the originals, so the first that
 * fits is the best that does), and an index predicted over the budget is
 * listed but not built.
 *
 * Among those that reach the target with no empty slot and whose file
 * fits, the winner is the one a user waits least on: the lowest measured
 * p99 search time per block at its chosen setting (the app's threads when
 * an app or a budget set them, else 16 frames on one thread); under
 * `max_block_ms`, where every setting chosen already fits the time, the
 * highest recall. With `no_timing` nothing is timed and the cost model
 * decides. Timed choices can differ between machines, as with
 * `max_block_ms`; the report's table shows every candidate's figures.
 *
 * The best file so far is kept in work and each new candidate is encoded
 * beside it, so at most two index files exist at once.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "index/index_internal.h"
#include "pipeline/build_internal.h"
#include "rvcidx/app.h"
#include "rvcidx/outdir.h"

enum { MAX_CANDIDATES = 3 };

typedef struct auto_try {
    rvcidx_index_params p;
    rvcidx_auto_candidate row;
} auto_try;

static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }


/* The most exact refine predicted to fit p->max_index_size (flat without a
 * budget, or when none fits: the candidate is then listed unbuilt). */
static rvcidx_refine refine_that_fits(const rvcidx_index_params *p, int dim, uint64_t rows) {
    if (!p->max_index_size) return p->refine;
    rvcidx_refine_candidate cand[3];
    rvcidx__refine_candidates(p, dim, p->nlist, rows, cand);
    for (int i = 0; i < 3; i++)
        if (cand[i].fits) return cand[i].refine;
    return RVCIDX_REFINE_SQ8;
}

static void add_candidate(auto_try *t, const rvcidx_index_params *p, rvcidx_index_type type, int residual, int dim,
                          uint64_t rows) {
    memset(t, 0, sizeof *t);
    t->p = *p;
    t->p.type = type;
    t->p.residual = residual;
    t->p.refine = type == RVCIDX_INDEX_IVFFLAT ? RVCIDX_REFINE_FLAT : refine_that_fits(p, dim, rows);
    t->p.max_index_size = 0; /* judged here, once, for all three */
    rvcidx_index_describe(&t->p, dim, p->nlist, t->row.factory, sizeof t->row.factory);
    t->row.file_bytes = rvcidx_index_predict_bytes(&t->p, dim, p->nlist, rows);
    t->row.app_memory_bytes = t->row.file_bytes + rows * (uint64_t)dim * 4;
    t->row.fits = !p->max_index_size || t->row.file_bytes <= p->max_index_size;
    t->row.nprobe = -1;
    /* IVF-Flat keeps its vectors in its lists: no store-backed tuning index
     * can stand in for it, so past the limit it is listed, not built. */
    t->row.over_memory = type == RVCIDX_INDEX_IVFFLAT && rvcidx__vectors_past_limit(dim, rows);
}

static size_t list_candidates(const rvcidx_index_params *p, int dim, uint64_t rows, auto_try out[MAX_CANDIDATES]) {
    add_candidate(&out[0], p, RVCIDX_INDEX_IVFPQ4FS, 0, dim, rows);
    add_candidate(&out[1], p, RVCIDX_INDEX_IVFPQ4FS, 1, dim, rows);
    add_candidate(&out[2], p, RVCIDX_INDEX_IVFFLAT, 0, dim, rows);
    return MAX_CANDIDATES;
}

/* The point a candidate is judged at: its chosen setting, or when none
 * reached the target, its best recall (for the table and the refusal). */
static const rvcidx_eval_point *judged_point(const rvcidx_eval_report *e) {
    if (e->chosen >= 0) return &e->points[e->chosen];
    const rvcidx_eval_point *best = e->n_points ? &e->points[0] : NULL;
    for (size_t i = 1; i < e->n_points; i++)
        if (e->points[i].recall_k > best->recall_k) best = &e->points[i];
    return best;
}

static void fill_row(rvcidx_auto_candidate *row, const rvcidx_index_result *res, const char *path,
                     const rvcidx_index_params *budget, int reached) {
    row->built = 1;
    row->reaches_target = reached;
    row->file_bytes = rvcidx__file_size(path);
    row->app_memory_bytes = row->file_bytes + res->encode.ntotal * (uint64_t)res->encode.dim * 4;
    row->fits = !budget->max_index_size || row->file_bytes <= budget->max_index_size;
    const rvcidx_eval_point *pt = res->eval ? judged_point(res->eval) : NULL;
    if (!pt) return;
    row->nprobe = pt->nprobe;
    row->k_factor = pt->k_factor;
    row->recall_k = pt->recall_k;
    row->blend_error_mean = pt->blend_error_mean;
    row->blend_error_p95 = pt->blend_error_p95;
    row->cost = pt->cost;
    int app = pt->app_block_ms_p99 > 0;
    row->block_ms_p50 = app ? pt->app_block_ms_p50 : pt->block_ms_p50;
    row->block_ms_p99 = app ? pt->app_block_ms_p99 : pt->block_ms_p99;
}

/* 1 when a beats b, both eligible. */
static int better(const rvcidx_auto_candidate *a, const rvcidx_auto_candidate *b, const rvcidx_eval_params *ep) {
    if (ep->max_block_ms > 0 && !ep->budget_cheapest && a->recall_k != b->recall_k) return a->recall_k > b->recall_k;
    if (ep->measure_speed && a->block_ms_p99 != b->block_ms_p99) return a->block_ms_p99 < b->block_ms_p99;
    if (!ep->measure_speed && a->cost != b->cost) return a->cost < b->cost;
    return a->file_bytes < b->file_bytes;
}

static void describe_rule(const rvcidx_eval_params *ep, char *out, size_t n) {
    const rvcidx_app_profile *app = rvcidx_app_profile_get(ep->app);
    if (ep->max_block_ms > 0 && ep->budget_cheapest)
        snprintf(out, n, "lowest measured p99 search time per block among those reaching the target within %s's "
                 "realtime limit of %.3g ms", app ? app->name : "the app", ep->max_block_ms);
    else if (ep->max_block_ms > 0)
        snprintf(out, n, "highest %d-recall@%d among those reaching the target whose p99 per block fits %.3g ms", ep->k,
                 ep->k, ep->max_block_ms);
    else if (ep->measure_speed)
        snprintf(out, n, "lowest measured p99 search time per block among those reaching the target");
    else
        snprintf(out, n, "lowest cost-model estimate among those reaching the target (`no_timing`: nothing timed)");
}

static void log_row(const rvcidx_auto_candidate *row) {
    if (!row->built && row->over_memory) {
        rvcidx__log(RVCIDX_LOG_INFO, "index auto: %s: not built: it would hold all %.1f MiB of its vectors in memory, "
                    "over %.1f MiB (RVCIDX_ROWS_IN_MEMORY)", row->factory,
                    mib(row->app_memory_bytes - row->file_bytes), mib(rvcidx__rows_in_memory_max()));
        return;
    }
    if (!row->built) {
        rvcidx__log(RVCIDX_LOG_INFO, "index auto: %s: not built, predicted %.1f MiB, over `max_index_size`",
                    row->factory, mib(row->file_bytes));
        return;
    }
    char k_factor[32] = "";
    if (row->k_factor) snprintf(k_factor, sizeof k_factor, ", k_factor %d", row->k_factor);
    rvcidx__log(RVCIDX_LOG_INFO, "index auto: %s: %s, %s recall %.4f at nprobe %d%s, p99 %.3f ms per block, file "
                "%.1f MiB%s", row->factory, row->reaches_target ? "reaches the target" : "misses the target",
                row->reaches_target ? "chosen" : "best", row->recall_k, row->nprobe, k_factor, row->block_ms_p99,
                mib(row->file_bytes), row->fits ? "" : " (over `max_index_size`)");
}

/* Encodes and measures one candidate into path; *res owns its report. */
static int try_candidate(rvcidx__ctx *ctx, const char *store, const char *dir, const char *path, auto_try *t,
                         const rvcidx_index_params *budget, const rvcidx_eval_params *ep,
                         const rvcidx__eval_others *others, const rvcidx_index_result *r, rvcidx_index_result *res) {
    *res = *r;
    res->eval = NULL;
    res->encode_seconds = res->eval_seconds = 0;
    int rc = rvcidx__encode_and_measure(ctx, store, dir, path, &t->p, ep, others, res);
    if (rc && rc != RVCIDX_ETARGET) {
        rvcidx_index_result_clear(res);
        return rc;
    }
    fill_row(&t->row, res, path, budget, rc == 0);
    log_row(&t->row);
    return 0;
}

/* None shipped: RVCIDX_ETOOBIG when one reached the target but no file
 * fits, else RVCIDX_ETARGET; every candidate's best figures said. */
static int refuse(const auto_try *t, size_t n, const rvcidx_eval_params *ep, const rvcidx_index_params *p) {
    char what[640];
    size_t len = 0;
    int reached = 0;
    for (size_t i = 0; i < n && len < sizeof what; i++) {
        const rvcidx_auto_candidate *c = &t[i].row;
        reached |= c->reaches_target;
        len += (size_t)snprintf(what + len, sizeof what - len, "%s%s %s", i ? "; " : "", c->factory,
                                !c->built && c->over_memory ? "not built (it would hold every vector in memory)"
                                : !c->built ? "not built (predicted over the size budget)" : "");
        if (c->built && len < sizeof what)
            len += (size_t)snprintf(what + len, sizeof what - len, "best recall %.4f, %.1f MiB", c->recall_k,
                                    mib(c->file_bytes));
    }
    if (reached)
        return rvcidx__fail(RVCIDX_ETOOBIG, "index auto: no index reaching the target fits `max_index_size=%.1f MiB`: %s; "
                            "raise `max_index_size` or index fewer frames (`max_vectors`)", mib(p->max_index_size), what);
    return rvcidx__fail(RVCIDX_ETARGET, "index auto: no index reached %d-recall@%d >= %.2f with no empty slot%s: %s; "
                        "lower `target_recall`%s", ep->k, ep->k, ep->target_recall,
                        ep->max_block_ms > 0 ? " within `max_block_ms`" : "", what,
                        ep->max_block_ms > 0 ? " or raise `max_block_ms`" : "");
}

static void keep_table(rvcidx_eval_report *e, const auto_try *t, size_t n, int winner, const rvcidx_eval_params *ep,
                       const rvcidx_index_params *p) {
    if (!e) return;
    for (size_t i = 0; i < n; i++) {
        e->auto_candidates[i] = t[i].row;
        e->auto_candidates[i].chosen = (int)i == winner;
    }
    e->n_auto_candidates = n;
    e->max_index_size = p->max_index_size;
    describe_rule(ep, e->auto_rule, sizeof e->auto_rule);
}

int rvcidx__build_auto(rvcidx__ctx *ctx, const char *store, const char *dir, const char *work, rvcidx_index_params *p,
                       const rvcidx_eval_params *ep, const rvcidx__eval_others *others, rvcidx_index_result *r) {
    if (!ep) return rvcidx__fail(RVCIDX_EINVAL, "`index=auto` chooses by measuring: it needs the recall measurement "
                                 "(drop `no_tune`)");
    int dim = 0;
    uint64_t rows = 0;
    RVCIDX__TRY(rvcidx__index_rows(store, p, &dim, &rows));
    auto_try t[MAX_CANDIDATES];
    size_t n = list_candidates(p, dim, rows, t);
    char cand_path[PATH_MAX], cand_final[PATH_MAX];
    snprintf(cand_final, sizeof cand_final, "%s/index-flat", dir); /* its stale temporaries are removed at start */
    RVCIDX__TRY(rvcidx__tmp_name(cand_final, cand_path, sizeof cand_path));
    rvcidx_index_result best = {0}, last = {0};
    int winner = -1, rc = 0;
    double encode_s = 0, eval_s = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!t[i].row.fits || t[i].row.over_memory) {
            log_row(&t[i].row);
            continue;
        }
        rvcidx_index_result res;
        rc = try_candidate(ctx, store, dir, cand_path, &t[i], p, ep, others, r, &res);
        if (rc) break;
        encode_s += res.encode_seconds;
        eval_s += res.eval_seconds;
        int eligible = t[i].row.reaches_target && t[i].row.fits;
        if (eligible && (winner < 0 || better(&t[i].row, &t[winner].row, ep))) {
            if (rename(cand_path, work) != 0) {
                rc = rvcidx__fail(RVCIDX_EIO, "%s: cannot rename to %s: %s", cand_path, work, strerror(errno));
                rvcidx_index_result_clear(&res);
                break;
            }
            rvcidx_index_result_clear(&best);
            best = res;
            winner = (int)i;
        } else {
            unlink(cand_path);
            rvcidx_index_result_clear(&last); /* kept for the report of a refusal */
            last = res;
        }
    }
    unlink(cand_path);
    if (rc == 0 && winner < 0) {
        keep_table(last.eval, t, n, -1, ep, p);
        rvcidx_eval_report_free(r->eval);
        r->eval = last.eval;
        last.eval = NULL;
        unlink(work);
        rc = refuse(t, n, ep, p);
    } else if (rc == 0) {
        keep_table(best.eval, t, n, winner, ep, p);
        rvcidx__log(RVCIDX_LOG_INFO, "index auto: %s ships (%s)", t[winner].row.factory, best.eval ? best.eval->auto_rule : "");
        *p = t[winner].p;
        *r = best;
        best.eval = NULL;
    }
    r->encode_seconds = encode_s;
    r->eval_seconds = eval_s;
    rvcidx_index_result_clear(&best);
    rvcidx_index_result_clear(&last);
    return rc;
}
