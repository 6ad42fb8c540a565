/* reduce.c — `max_vectors`: an index of only N chosen vectors (issue 20).
 *
 * RVC apps hold reconstruct_n(0, ntotal) as float32 in RAM; a budget of N
 * vectors keeps that at N*D*4 bytes. The kept vectors are written as a
 * store of their own (dir/reduced.h5), which the index is then trained on
 * and filled from; the store of ALL frames stays what the reduction is
 * measured against. Methods (bench/reduce.sh measured them):
 *   kmeans      faiss k-means centres (seeded, `iterations` iterations, on
 *               a seeded sample of at most 256 rows per centre; in two
 *               levels for large budgets: reduce_kmeans.c)
 *   stratified  a seeded subsample of each speaker's rows, the budget split
 *               by each speaker's share (largest remainder); speakers kept
 *   random      a seeded uniform subsample of all rows
 *   hubs        the frames other speakers' probes land on (reduce_hubs.c)
 *   auto        (default) kmeans, stratified and (3+ speakers) hubs, each
 *               measured as below, the lowest blend error kept: centres won
 *               at 1 kept in 25 and real frames at 1 in 2.5 (bench/RESULTS.md
 *               §14), so no one method is best for every budget
 * The blend error recorded compares RVC's blend over the reduced set with
 * the exact blend over all frames, for frames of a held-out speaker (the
 * store's last; with one speaker, its last tenth of rows): the same method
 * and budget share applied to the rows before them, exact search both sides. */
#include <faiss/c_api/IndexFlat_c.h>
#include <jansson.h>
#include <faiss/c_api/Index_c.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/faiss_check.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "base/internal.h"
#include "backend/backend.h"
#include "backend/run_context.h"
#include "base/threads.h"
#include "eval/eval_blend.h"
#include "index/index_internal.h"
#include "index/sample.h"
#include "reduce/reduce_internal.h"
#include "store/store_impl.h"

enum { REDUCE_QUERIES = 1000, REDUCE_K = 8, REDUCE_MAX_SPEAKERS = 4096 };

/* Rows [first, first+n) of st reduced to want vectors into *out (malloc'd,
 * want*dim floats; *kept how many). sp_first/sp_rows: the speakers' ranges
 * inside [first, first+n), for stratified and hubs; sp_kept (optional): how
 * many of each speaker's rows stratified or hubs kept. km_rows: the rows
 * kmeans trains on (0: rvcidx__reduce_kmeans_rows(n, want); a measurement
 * on a sample passes the applied one's share of them). */
static int reduce_rows(rvcidx_store *st, const rvcidx__reduce_env *env, uint64_t first, uint64_t n, uint64_t want,
                       const rvcidx_index_params *p, int method, const uint64_t *sp_first, const uint64_t *sp_rows,
                       size_t nsp, uint64_t km_rows, float **out, uint64_t *kept, uint64_t *sp_kept) {
    int dim = rvcidx_store_dim(st);
    *out = NULL;
    *kept = 0;
    rvcidx_progress_fn pf = env && env->progress ? rvcidx__reduce_relabel : NULL;
    void *pu = (void *)env;
    if (method == RVCIDX_REDUCE_RANDOM || (method == RVCIDX_REDUCE_STRATIFIED && nsp < 2)) {
        RVCIDX__TRY(rvcidx__sample_rows(st, first, n, want, p->seed, pf, pu, out, NULL));
        *kept = want;
        return 0;
    }
    if (method == RVCIDX_REDUCE_HUBS) {
        RVCIDX__TRY(rvcidx__reduce_hubs(st, env, first, n, sp_first, sp_rows, nsp, want, p->seed, out, sp_kept));
        *kept = want;
        return 0;
    }
    if (method == RVCIDX_REDUCE_STRATIFIED) {
        uint64_t own[REDUCE_MAX_SPEAKERS], *share = sp_kept ? sp_kept : own;
        rvcidx__reduce_split_budget(want, sp_rows, nsp, n, share);
        float *all = malloc(sizeof(float) * (size_t)want * (size_t)dim);
        if (!all) return rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory for %llu vectors", (unsigned long long)want);
        uint64_t at = 0;
        for (size_t s = 0; s < nsp; s++) {
            float *part = NULL;
            if (!share[s]) continue;
            int rc = rvcidx__sample_rows(st, sp_first[s], sp_rows[s], share[s], p->seed + s, NULL, NULL, &part, NULL);
            if (rc == 0) rc = rvcidx__reduce_report(env, "speakers", s + 1, nsp, s + 1 == nsp);
            if (rc) return free(part), free(all), rc;
            memcpy(all + at * (uint64_t)dim, part, sizeof(float) * (size_t)share[s] * (size_t)dim);
            free(part);
            at += share[s];
        }
        *out = all;
        *kept = at;
        return 0;
    }
    /* kmeans: centres of a seeded sample (at most 256 rows a centre, and bounded) */
    uint64_t sample = km_rows ? km_rows : rvcidx__reduce_kmeans_rows(n, want);
    if (sample > n) sample = n;
    if (sample < want) sample = want;
    float *x = NULL;
    RVCIDX__TRY(rvcidx__sample_rows(st, first, n, sample, p->seed, pf, pu, &x, NULL));
    if (sample == want) { /* as many rows as centres: the rows are the centres, held once */
        *out = x, *kept = want;
        return 0;
    }
    rvcidx_index_params l2 = *p; /* the reduction is L2 whatever the index's metric, as its measurement */
    l2.metric = RVCIDX_METRIC_L2; /* the groups are reported, through env, instead of faiss's silent k-means */
    int rc = rvcidx__reduce_kmeans(&l2, env, dim, want, x, sample, out);
    if (rc && rc != RVCIDX_EINTR) rc = rvcidx__fail(rc, "`max_vectors`: %s", rvcidx_last_error());
    if (rc == 0) *kept = want;
    free(x);
    return rc;
}

