/* train.c — stage 2: k-means centroids for the IVF coarse quantizer.
 *
 * The sample is seeded and read in row order, so the same store and
 * parameters give the same sample (its sha256 is recorded). k-means is
 * faiss's Clustering, assigning through the backend's flat index: a GPU
 * flat index when a GPU is used, where the N*nlist*D work happens.
 */
#include <faiss/c_api/Clustering_c.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "backend/run_context.h"
#include "index/centroids.h"
#include "base/faiss_check.h"
#include "index/index_internal.h"
#include "base/internal.h"
#include "index/sample.h"
#include "base/threads.h"

int rvcidx__kmeans(const rvcidx_index_params *p, int dim, int64_t nlist, const float *x, uint64_t n,
                   rvcidx__backend *backend, float **out) {
    *out = NULL;
    FaissClusteringParameters cp;
    faiss_ClusteringParameters_init(&cp);
    cp.niter = p->iterations;
    cp.seed = (int)(p->seed & 0x7fffffff);
    cp.spherical = p->metric != RVCIDX_METRIC_L2; /* as faiss's IndexIVF does for inner product */
    cp.min_points_per_centroid = 1;               /* the sample size is ours to choose, and logged */
    cp.max_points_per_centroid = (int)((n + (uint64_t)nlist - 1) / (uint64_t)nlist + 1); /* no resampling */
    FaissIndex *assign = NULL;
    RVCIDX__TRY(backend->new_flat(backend, dim, p->metric != RVCIDX_METRIC_L2, &assign));
    FaissClustering *clus = NULL;
    int rc = faiss_Clustering_new_with_params(&clus, dim, (int)nlist, &cp);
    if (rc == 0) rc = faiss_Clustering_train(clus, (idx_t)n, x, assign);
    if (rc) {
        rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: k-means failed: %s", faiss_get_last_error());
    } else {
        float *centroids = NULL;
        size_t size = 0;
        faiss_Clustering_centroids(clus, &centroids, &size);
        *out = malloc(sizeof(float) * size);
        if (!*out || size != (size_t)nlist * (size_t)dim)
            rc = rvcidx__fail(RVCIDX_ENOMEM, "k-means returned %zu values, expected %lld x %d", size, (long long)nlist, dim);
        else
            memcpy(*out, centroids, sizeof(float) * size);
    }
    if (rc) free(*out), *out = NULL;
    faiss_Clustering_free(clus);
    backend->free_flat(backend, assign);
    return rc;
}

/* faiss's k-means says nothing until it returns (minutes at a million rows;
 * its verbose mode prints on stdout, which is the CLI's), so while it runs a
 * ticker thread reports it "running" once a second, with no done/total
 * (the caller shows the elapsed time and thins the reports out). A stop
 * asked meanwhile takes effect when k-means returns. */
typedef struct kmeans_ticker {
    const rvcidx_run *run;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, stop_asked;
} kmeans_ticker;

