/* build_index.c — train, encode, measure and publish one index. */
#include <dirent.h>
#include <sys/stat.h>
#include <limits.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/eval_internal.h"
#include "base/fsutil.h"
#include "pipeline/build_internal.h"
#include "base/hash.h"
#include "index/index_internal.h"
#include "index/index_io.h"
#include "base/internal.h"
#include "reduce/reduce_internal.h"
#include "rvcidx/index_build.h"
#include "rvcidx/store.h"
#include "outdir/outdir_internal.h"
#include "rvcidx/outdir.h"
#include "store/row_reader.h"


static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }

int rvcidx__build_finish(rvcidx__ctx *ctx, const char *store, const char *dir, const char *model, const char *trained, const char *work,
                         const rvcidx_index_params *p, const rvcidx_eval_params *ep, int tuned, rvcidx_index_result *r) {
    int rc = tuned ? 0 : rvcidx__index_measure(ctx, store, dir, trained, work, p, ep, NULL, r); /* split: one index of the whole store */
    if (rc == 0 && r->eval) rvcidx__eval_report_set_size(r->eval, rvcidx__file_size(work), r->encode.ntotal);
    if (rc == 0) rc = rvcidx__publish_index(dir, model, work, p, r->encode.dim, r);
    if (rc) unlink(work);
    return rc;
}

/* `max_index_size`: the refines from the most exact (flat, fp16, sq8);
 * the first whose predicted size (an upper bound, index_params.c) fits is
 * built and measured, and shipped when its real file fits too. The more
 * exact storage re-ranks with the vectors closer to the originals, so the
 * first that fits is the best one that does: the others are predicted, not
 * built. None fits: RVCIDX_ETOOBIG with every size. */
static int build_within_size(rvcidx__ctx *ctx, const char *store, const char *dir, const char *work, rvcidx_index_params *p,
                             const rvcidx_eval_params *ep, const rvcidx__eval_others *others, rvcidx_index_result *r) {
    rvcidx_refine_candidate cand[3];
    int dim = 0;
    uint64_t rows = 0;
    RVCIDX__TRY(rvcidx__index_rows(store, p, &dim, &rows));
    rvcidx__refine_candidates(p, dim, p->nlist, rows, cand);
    int shipped = -1;
    for (int i = 0; i < 3 && shipped < 0; i++) {
        if (!cand[i].fits) continue;
        rvcidx_index_params q = *p;
        q.refine = cand[i].refine;
        rvcidx__log(RVCIDX_LOG_INFO, "max_index_size %.1f MiB: refine %s, predicted at most %.1f MiB: building it",
                    mib(p->max_index_size), rvcidx_refine_name(q.refine), mib(cand[i].predicted_bytes));
        rvcidx_eval_report_free(r->eval);
        r->eval = NULL;
        RVCIDX__TRY(rvcidx__encode_and_measure(ctx, store, dir, work, &q, ep, others, r));
        cand[i].built = 1;
        cand[i].file_bytes = rvcidx__file_size(work);
        cand[i].fits = cand[i].file_bytes > 0 && cand[i].file_bytes <= p->max_index_size;
        if (cand[i].fits) {
            shipped = i;
            p->refine = q.refine;
        } else {
            rvcidx__log(RVCIDX_LOG_WARN, "refine %s: the file is %.1f MiB, over `max_index_size` though predicted to fit",
                        rvcidx_refine_name(q.refine), mib(cand[i].file_bytes));
            unlink(work);
        }
    }
    if (shipped < 0) return rvcidx__refine_refusal(p, dim, p->nlist, rows, cand);
    if (r->eval) {
        memcpy(r->eval->candidates, cand, sizeof cand);
        r->eval->n_candidates = 3;
        r->eval->max_index_size = p->max_index_size;
    }
    return 0;
}

static int train_encode_measure(rvcidx__ctx *ctx, const char *store, const char *dir, const char *work, rvcidx_index_params *p,
                                const rvcidx_eval_params *ep, const rvcidx__eval_others *others,
                                rvcidx_index_result *r) {
    double t = omp_get_wtime();
    RVCIDX__TRY(rvcidx__train(store, r->centroids_path, p, ctx, &r->train));
    r->train_seconds += omp_get_wtime() - t;
    p->nlist = r->train.nlist;
    if (p->type == RVCIDX_INDEX_AUTO) return rvcidx__build_auto(ctx, store, dir, work, p, ep, others, r);
    if (p->type == RVCIDX_INDEX_IVFPQ4FS && p->max_index_size) return build_within_size(ctx, store, dir, work, p, ep, others, r);
    return rvcidx__encode_and_measure(ctx, store, dir, work, p, ep, others, r);
}