/* Exact k-NN of q (nq rows) over base (n rows): ids into *ids (nq*k). */
static int exact_knn(const rvcidx__reduce_env *env, const float *base, uint64_t n, const float *q, uint64_t nq, int dim,
                     int64_t *ids) {
    FaissIndex *flat = NULL;
    RVCIDX__TRY(rvcidx__reduce_new_flat(env, dim, &flat));
    float *dist = malloc(sizeof(float) * (size_t)nq * REDUCE_K);
    int rc = dist ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory");
    if (rc == 0 && faiss_Index_add(flat, (idx_t)n, base) != 0)
        rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: add failed: %s", faiss_get_last_error());
    if (rc == 0 && faiss_Index_search(flat, (idx_t)nq, q, REDUCE_K, dist, ids) != 0)
        rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: search failed: %s", faiss_get_last_error());
    free(dist);
    rvcidx__reduce_free_flat(env, flat);
    return rc;
}

/* RVC's blend (as eval.c computes it): 1/score^2 weights; -1 is the last vector. */
/* What a reduction is measured against: the held-out frames (the last
 * speaker's, or the last tenth with one speaker) and each one's exact
 * neighbours among the rows before them, kept as vectors so those rows
 * need not stay in memory. nq 0: too few rows to measure. */
typedef struct reduce_truth {
    uint64_t held, want, nq;
    size_t nsp_in;    /* speakers among the held rows */
    float *q;         /* nq*dim */
    float *nbr;       /* nq*REDUCE_K*dim: each query's exact neighbours */
    int64_t *ids;     /* nq*REDUCE_K: 0..REDUCE_K-1 into its neighbours, -1 none */
} reduce_truth;

static void truth_free(reduce_truth *t) {
    free(t->q), free(t->nbr), free(t->ids);
    memset(t, 0, sizeof *t);
}

static int truth_make(rvcidx_store *st, const rvcidx__reduce_env *env, uint64_t first, uint64_t rows, uint64_t budget,
                      const rvcidx_index_params *p, const uint64_t *sp_first, size_t nsp, reduce_truth *t) {
    int dim = rvcidx_store_dim(st);
    memset(t, 0, sizeof *t);
    t->held = nsp >= 2 ? sp_first[nsp - 1] - first : rows - rows / 10;
    t->nsp_in = nsp >= 2 ? nsp - 1 : 0;
    t->want = (uint64_t)llround((double)budget * (double)t->held / (double)rows);
    if (t->want < 1) t->want = 1;
    uint64_t nq = rows - t->held < REDUCE_QUERIES ? rows - t->held : REDUCE_QUERIES;
    if (t->held < 2 || nq < 1 || t->want >= t->held) return 0; /* nothing to measure: left unmeasured */
    uint64_t slots = nq * REDUCE_K;
    int64_t *rows_of = malloc(sizeof(int64_t) * (size_t)slots);
    rvcidx__row_slot *want = malloc(sizeof *want * (size_t)slots);
    t->nbr = calloc((size_t)slots * (size_t)dim, sizeof(float));
    t->ids = malloc(sizeof(int64_t) * (size_t)slots);
    int rc = rows_of && want && t->nbr && t->ids ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory");
    if (rc == 0) rc = rvcidx__sample_rows(st, first + t->held, rows - t->held, nq, p->seed ^ 0x51, NULL, NULL, &t->q, NULL);
    if (rc == 0) rc = rvcidx__knn_store(st, env, first, t->held, t->q, nq, REDUCE_K, rows_of);
    size_t n = 0;
    for (uint64_t i = 0; rc == 0 && i < slots; i++) {
        t->ids[i] = rows_of[i] >= 0 ? (int64_t)(i % REDUCE_K) : -1;
        if (rows_of[i] >= 0) want[n++] = (rvcidx__row_slot){rows_of[i], i};
    }
    if (rc == 0) rc = rvcidx__read_rows_at(st, first, want, n, t->nbr);
    free(rows_of), free(want);
    if (rc) return truth_free(t), rc;
    t->nq = nq;
    return 0;
}