static void *tick(void *arg) {
    kmeans_ticker *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&t->cv, &t->mu, &until);
        rvcidx_progress pr = {"k-means", "running", 0, 0, 0, 0};
        if (!t->done && t->run->progress(&pr, t->run->progress_user)) t->stop_asked = 1;
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static int run_kmeans_reported(const rvcidx_index_params *p, const rvcidx_run *run, int dim, int64_t nlist,
                               const float *x, uint64_t n, rvcidx__backend *backend, rvcidx__centroids *out) {
    rvcidx_progress pr = {"k-means", "running", 0, 0, 0, 0};
    if (run->progress && run->progress(&pr, run->progress_user))
        return rvcidx__fail(RVCIDX_EINTR, "k-means: stopped on request");
    kmeans_ticker t = {run, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    pthread_t thread;
    int ticking = run->progress && pthread_create(&thread, NULL, tick, &t) == 0; /* no thread: no ticks, same result */
    int rc = rvcidx__kmeans(p, dim, nlist, x, n, backend, &out->data);
    if (ticking) {
        pthread_mutex_lock(&t.mu);
        t.done = 1;
        pthread_cond_signal(&t.cv);
        pthread_mutex_unlock(&t.mu);
        pthread_join(thread, NULL);
    }
    if (rc == 0 && t.stop_asked) rc = rvcidx__fail(RVCIDX_EINTR, "k-means: stopped on request");
    rvcidx_progress end = {"k-means", "iterations", (uint64_t)p->iterations, (uint64_t)p->iterations, 0, 1};
    if (rc == 0 && run->progress && run->progress(&end, run->progress_user))
        rc = rvcidx__fail(RVCIDX_EINTR, "k-means: stopped on request");
    return rc;
}

static int train_from_sample(const rvcidx_index_params *p, rvcidx__ctx *ctx, rvcidx__index_plan *plan, float *x,
                             const char *centroids_path, rvcidx_train_result *res) {
    rvcidx__backend *backend = NULL;
    RVCIDX__TRY(rvcidx__ctx_device(ctx, &backend));
    char device[160];
    backend->describe(backend, device, sizeof device);
    snprintf(res->device, sizeof res->device, "%s", device);
    rvcidx__centroids c;
    memset(&c, 0, sizeof c);
    rvcidx__log(RVCIDX_LOG_INFO, "train: k-means of %llu x %d rows into %lld centroids, %d iterations, on %s",
                (unsigned long long)plan->train_rows, plan->dim, (long long)plan->nlist, p->iterations, device);
    double start = omp_get_wtime();
    int rc = run_kmeans_reported(p, &ctx->run, plan->dim, plan->nlist, x, plan->train_rows, backend, &c);
    res->kmeans_seconds = omp_get_wtime() - start;
    if (rc == 0) {
        c.dim = plan->dim;
        c.nlist = plan->nlist;
        snprintf(c.metric, sizeof c.metric, "%s", rvcidx__metric_name(p->metric));
        c.seed = p->seed;
        c.iterations = p->iterations;
        c.train_rows = plan->train_rows;
        c.first_row = plan->first_row;
        c.rows = plan->rows;
        snprintf(c.sample_sha256, sizeof c.sample_sha256, "%s", res->sample_sha256);
        snprintf(c.device, sizeof c.device, "%s", backend->name);
        rc = rvcidx__centroids_write(centroids_path, &c);
    }
    rvcidx__centroids_free(&c);
    return rc;
}

/* 1 when row i of x (dim floats) is all zeros. */
static int zero_row(const float *x, uint64_t i, int dim) {
    for (int j = 0; j < dim; j++)
        if (x[i * (uint64_t)dim + j] != 0.0f) return 0;
    return 1;
}

/* Cosine compares directions, and a frame of zeros has none: when every
 * sampled row is zero the whole range is read to tell (a sample of zeros
 * from real frames is nearly impossible, so this costs nothing on good
 * input), and a range of zeros is bad input, not a recall target missed. */
static int check_not_all_zero(rvcidx_store *store, const char *store_path, const rvcidx__index_plan *plan,
                              const float *x) {
    for (uint64_t i = 0; i < plan->train_rows; i++)
        if (!zero_row(x, i, plan->dim)) return 0;
    enum { BLOCK = 8192 };
    float *block = malloc(sizeof(float) * BLOCK * (size_t)plan->dim);
    if (!block) return rvcidx__fail(RVCIDX_ENOMEM, "train: out of memory");
    int rc = 0, nonzero = 0;
    for (uint64_t at = 0; rc == 0 && !nonzero && at < plan->rows; at += BLOCK) {
        uint64_t m = plan->rows - at < BLOCK ? plan->rows - at : BLOCK;
        rc = rvcidx_store_read_rows(store, plan->first_row + at, m, block);
        for (uint64_t i = 0; rc == 0 && !nonzero && i < m; i++) nonzero = !zero_row(block, i, plan->dim);
    }
    free(block);
    if (rc || nonzero) return rc;
    return rvcidx__fail(RVCIDX_EINPUT, "%s: every frame (rows %llu..%llu) is all zeros: `metric=cosine` compares "
                        "directions and a zero frame has none; check the feature extraction, or use `metric=l2`",
                        store_path, (unsigned long long)plan->first_row,
                        (unsigned long long)(plan->first_row + plan->rows));
}

int rvcidx_train(const char *store_path, const char *centroids_path, const rvcidx_index_params *params,
                 const rvcidx_run *run, rvcidx_train_result *result) {
    rvcidx__ctx ctx;
    rvcidx__ctx_open(&ctx, run);
    int rc = rvcidx__train(store_path, centroids_path, params, &ctx, result);
    rvcidx__ctx_close(&ctx);
    return rc;
}

int rvcidx__train(const char *store_path, const char *centroids_path, const rvcidx_index_params *params,
                  rvcidx__ctx *ctx, rvcidx_train_result *result) {
    if (!store_path || !centroids_path || !params) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_train: NULL argument");
    rvcidx_train_result local;
    rvcidx_train_result *res = result ? result : &local;
    memset(res, 0, sizeof *res);
    rvcidx_store *store = NULL;
    RVCIDX__TRY(rvcidx_store_open(store_path, &store));
    rvcidx__index_plan plan;
    int rc = rvcidx__index_plan_make(params, store, store_path, &plan);
    float *x = NULL;
    if (rc == 0)
        rc = rvcidx__sample_rows(store, plan.first_row, plan.rows, plan.train_rows, params->seed, ctx->run.progress,
                                 ctx->run.progress_user, &x, res->sample_sha256);
    if (rc == 0 && params->metric == RVCIDX_METRIC_COSINE) rc = check_not_all_zero(store, store_path, &plan, x);
    rvcidx_store_close(store);
    if (rc == 0 && params->metric == RVCIDX_METRIC_COSINE) rvcidx__normalize_rows(x, plan.train_rows, plan.dim);
    if (rc == 0) {
        res->nlist = plan.nlist;
        res->train_rows = plan.train_rows;
        rc = train_from_sample(params, ctx, &plan, x, centroids_path, res);
    }
    free(x);
    return rc;
}
