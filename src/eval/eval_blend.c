/* eval_blend.c — RVC's blend of result vectors and a blend's error (see
 * eval_blend.h): the arithmetic eval's scoring and the reduce stage's
 * measurements share, so both measure the same thing. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "eval/eval_blend.h"

double rvcidx__squared_l2(const float *a, const float *b, int d) {
    double s = 0;
    for (int i = 0; i < d; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return s;
}

double rvcidx__blend_add(double *out, const float *v, double score, int d) {
    double w = 1.0 / fmax(score * score, 1e-24);
    for (int j = 0; j < d; j++) out[j] += w * v[j];
    return w;
}

void rvcidx__blend_finish(double *out, int d, double weight_sum) {
    for (int j = 0; j < d; j++) out[j] /= weight_sum;
}

void rvcidx__blend_rows(const float *base, uint64_t n, const float *query, const int64_t *ids, int k, int dim,
                        double *out) {
    double wsum = 0;
    memset(out, 0, sizeof(double) * (size_t)dim);
    for (int i = 0; i < k; i++) {
        const float *v = base + (uint64_t)(ids[i] >= 0 ? ids[i] : (int64_t)n - 1) * (uint64_t)dim;
        double score = ids[i] >= 0 ? rvcidx__squared_l2(query, v, dim) : (double)FLT_MAX;
        wsum += rvcidx__blend_add(out, v, score, dim);
    }
    rvcidx__blend_finish(out, dim, wsum);
}

double rvcidx__blend_error(const double *got, const double *want, int d) {
    double diff = 0, norm = 0;
    for (int j = 0; j < d; j++) {
        diff += (got[j] - want[j]) * (got[j] - want[j]);
        norm += want[j] * want[j];
    }
    return norm > 0 ? sqrt(diff / norm) : 0.0;
}

int rvcidx__compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