/* What the methods are measured on: the input's rows themselves, or, past
 * reduce_measure_rows of them, a seeded per-speaker sample of that many in
 * a store of its own (dir/reduce-sample.h5, removed after), the budget and
 * kmeans's training rows scaled alike: measuring costs the same at 5M rows
 * as at 1M, and nothing but one block is held while the sample is drawn. */
typedef struct reduce_view {
    rvcidx_store *st;
    char path[PATH_MAX]; /* the sample's store; "" when st is the input's */
    uint64_t first, rows, budget;
    uint64_t km_rows;    /* kmeans's training rows at this scale (0: its own rule) */
    uint64_t of_rows;    /* the input's rows, when this is a sample of them */
    uint64_t sp_first[REDUCE_MAX_SPEAKERS], sp_rows[REDUCE_MAX_SPEAKERS];
    size_t nsp;
} reduce_view;

/* env under another stage name, for the progress shown. */
static rvcidx__reduce_env staged(const rvcidx__reduce_env *env, const char *stage) {
    rvcidx__reduce_env e = *env;
    e.stage = stage;
    return e;
}

/* A speaker's sampled rows going into the sample's store, hashed on the way
 * (a store records every source's sha256). */
typedef struct sample_sink {
    rvcidx__store_writer *w;
    EVP_MD_CTX *sha;
} sample_sink;

static int append_sampled(const float *rows, uint64_t n, void *ctx) {
    sample_sink *k = ctx;
    int dim = k->w->dim;
    if (EVP_DigestUpdate(k->sha, rows, sizeof(float) * (size_t)n * (size_t)dim) != 1)
        return rvcidx__fail(RVCIDX_ENOMEM, "sha256 of the measurement sample failed");
    return rvcidx__store_append_rows(k->w, rows, n);
}

/* Speaker s's share of the sample appended to w, as one source. */
static int sample_speaker(rvcidx_store *st, const rvcidx__reduce_env *env, uint64_t seed, uint64_t first,
                          uint64_t rows, uint64_t want, const char *name, uint64_t at, rvcidx__store_writer *w) {
    sample_sink k = {w, EVP_MD_CTX_new()};
    char sha[65];
    int rc = k.sha && EVP_DigestInit_ex(k.sha, EVP_sha256(), NULL) == 1
                 ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "sha256 of the measurement sample failed");
    if (rc == 0)
        rc = rvcidx__sample_rows_each(st, first, rows, want, seed, env && env->progress ? rvcidx__reduce_relabel : NULL,
                                      (void *)env, append_sampled, &k);
    if (rc == 0) rc = rvcidx__sha256_final_hex(k.sha, sha);
    EVP_MD_CTX_free(k.sha);
    rvcidx__source_record rec = {name, "sample", sha, "<f4", "ok", "", at, want};
    return rc ? rc : rvcidx__store_add_source(w, &rec);
}

/* The sample of each speaker (its share of cap) appended to w, one source each. */
static int write_sample(rvcidx_store *st, const rvcidx__reduce_env *env, const rvcidx_index_params *p, uint64_t first,
                        uint64_t rows, const uint64_t *sp_first, const uint64_t *sp_rows, const char *const *sp_name,
                        size_t nsp, uint64_t cap, rvcidx__store_writer *w, reduce_view *v) {
    uint64_t whole[1] = {rows}, whole_first[1] = {first}, share[REDUCE_MAX_SPEAKERS];
    const char *whole_name[1] = {"sample"};
    if (nsp < 1) sp_first = whole_first, sp_rows = whole, sp_name = whole_name, nsp = 1;
    rvcidx__reduce_split_budget(cap, sp_rows, nsp, rows, share);
    uint64_t at = 0;
    v->nsp = 0;
    for (size_t s = 0; s < nsp; s++) {
        if (!share[s]) continue;
        RVCIDX__TRY(sample_speaker(st, env, (p->seed ^ 0x5a3cull) + s, sp_first[s], sp_rows[s], share[s], sp_name[s], at,
                                   w));
        v->sp_first[v->nsp] = at, v->sp_rows[v->nsp++] = share[s];
        at += share[s];
    }
    v->rows = at;
    return 0;
}

