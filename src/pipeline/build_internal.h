/* build_internal.h — private: the end of rvcidx_build_index (measure, tune,
 * publish under the RVC name), shared with split builds (split.c). */
#ifndef RVCIDX_BUILD_INTERNAL_H
#define RVCIDX_BUILD_INTERNAL_H

#include "backend/run_context.h"
#include "eval/eval_queries.h"
#include "rvcidx/index_build.h"

/* The rows of the tuning index of one index over every row of a store of
 * `count` speakers (speaker_rows in store order, total rows in all): the
 * last speakers are held out as the tuning queries, up to
 * RVCIDX_EVAL_MAX_GROUPS of them while they hold at most half of the
 * rows, and always the last one. total when fewer than two speakers have
 * rows (nothing to hold out). build_index.c tunes so, plan.c plans so. */
uint64_t rvcidx__tuning_rows(const uint64_t *speaker_rows, size_t count, uint64_t total);

/* work: the encoded index under a temporary name in dir. r->train and
 * r->encode must be filled. trained: the trained empty index when one is at
 * hand (split builds), else NULL. tuned: r already holds the tuning
 * (rvcidx__tune_first) and work its setting: only published. On failure
 * work is removed. */
int rvcidx__build_finish(rvcidx__ctx *ctx, const char *store, const char *dir, const char *model, const char *trained, const char *work,
                         const rvcidx_index_params *p, const rvcidx_eval_params *ep, int tuned, rvcidx_index_result *r);

/* A split's finish past RVCIDX_ROWS_IN_MEMORY: tunes on a held-out speaker
 * with an index reading its rows by id, before any merged file exists, so
 * the merge writes the chosen nprobe/k_factor and no file is loaded whole
 * to store them. *tuned 0 (nothing done) when that does not apply. */
int rvcidx__tune_first(rvcidx__ctx *ctx, const char *store, const char *dir, const rvcidx_index_params *p, const rvcidx_eval_params *ep,
                       rvcidx_index_result *r, int *tuned);

/* `max_index_size` (p): the refines in order of preference with their
 * predicted sizes for rows vectors of dim at nlist (file_bytes kept where
 * cand already holds a built one). */
void rvcidx__refine_candidates(const rvcidx_index_params *p, int dim, int64_t nlist, uint64_t rows,
                               rvcidx_refine_candidate cand[3]);

/* RVCIDX_ETOOBIG: no refine fits p->max_index_size, every size said. */
int rvcidx__refine_refusal(const rvcidx_index_params *p, int dim, int64_t nlist, uint64_t rows,
                           const rvcidx_refine_candidate cand[3]);

/* Encodes p's index into work (a temporary name in dir) and measures it;
 * when tuning, the chosen setting is stored in the file. RVCIDX_ETARGET
 * when no setting reached the target (r->eval then holds the sweep). */
int rvcidx__encode_and_measure(rvcidx__ctx *ctx, const char *store, const char *dir, const char *work, const rvcidx_index_params *p,
                               const rvcidx_eval_params *ep, const rvcidx__eval_others *others, rvcidx_index_result *r);
/* Measures the encoded index at work (trained: the trained empty index a
 * split build's parts started from, or NULL) with ep, choosing and storing
 * its setting when tuning; sets r->nprobe and r->k_factor. */
int rvcidx__index_measure(rvcidx__ctx *ctx, const char *store, const char *dir, const char *trained, const char *work,
                          const rvcidx_index_params *p, const rvcidx_eval_params *ep, const rvcidx__eval_others *others,
                          rvcidx_index_result *r);

/* `index=auto` (build_auto.c): r->train and r->centroids_path filled, p->nlist
 * trained; on return *p is the shipped index's parameters. others: where
 * the tuning queries come from when the store was reduced (NULL: itself). */
/* rvcidx_build_index in a run's context (the device acquired once for every
 * index of a build). */
int rvcidx__build_index(rvcidx__ctx *ctx, const char *store, const char *dir, const char *model,
                        const rvcidx_index_params *ip, const rvcidx_reduce_params *rp, const rvcidx_eval_params *ep,
                        rvcidx_index_result *r);

int rvcidx__build_auto(rvcidx__ctx *ctx, const char *store, const char *dir, const char *work, rvcidx_index_params *p,
                       const rvcidx_eval_params *ep, const rvcidx__eval_others *others, rvcidx_index_result *r);


/* The rows the index of p holds (its range of the store) and their dimension. */
int rvcidx__index_rows(const char *store, const rvcidx_index_params *p, int *dim, uint64_t *rows);

#endif
