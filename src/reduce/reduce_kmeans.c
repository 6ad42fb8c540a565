/* reduce_kmeans.c — `max_vectors`' kmeans method: B centres for n rows.
 *
 * One k-means costs n*B*D per iteration: at 1M frames and B = 100,000 that
 * is 1.5e14 flop, hours on a CPU node, where RVC's recipe takes minutes. Up
 * to REDUCE_FLAT_WORK (n*B) it runs as is; above, in two levels, as
 * hierarchical k-means does: sqrt(B) groups first, every row assigned to
 * its group, then each group's rows into its share of B (by its share of
 * the rows, largest remainder), for about 2*n*sqrt(B)*D per iteration.
 * Both levels are seeded faiss k-means, so the same rows give the same
 * centres. k-means runs on the build's backend (the GPU when there is
 * one); the second level reports its groups as progress. */
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "base/faiss_check.h"
#include "base/internal.h"
#include "index/index_internal.h"
#include "reduce/reduce_internal.h"

/* n*B up to which one k-means runs: 60,000 rows into 10,000 centres (the
 * budgets bench/reduce.sh measured) stay one level. */
#define REDUCE_FLAT_WORK 6.0e8
#define ASSIGN_CHUNK 16384

/* labels[i]: the nearest of the g centres to row i (L2). */
static int assign_rows(const rvcidx__reduce_env *env, const float *centres, int64_t g, const float *x, uint64_t n,
                       int dim, int64_t *labels) {
    FaissIndex *flat = NULL;
    RVCIDX__TRY(rvcidx__reduce_new_flat(env, dim, &flat));
    float *dist = malloc(sizeof(float) * ASSIGN_CHUNK);
    int rc = dist ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory");
    if (rc == 0 && faiss_Index_add(flat, (idx_t)g, centres))
        rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: add failed: %s", faiss_get_last_error());
    for (uint64_t at = 0; rc == 0 && at < n; at += ASSIGN_CHUNK) {
        uint64_t m = n - at < ASSIGN_CHUNK ? n - at : ASSIGN_CHUNK;
        if (faiss_Index_search(flat, (idx_t)m, x + at * (uint64_t)dim, 1, dist, labels + at))
            rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: search failed: %s", faiss_get_last_error());
    }
    free(dist);
    rvcidx__reduce_free_flat(env, flat);
    return rc;
}

/* Group gi's rows, in row order, into buf; returns how many. */
static uint64_t gather(const float *x, uint64_t n, int dim, const int64_t *labels, int64_t gi, float *buf) {
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++)
        if (labels[i] == gi) memcpy(buf + (m++) * (uint64_t)dim, x + i * (uint64_t)dim, sizeof(float) * (size_t)dim);
    return m;
}

/* Each group's rows into its share of want centres, appended to out in group order. */
static int second_level(const rvcidx_index_params *p, const rvcidx__reduce_env *env, int dim, uint64_t want,
                        const float *x, uint64_t n, const int64_t *labels, int64_t g, rvcidx__backend *be, float *out) {
    uint64_t *count = calloc((size_t)g, sizeof *count), *share = calloc((size_t)g, sizeof *share), biggest = 0, at = 0;
    int rc = count && share ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory");
    for (uint64_t i = 0; rc == 0 && i < n; i++) count[labels[i]]++;
    for (int64_t gi = 0; rc == 0 && gi < g; gi++) biggest = count[gi] > biggest ? count[gi] : biggest;
    if (rc == 0) rvcidx__reduce_split_budget(want, count, (size_t)g, n, share);
    float *buf = rc == 0 ? malloc(sizeof(float) * (size_t)biggest * (size_t)dim) : NULL;
    if (rc == 0 && !buf) rc = rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory");
    for (int64_t gi = 0; rc == 0 && gi < g; gi++) {
        if (!share[gi]) continue;
        uint64_t m = gather(x, n, dim, labels, gi, buf);
        float *c = NULL;
        if (share[gi] == m) {
            memcpy(out + at * (uint64_t)dim, buf, sizeof(float) * (size_t)m * (size_t)dim);
        } else if ((rc = rvcidx__kmeans(p, dim, (int64_t)share[gi], buf, m, be, &c)) == 0) {
            memcpy(out + at * (uint64_t)dim, c, sizeof(float) * (size_t)share[gi] * (size_t)dim);
            free(c);
        }
        at += share[gi];
        if (rc == 0) rc = rvcidx__reduce_report(env, "groups", (uint64_t)gi + 1, (uint64_t)g, gi + 1 == g);
    }
    free(buf), free(count), free(share);
    return rc;
}

/* The backend k-means runs on: env's, or a CPU one of its own (*own). */
static int kmeans_backend(const rvcidx__reduce_env *env, rvcidx__backend **be, rvcidx__backend **own) {
    *own = NULL;
    if (env && env->backend) return *be = env->backend, 0;
    RVCIDX__TRY(rvcidx__backend_cpu_init(own));
    *be = *own;
    return 0;
}

int rvcidx__reduce_kmeans_two_level(const rvcidx_index_params *p, const rvcidx__reduce_env *env, int dim,
                                    uint64_t want, const float *x, uint64_t n, float **out) {
    *out = NULL;
    int64_t g = (int64_t)ceil(sqrt((double)want));
    if (g < 1 || want > n) return rvcidx__fail(RVCIDX_EINVAL, "`max_vectors`: %llu centres of %llu rows",
                                               (unsigned long long)want, (unsigned long long)n);
    rvcidx__backend *be = NULL, *own = NULL;
    RVCIDX__TRY(kmeans_backend(env, &be, &own));
    float *top = NULL;
    int64_t *labels = malloc(sizeof *labels * (size_t)n);
    *out = malloc(sizeof(float) * (size_t)want * (size_t)dim);
    int rc = labels && *out ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory for %llu vectors",
                                               (unsigned long long)want);
    if (rc == 0) rc = rvcidx__reduce_report(env, "groups", 0, (uint64_t)g, 0);
    if (rc == 0) rc = rvcidx__kmeans(p, dim, g, x, n, be, &top);
    if (rc == 0) rc = assign_rows(env, top, g, x, n, dim, labels);
    if (rc == 0) rc = second_level(p, env, dim, want, x, n, labels, g, be, *out);
    free(top), free(labels);
    if (rc) free(*out), *out = NULL;
    rvcidx__backend_release(own);
    return rc;
}

int rvcidx__reduce_kmeans(const rvcidx_index_params *p, const rvcidx__reduce_env *env, int dim, uint64_t want,
                          const float *x, uint64_t n, float **out) {
    *out = NULL;
    if ((double)n * (double)want > REDUCE_FLAT_WORK)
        return rvcidx__reduce_kmeans_two_level(p, env, dim, want, x, n, out);
    rvcidx__backend *be = NULL, *own = NULL;
    RVCIDX__TRY(rvcidx__reduce_report(env, "k-means", 0, 1, 0));
    RVCIDX__TRY(kmeans_backend(env, &be, &own));
    int rc = rvcidx__kmeans(p, dim, (int64_t)want, x, n, be, out);
    rvcidx__backend_release(own);
    if (rc == 0) rc = rvcidx__reduce_report(env, "k-means", 1, 1, 1);
    if (rc) free(*out), *out = NULL;
    return rc;
}