static void view_close(reduce_view *v, rvcidx_store *input) {
    if (v->st && v->st != input) rvcidx_store_close(v->st);
    if (v->path[0]) unlink(v->path);
    v->st = NULL;
    v->path[0] = '\0';
}

static int view_open(rvcidx_store *st, const rvcidx__reduce_env *env, const char *dir, const rvcidx_index_params *p,
                     const rvcidx_reduce_params *rp,
                     uint64_t first, uint64_t rows, uint64_t budget, const uint64_t *sp_first, const uint64_t *sp_rows,
                     const char *const *sp_name, size_t nsp, reduce_view *v) {
    uint64_t cap = rp->measure_rows ? rp->measure_rows : RVCIDX_REDUCE_MEASURE_ROWS;
    memset(v, 0, sizeof *v);
    v->st = st, v->first = first, v->rows = rows, v->budget = budget, v->nsp = nsp;
    memcpy(v->sp_first, sp_first, sizeof *sp_first * nsp), memcpy(v->sp_rows, sp_rows, sizeof *sp_rows * nsp);
    if (rows <= cap) return 0;
    rvcidx__log(RVCIDX_LOG_INFO, "`max_vectors`: measuring on a seeded sample of %llu of the %llu rows (each speaker "
                "alike), the budget scaled alike", (unsigned long long)cap, (unsigned long long)rows);
    snprintf(v->path, sizeof v->path, "%s/reduce-sample.h5", dir);
    rvcidx__store_writer w;
    memset(&w, 0, sizeof w);
    int rc = rvcidx__store_writer_create(&w, v->path, rvcidx_store_dim(st)), writing = rc == 0;
    rvcidx__reduce_env e = staged(env, "auto: sample");
    if (rc == 0) rc = write_sample(st, &e, p, first, rows, sp_first, sp_rows, sp_name, nsp, cap, &w, v);
    if (rc == 0) writing = 0, rc = rvcidx__store_writer_commit(&w);
    if (writing) rvcidx__store_writer_abort(&w);
    v->st = NULL;
    if (rc == 0) rc = rvcidx_store_open(v->path, &v->st);
    if (rc) return view_close(v, st), rc;
    v->first = 0;
    v->of_rows = rows;
    v->budget = (uint64_t)llround((double)budget * (double)v->rows / (double)rows);
    if (v->budget < 1) v->budget = 1;
    uint64_t km = rvcidx__reduce_kmeans_rows(rows, budget); /* the applied kmeans's rows per centre, kept */
    v->km_rows = (uint64_t)llround((double)km * (double)v->budget / (double)budget);
    return 0;
}

/* The blend error of one method's reduction of the view against the truth. */
static int measure(const reduce_view *v, const rvcidx__reduce_env *env, const rvcidx_index_params *p, int method,
                   const reduce_truth *t, rvcidx_reduce_result *r) {
    int dim = rvcidx_store_dim(v->st);
    if (!t->nq) return 0;
    if (method == RVCIDX_REDUCE_HUBS && t->nsp_in < 2) return 0; /* one speaker left: no one to probe with */
    float *red = NULL;
    uint64_t kept = 0, nq = t->nq;
    uint64_t km = v->km_rows ? (uint64_t)llround((double)v->km_rows * (double)t->held / (double)v->rows) : 0;
    int64_t *got = malloc(sizeof(int64_t) * (size_t)nq * REDUCE_K);
    double *errors = malloc(sizeof(double) * (size_t)nq), *bt = malloc(sizeof(double) * (size_t)dim),
           *bg = malloc(sizeof(double) * (size_t)dim);
    int rc = got && errors && bt && bg ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory");
    if (rc == 0)
        rc = reduce_rows(v->st, env, v->first, t->held, t->want, p, method, v->sp_first, v->sp_rows, t->nsp_in, km, &red,
                         &kept, NULL);
    if (rc == 0) rc = exact_knn(env, red, kept, t->q, nq, dim, got);
    if (rc == 0) {
        double sum = 0;
        for (uint64_t i = 0; i < nq; i++) {
            const float *qi = t->q + i * (uint64_t)dim;
            rvcidx__blend_rows(t->nbr + i * REDUCE_K * (uint64_t)dim, REDUCE_K, qi, t->ids + i * REDUCE_K, REDUCE_K, dim,
                               bt);
            rvcidx__blend_rows(red, kept, qi, got + i * REDUCE_K, REDUCE_K, dim, bg);
            errors[i] = rvcidx__blend_error(bg, bt, dim);
            sum += errors[i];
        }
        qsort(errors, nq, sizeof *errors, rvcidx__compare_double);
        r->measured = 1;
        r->queries = nq;
        r->blend_error_mean = sum / (double)nq;
        r->blend_error_p95 = errors[(uint64_t)(0.95 * (double)(nq - 1))];
        char of[96] = "";
        if (v->of_rows)
            snprintf(of, sizeof of, " of a seeded %llu-row sample of all %llu (each speaker alike)",
                     (unsigned long long)v->rows, (unsigned long long)v->of_rows);
        snprintf(r->measured_on, sizeof r->measured_on, "%llu frames of %s (rows %llu..%s) against exact search over "
                 "the %llu rows before them, reduced alike to %llu", (unsigned long long)nq,
                 v->nsp >= 2 ? "the last speaker" : "the last tenth", (unsigned long long)(v->first + t->held), of,
                 (unsigned long long)t->held, (unsigned long long)kept);
    }
    free(red), free(got), free(errors), free(bt), free(bg);
    return rc;
}