/* An app that forces nprobe (Applio realtime: 12) searches the share
 * nprobe/nlist of the lists whatever the file says, so the lever left is
 * nlist: fewer, larger lists, read off the sweep just measured. 0 when there
 * is nothing to retry with. */
static int64_t nlist_for_forced_nprobe(const rvcidx_index_result *r, const rvcidx_eval_params *ep) {
    if (!ep || ep->fixed_nprobe <= 0 || !r->eval) return 0;
    int64_t fewer = rvcidx_eval_nlist_for_nprobe(r->eval, ep->fixed_nprobe);
    if (fewer)
        rvcidx__log(RVCIDX_LOG_INFO, "%s sets nprobe %d itself, which misses %d-recall@%d >= %.2f at nlist %lld; "
                    "training again with nlist %lld", r->eval->app, ep->fixed_nprobe, ep->k, ep->k, ep->target_recall,
                    (long long)r->train.nlist, (long long)fewer);
    return fewer;
}

/* A reduced index of part of the store (a `per_speaker` index): *left 1
 * when the store has rows outside that part, the other speakers' frames its
 * tuning queries come from, as for an index of all of that speaker's frames
 * (the reduced store holds none of them). */
static int other_frames_left(const char *store, const rvcidx__eval_others *o, int *left) {
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(store, &st));
    *left = rvcidx_store_rows(st) > o->rows;
    rvcidx_store_close(st);
    return 0;
}

int rvcidx_build_index(const char *store, const char *dir, const char *model, const rvcidx_index_params *ip,
                       const rvcidx_reduce_params *rp, const rvcidx_eval_params *ep, const rvcidx_run *run,
                       rvcidx_index_result *r) {
    rvcidx__ctx ctx;
    rvcidx__ctx_open(&ctx, run);
    int rc = rvcidx__build_index(&ctx, store, dir, model, ip, rp, ep, r);
    rvcidx__ctx_close(&ctx);
    return rc;
}

int rvcidx__build_index(rvcidx__ctx *ctx, const char *store, const char *dir, const char *model,
                        const rvcidx_index_params *ip, const rvcidx_reduce_params *rp, const rvcidx_eval_params *ep,
                        rvcidx_index_result *r) {
    if (!store || !dir || !model || !ip || !r) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_build_index: NULL argument");
    memset(r, 0, sizeof *r);
    char work_final[PATH_MAX], work[PATH_MAX];
    snprintf(r->centroids_path, sizeof r->centroids_path, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_CENTROIDS));
    snprintf(work_final, sizeof work_final, "%s/index", dir);
    RVCIDX__TRY(rvcidx__remove_stale_temps(work_final));
    RVCIDX__TRY(rvcidx__tmp_name(work_final, work, sizeof work));
    char flat_final[PATH_MAX];
    snprintf(flat_final, sizeof flat_final, "%s/index-flat", dir);
    RVCIDX__TRY(rvcidx__remove_stale_temps(flat_final));
    rvcidx_index_params base, p;
    rvcidx_reduce_result reduce;
    char reduced[PATH_MAX];
    rvcidx_reduce_params none = rvcidx_reduce_default_params();
    RVCIDX__TRY(rvcidx__reduce_store(store, dir, ip, rp ? rp : &none, ctx, reduced, sizeof reduced, &base, &reduce));
    rvcidx__eval_others others = {store, ip->first_row, reduce.input_rows, 0};
    int left = 0, rc = reduced[0] ? other_frames_left(store, &others, &left) : 0;
    const rvcidx__eval_others *tune_with = left ? &others : NULL;
    if (reduced[0]) store = reduced; /* the index holds the kept vectors only */
    p = base;
    if (rc == 0) rc = train_encode_measure(ctx, store, dir, work, &p, ep, tune_with, r);
    for (int retry = 0; rc == RVCIDX_ETARGET && retry < 6; retry++) { /* nlist falls each time: ends by nlist <= nprobe */
        int64_t fewer = nlist_for_forced_nprobe(r, ep);
        if (!fewer) break;
        rvcidx_eval_report_free(r->eval);
        r->eval = NULL;
        p = base;
        p.nlist = fewer;
        double encode_s = r->encode_seconds, eval_s = r->eval_seconds; /* the stage times count every attempt */
        rc = train_encode_measure(ctx, store, dir, work, &p, ep, tune_with, r);
        r->encode_seconds += encode_s;
        r->eval_seconds += eval_s;
    }
    if (rc == 0 && r->eval) rvcidx__eval_report_set_size(r->eval, rvcidx__file_size(work), r->encode.ntotal);
    if (rc == 0) rc = rvcidx__publish_index(dir, model, work, &p, r->encode.dim, r);
    if (rc) unlink(work);
    if (reduced[0]) unlink(reduced);
    r->reduce = reduce;
    if (r->eval) r->eval->reduce = reduce;
    return rc;
}
