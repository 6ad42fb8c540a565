/* eval_choice.h — private: how a sweep's settings are judged and one is
 * chosen: the recall target's tests, the cost model, the plateau rule and
 * the choice itself. Pure functions of the measured points (eval_choice.c). */
#ifndef RVCIDX_EVAL_CHOICE_H
#define RVCIDX_EVAL_CHOICE_H

#include <stddef.h>

#include "index/index_io.h"
#include "rvcidx/eval.h"

/* The recall a setting must give, with no empty slot, whether or not it
 * can be chosen: its lower confidence bound reaches the target, so that
 * the target holds for voices the tuning did not see. */
int rvcidx__eval_meets_recall(const rvcidx_eval_point *pt, double target);
/* The same on the mean recall (the fallback when no bound reaches it). */
int rvcidx__eval_meets_recall_on_mean(const rvcidx_eval_point *pt, double target);

/* Per-query work of a setting on the index in: coarse search, list
 * scanning, exact refine of k*k_factor candidates. */
double rvcidx__eval_cost(const rvcidx__index_info *in, int k, int nprobe, int k_factor);

/* 1 when p is cheaper than best by the cost model, ties broken by the
 * smaller nprobe, then k_factor. */
int rvcidx__eval_cheaper(const rvcidx_eval_point *p, const rvcidx_eval_point *best);

/* A setting's p99 per block as a time budget judges it: the longer of one
 * thread's and the app's threads' (0 when not timed). */
double rvcidx__eval_block_p99(const rvcidx_eval_point *pt);

/* 1 when k_factor's recall has stopped rising in done[1..n): at least three
 * of its settings measured, and the last nprobe step gained under 0.002
 * (done[0] is the stored setting, outside the sweep's order). */
int rvcidx__eval_plateaued(const rvcidx_eval_point *done, size_t n, int k_factor);

/* Sets r->chosen (-1: none) and r->no_margin from r's points: the cheapest
 * whose bound reaches the target (under a time budget, r->max_block_ms, the
 * best recall that fits, or with r->budget_cheapest the cheapest that fits);
 * when none does but one reaches it on the mean, that one with no_margin 1, except when r->fixed_nprobe (an app forcing
 * nprobe retrains with fewer lists instead). */
void rvcidx__eval_choose(rvcidx_eval_report *r);

#endif