/* auto: kmeans, stratified and, when the measured part has two speakers
 * to probe with, hubs, each measured as above; the lowest mean blend error
 * wins (the earlier on a tie; kmeans when none could be measured). Sets
 * r->method, r->trials and the winner's measurement. */
static int choose_method(const reduce_view *v, const rvcidx__reduce_env *env, const rvcidx_index_params *p,
                         rvcidx_reduce_result *r) {
    static const int candidates[3] = {RVCIDX_REDUCE_KMEANS, RVCIDX_REDUCE_STRATIFIED, RVCIDX_REDUCE_HUBS};
    static const char *const stages[3] = {"auto: kmeans", "auto: stratified", "auto: hubs"};
    int n = v->nsp >= 3 ? 3 : 2; /* hubs probes among the measured part's speakers: the held-out one is not */
    rvcidx_reduce_result m[3];
    reduce_truth t;
    rvcidx__reduce_env e = staged(env, "auto: exact k-NN");
    RVCIDX__TRY(truth_make(v->st, &e, v->first, v->rows, v->budget, p, v->sp_first, v->nsp, &t)); /* once, for all */
    for (int i = 0; i < n; i++) {
        memset(&m[i], 0, sizeof m[i]);
        double t0 = omp_get_wtime();
        e = staged(env, stages[i]);
        int rc = measure(v, &e, p, candidates[i], &t, &m[i]);
        if (rc) return truth_free(&t), rc;
        r->trials[i] = (rvcidx_reduce_trial){candidates[i], m[i].measured, m[i].blend_error_mean, m[i].blend_error_p95};
        if (m[i].measured)
            rvcidx__log(RVCIDX_LOG_INFO, "`max_vectors` auto: %s: blend error against all frames %.5f (p95 %.5f), "
                        "measured in %.1f s", rvcidx_reduce_method_name(candidates[i]), m[i].blend_error_mean,
                        m[i].blend_error_p95, omp_get_wtime() - t0);
    }
    truth_free(&t);
    r->n_trials = (size_t)n;
    int w = 0;
    for (int i = 1; i < n; i++)
        if (m[i].measured && (!m[w].measured || m[i].blend_error_mean < m[w].blend_error_mean)) w = i;
    r->method = candidates[w];
    r->measured = m[w].measured;
    r->queries = m[w].queries;
    r->blend_error_mean = m[w].blend_error_mean;
    r->blend_error_p95 = m[w].blend_error_p95;
    snprintf(r->measured_on, sizeof r->measured_on, "%s", m[w].measured_on);
    return 0;
}

/* One method measured alone (not auto): what the report records. */
static int measure_one(const reduce_view *v, const rvcidx__reduce_env *env, const rvcidx_index_params *p, int method,
                       rvcidx_reduce_result *r) {
    reduce_truth t;
    rvcidx__reduce_env e = staged(env, "measure: exact k-NN");
    RVCIDX__TRY(truth_make(v->st, &e, v->first, v->rows, v->budget, p, v->sp_first, v->nsp, &t));
    e = staged(env, "measure");
    int rc = measure(v, &e, p, method, &t, r);
    truth_free(&t);
    return rc;
}

/* The kept vectors x (kept rows) written as dir/reduced.h5: one source per
 * speaker when the method keeps them apart (share: each one's rows). */
