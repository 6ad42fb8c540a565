/* eval_blend.h — private: RVC's blend of a search's result vectors, and the
 * error of one blend against another: pure arithmetic, shared by eval's
 * scoring and the reduce stage's measurements (eval_blend.c). */
#ifndef RVCIDX_EVAL_BLEND_H
#define RVCIDX_EVAL_BLEND_H

#include <stdint.h>

/* The squared L2 distance of two d-vectors, summed in order in doubles. */
double rvcidx__squared_l2(const float *a, const float *b, int d);

/* Adds v, a result at squared distance score from the query, to the running
 * blend out (d doubles) with RVC's weight 1/score^2; returns the weight. An
 * empty slot (faiss's -1) is given score FLT_MAX by the caller: it weighs
 * nothing unless every slot is empty. */
double rvcidx__blend_add(double *out, const float *v, double score, int d);

/* Divides the running blend by the sum of its weights. */
void rvcidx__blend_finish(double *out, int d, double weight_sum);

/* RVC's blend of the k rows of base (n rows of dim) at ids for query into
 * out; an id < 0 is base's last row (Python's big_npy[-1]) at score FLT_MAX. */
void rvcidx__blend_rows(const float *base, uint64_t n, const float *query, const int64_t *ids, int k, int dim,
                        double *out);

/* ||got - want|| / ||want||: the relative error of a blend (0 when want is 0). */
double rvcidx__blend_error(const double *got, const double *want, int d);

/* qsort's comparison of doubles, ascending. */
int rvcidx__compare_double(const void *a, const void *b);

#endif