static int write_reduced(const char *final, const float *x, uint64_t kept, int dim, int per_speaker,
                         const char *const *sp_name, const uint64_t *share, size_t nsp) {
    rvcidx__store_writer w;
    memset(&w, 0, sizeof w);
    int rc = rvcidx__store_writer_create(&w, final, dim), writing = rc == 0;
    if (rc == 0) rc = rvcidx__store_append_rows(&w, x, kept);
    uint64_t at = 0;
    for (size_t s = 0; rc == 0 && s < (per_speaker ? nsp : 1); s++) {
        char sha[65];
        rvcidx__source_record rec = {per_speaker ? sp_name[s] : "reduced", "reduced", sha, "<f4", "ok", "", at,
                                     per_speaker ? share[s] : kept};
        if ((rc = rvcidx__sha256_bytes(x + at * (uint64_t)dim, sizeof(float) * (size_t)rec.rows * (size_t)dim, sha)) != 0)
            break;
        at += rec.rows;
        if (rec.rows) rc = rvcidx__store_add_source(&w, &rec);
    }
    if (rc == 0) writing = 0, rc = rvcidx__store_writer_commit(&w); /* checks it reads back; cleans up on failure */
    if (writing) rvcidx__store_writer_abort(&w);
    return rc;
}

/* The speakers' ranges inside [first, first+rows) of st; nsp 0 past
 * REDUCE_MAX_SPEAKERS (stratified then draws uniformly). */
static size_t speaker_ranges(rvcidx_store *st, uint64_t first, uint64_t rows, uint64_t *sp_first, uint64_t *sp_rows,
                             const char **sp_name) {
    size_t nsp = 0;
    for (size_t i = 0; i < rvcidx_store_speaker_count(st) && nsp < REDUCE_MAX_SPEAKERS; i++) {
        rvcidx_store_speaker s;
        if (rvcidx_store_get_speaker(st, i, &s) != 0 || !s.rows) continue;
        uint64_t a = s.first_row > first ? s.first_row : first, b = s.first_row + s.rows;
        if (b > first + rows) b = first + rows;
        if (a >= b) continue;
        sp_first[nsp] = a, sp_rows[nsp] = b - a, sp_name[nsp] = s.name, nsp++;
    }
    return rvcidx_store_speaker_count(st) > REDUCE_MAX_SPEAKERS ? 0 : nsp;
}

/* Everything the reduction of one range holds while it runs. */
typedef struct reduce_job {
    rvcidx_store *st;
    const char *dir;
    const rvcidx_index_params *p;
    const rvcidx_reduce_params *rp;
    rvcidx__reduce_env env;
    uint64_t first, rows, budget;
    uint64_t sp_first[REDUCE_MAX_SPEAKERS], sp_rows[REDUCE_MAX_SPEAKERS];
    const char *sp_name[REDUCE_MAX_SPEAKERS];
    size_t nsp;
    reduce_view view;
} reduce_job;

static int run_reduction(reduce_job *j, const char *final, rvcidx_reduce_result *r) {
    const rvcidx_index_params *p = j->p;
    int dim = rvcidx_store_dim(j->st);
    int rc = 0, measured_view = j->rp->method == RVCIDX_REDUCE_AUTO;
    if (measured_view)
        rc = view_open(j->st, &j->env, j->dir, p, j->rp, j->first, j->rows, j->budget, j->sp_first, j->sp_rows,
                       j->sp_name, j->nsp, &j->view);
    if (rc == 0 && measured_view) rc = choose_method(&j->view, &j->env, p, r);
    if (measured_view) view_close(&j->view, j->st);
    if (rc) return rc;
    rvcidx__log(RVCIDX_LOG_INFO, "`max_vectors`: keeping %llu of %llu vectors (%s%s)", (unsigned long long)j->budget,
                (unsigned long long)j->rows, rvcidx_reduce_method_name(r->method),
                r->requested == RVCIDX_REDUCE_AUTO ? ", chosen by auto" : "");
    float *x = NULL;
    uint64_t kept = 0, share[REDUCE_MAX_SPEAKERS];
    char stage[48];
    snprintf(stage, sizeof stage, "reduce: %s", rvcidx_reduce_method_name(r->method));
    rvcidx__reduce_env e = staged(&j->env, stage);
    rc = reduce_rows(j->st, &e, j->first, j->rows, j->budget, p, r->method, j->sp_first, j->sp_rows, j->nsp, 0, &x,
                     &kept, share);
    /* the speakers' ranges survive a stratified subsample and hubs (real
     * frames in row order); centres and a uniform draw mix them: one source */
    int per_speaker = (r->method == RVCIDX_REDUCE_STRATIFIED || r->method == RVCIDX_REDUCE_HUBS) && j->nsp >= 2;
    if (rc == 0) rc = write_reduced(final, x, kept, dim, per_speaker, j->sp_name, share, j->nsp);
    free(x);
    r->kept = kept;
    if (rc == 0 && r->requested != RVCIDX_REDUCE_AUTO) { /* auto measured it before choosing */
        rc = view_open(j->st, &j->env, j->dir, p, j->rp, j->first, j->rows, j->budget, j->sp_first, j->sp_rows, j->sp_name,
                       j->nsp, &j->view);
        if (rc == 0) rc = measure_one(&j->view, &j->env, p, r->method, r);
        view_close(&j->view, j->st);
    }
    return rc;
}

int rvcidx__reduce_store(const char *store, const char *dir, const rvcidx_index_params *p, const rvcidx_reduce_params *rp,
                         rvcidx__ctx *run, char *out_path, size_t n, rvcidx_index_params *reduced,
                         rvcidx_reduce_result *r) {
    double t0 = omp_get_wtime();
    memset(r, 0, sizeof *r);
    *reduced = *p;
    out_path[0] = '\0';
    reduce_job *j = calloc(1, sizeof *j);
    if (!j) return rvcidx__fail(RVCIDX_ENOMEM, "`max_vectors`: out of memory");
    j->dir = dir, j->p = p, j->rp = rp;
    int rc = rvcidx_store_open(store, &j->st);
    if (rc) return free(j), rc;
    uint64_t total = rvcidx_store_rows(j->st);
    j->first = p->first_row, j->rows = p->rows ? p->rows : total - p->first_row;
    rc = rvcidx__reduce_budget(rp, p->type, j->rows, rvcidx_store_dim(j->st), &j->budget);
    if (rc || !j->budget) { /* everything fits: no reduction */
        rvcidx_store_close(j->st);
        return free(j), rc;
    }
    j->nsp = speaker_ranges(j->st, j->first, j->rows, j->sp_first, j->sp_rows, j->sp_name);
    r->applied = 1;
    r->method = r->requested = rp->method;
    r->budget = j->budget;
    r->input_rows = j->rows;
    r->seed = p->seed;
    j->env = (rvcidx__reduce_env){NULL, run->run.progress, run->run.progress_user, "reduce"};
    rc = rvcidx__ctx_device(run, &j->env.backend); /* k-means and exact searches: the GPU when there is one */
    char final[PATH_MAX];
    snprintf(final, sizeof final, "%s/reduced.h5", dir);
    if (rc == 0) rc = run_reduction(j, final, r);
    rvcidx_store_close(j->st);
    free(j);
    if (rc) return unlink(final), rc;
    snprintf(out_path, n, "%s", final);
    rvcidx__reduce_params(p, reduced);
    r->seconds = omp_get_wtime() - t0;
    return 0;
}

/* kmeans's peak over n rows into want centres trained on km rows: the
 * sample and the centres (one array when they are the same rows), and the
 * two-level labels. */
static uint64_t kmeans_peak(uint64_t km, uint64_t want, uint64_t vec) {
    return (km <= want ? want : km + want) * vec + km * 8;
}

uint64_t rvcidx__reduce_predict_ram(const rvcidx_reduce_params *p, uint64_t rows, int dim, size_t nsp, uint64_t budget) {
    if (!budget || budget >= rows) return 0;
    uint64_t vec = (uint64_t)dim * sizeof(float), cap = p->measure_rows ? p->measure_rows : RVCIDX_REDUCE_MEASURE_ROWS;
    uint64_t block = 65536 * vec + 2 * 8192 * vec; /* a k-NN block, a sample's two blocks */
    uint64_t kmr = rvcidx__reduce_kmeans_rows(rows, budget);
    /* measuring (auto, or after one method): on the view (a sample past
     * cap rows), the rows before the held-out speaker (speakers taken as
     * equal), each method's kept rows beside exact_knn's flat copy of them */
    double mrows = (double)(rows < cap ? rows : cap), f = mrows / (double)rows;
    double held = nsp >= 2 ? mrows * (double)(nsp - 1) / (double)nsp : mrows - mrows / 10;
    uint64_t wm = (uint64_t)((double)budget * f * held / mrows) + 1;
    uint64_t mkm = rows > cap ? (uint64_t)((double)kmr * f * held / mrows) + 1
                              : rvcidx__reduce_kmeans_rows((uint64_t)held, wm);
    uint64_t mk = kmeans_peak(mkm, wm, vec), mpeak = mk > 2 * wm * vec ? mk : 2 * wm * vec;
    uint64_t measure = mpeak + (uint64_t)held * 25 + (uint64_t)REDUCE_QUERIES * (REDUCE_K + 1) * vec;
    /* applying: kmeans's sample and centres, or hubs's rows and per-row
     * scores, or stratified's rows and a speaker's share beside them */
    uint64_t km = kmeans_peak(kmr, budget, vec);
    uint64_t hubs = budget * vec + rows * 25 + budget * 16;
    uint64_t strat = (budget + (nsp > 1 ? 2 * budget / nsp : 0)) * vec;
    uint64_t apply = p->method == RVCIDX_REDUCE_KMEANS ? km
                   : p->method == RVCIDX_REDUCE_HUBS ? hubs
                   : p->method == RVCIDX_REDUCE_STRATIFIED || p->method == RVCIDX_REDUCE_RANDOM ? strat
                   : km > hubs ? (km > strat ? km : strat) : (hubs > strat ? hubs : strat); /* auto: any may win */
    return block + (measure > apply ? measure : apply);
}

void rvcidx__reduce_params(const rvcidx_index_params *p, rvcidx_index_params *reduced) {
    *reduced = *p;
    reduced->first_row = 0;
    reduced->rows = 0;
}

/* Every field, the doubles as jansson writes them (17 digits: read back
 * exactly), so a split build's finish reports what its prepare measured. */
json_t *rvcidx__reduce_state_json(const rvcidx_reduce_result *r) {
    json_t *o = json_pack("{s:i, s:I, s:I, s:I, s:I, s:i, s:I, s:f, s:f, s:s, s:f}", "method", r->method, "budget",
                     (json_int_t)r->budget, "input_rows", (json_int_t)r->input_rows, "kept", (json_int_t)r->kept, "seed",
                     (json_int_t)r->seed, "measured", r->measured, "queries", (json_int_t)r->queries, "blend_error_mean",
                     r->blend_error_mean, "blend_error_p95", r->blend_error_p95, "measured_on", r->measured_on, "seconds",
                     r->seconds);
    json_t *trials = json_array();
    for (size_t i = 0; trials && i < r->n_trials; i++)
        json_array_append_new(trials, json_pack("[i, i, f, f]", r->trials[i].method, r->trials[i].measured,
                                                r->trials[i].blend_error_mean, r->trials[i].blend_error_p95));
    if (!o || !trials) {
        json_decref(o), json_decref(trials);
        return NULL;
    }
    if (json_object_set_new(o, "requested", json_integer(r->requested)) || json_object_set_new(o, "trials", trials)) {
        json_decref(o); /* set_new took trials, also on failure */
        return NULL;
    }
    return o;
}

static int read_trials(json_t *o, rvcidx_reduce_result *r) {
    json_t *a = NULL;
    if (json_unpack(o, "{s:i, s:o}", "requested", &r->requested, "trials", &a) != 0 || !json_is_array(a) ||
        json_array_size(a) > 3)
        return -1;
    r->n_trials = json_array_size(a);
    for (size_t i = 0; i < r->n_trials; i++) {
        rvcidx_reduce_trial *t = &r->trials[i];
        if (json_unpack(json_array_get(a, i), "[i, i, F, F]", &t->method, &t->measured, &t->blend_error_mean,
                        &t->blend_error_p95) != 0)
            return -1;
    }
    return 0;
}

int rvcidx__reduce_state_read(json_t *o, rvcidx_reduce_result *r) {
    json_int_t budget = 0, input_rows = 0, kept = 0, seed = 0, queries = 0;
    const char *on = NULL;
    memset(r, 0, sizeof *r);
    if (!o || json_unpack(o, "{s:i, s:I, s:I, s:I, s:I, s:i, s:I, s:F, s:F, s:s, s:F}", "method", &r->method, "budget",
                          &budget, "input_rows", &input_rows, "kept", &kept, "seed", &seed, "measured", &r->measured,
                          "queries", &queries, "blend_error_mean", &r->blend_error_mean, "blend_error_p95",
                          &r->blend_error_p95, "measured_on", &on, "seconds", &r->seconds) != 0 ||
        budget < 1 || kept < 1 || input_rows < kept || queries < 0 || read_trials(o, r) != 0)
        return -1;
    r->applied = 1;
    r->budget = (uint64_t)budget, r->input_rows = (uint64_t)input_rows, r->kept = (uint64_t)kept;
    r->seed = (uint64_t)seed; /* written as json_int_t: a seed past 2^63 comes back as it went */
    r->queries = (uint64_t)queries;
    snprintf(r->measured_on, sizeof r->measured_on, "%s", on);
    return 0;
}
