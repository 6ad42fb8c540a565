/* encode.c — stage 3: the index RVC loads, on the CPU.
 *
 * FastScan and RFlat have no GPU version in faiss 1.7.3, so encoding is CPU
 * work: the trained centroids go into the IVF quantizer (faiss then trains
 * only the PQ, on residuals of the same seeded sample), the refine wrapper
 * keeps the vectors (floats for RFlat; half floats or 8-bit codes trained
 * on that sample for --refine fp16/sq8), and the store's rows are added in
 * batches (byte-identical to one big add). nprobe and k_factor are written
 * into the file: they are what RVC searches with.
 *
 * Split builds use the same steps apart: the trained empty index is written
 * once, each part adds its row range to a copy read back from that file,
 * and index_merge.c appends the parts in row order.
 */
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/centroids.h"
#include "index/faiss_c_ext.h"
#include "base/faiss_check.h"
#include "base/fsutil.h"
#include "index/index_internal.h"
#include "index/index_io.h"
#include "backend/run_context.h"
#include "base/internal.h"
#include "index/sample.h"
#include "base/threads.h"
#include "store/row_reader.h"

enum { ADD_BATCH_ROWS = RVCIDX__ADD_BATCH_ROWS, PQ_TRAIN_ROWS = RVCIDX__PQ_TRAIN_ROWS };

static int check_centroids(const rvcidx_index_params *p, const rvcidx__index_plan *plan, const rvcidx__centroids *c,
                           const char *path) {
    if (c->dim != plan->dim)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: centroids of D=%d, the store has D=%d; retrain", path, c->dim, plan->dim);
    if (strcmp(c->metric, rvcidx__metric_name(p->metric)) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: centroids trained for metric %s, not %s; retrain", path, c->metric,
                            rvcidx__metric_name(p->metric));
    if (p->nlist > 0 && p->nlist != c->nlist)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %lld centroids, but `nlist=%lld`; retrain", path, (long long)c->nlist,
                            (long long)p->nlist);
    return 0;
}

/* PQ training runs one small k-means per sub-quantizer and reports no
 * progress (tens of seconds at 65k rows): say it started, and once that
 * the sample is under faiss's advice (faiss itself would print it per
 * sub-quantizer). */
static void announce_training(const rvcidx_index_params *p, int dim, uint64_t n_train) {
    if (p->type == RVCIDX_INDEX_IVFFLAT) return;
    rvcidx__log(RVCIDX_LOG_INFO, "encode: training the PQ codes (%d sub-quantizers of 16 codes) on %llu rows; no "
                "progress until done", dim / 2, (unsigned long long)n_train);
    if (n_train < 16 * 39)
        rvcidx__log(RVCIDX_LOG_WARN, "encode: %llu rows to train the PQ codes on, under faiss's advice of 624 (39 per "
                    "code); the codes may be coarse (tuning raises k_factor to make up)", (unsigned long long)n_train);
}

/* The IVF index with the centroids in its quantizer and its codes trained. */
static int make_trained_ivf(const rvcidx_index_params *p, const rvcidx__centroids *c, const float *train,
                            uint64_t n_train, FaissIndex **out) {
    char factory[96];
    rvcidx_index_params base = *p;
    RVCIDX__TRY(rvcidx_index_describe(&base, c->dim, c->nlist, factory, sizeof factory));
    char *refine = strstr(factory, ",R");
    if (refine) *refine = '\0'; /* the refine wrapper is added around the trained IVF */
    FaissIndex *index = NULL;
    RVCIDX__FAISS_CHECK(faiss_index_factory(&index, c->dim, factory,
                                            p->metric == RVCIDX_METRIC_L2 ? METRIC_L2 : METRIC_INNER_PRODUCT),
                        "index_factory");
    FaissIndexIVF *ivf = faiss_IndexIVF_cast(index);
    FaissIndex *quantizer = ivf ? faiss_IndexIVF_quantizer(ivf) : NULL;
    int rc = quantizer ? faiss_Index_add(quantizer, (idx_t)c->nlist, c->data) : -1;
    if (rc == 0) rc = rvcidx_faiss_pq_quiet(index);
    double start = omp_get_wtime();
    if (rc == 0) announce_training(p, c->dim, n_train);
    /* One thread: PQ training is D/2 k-means of 2 dimensions and 16
     * centroids, thousands of parallel regions with almost no work in each.
     * Wherever the cores are shared (a busy node, --jobs, CI) every region
     * waits for a descheduled thread: a 30,000-row model's PQ took 54-57 s
     * on 2 threads against 5-8 s on one (load 9 on 2 cores). The codes are
     * the same bytes on any thread count. */
    rvcidx__thread_counts threads = rvcidx__threads_get();
    rvcidx__set_threads(1);
    if (rc == 0) rc = faiss_Index_train(index, (idx_t)n_train, train);
    rvcidx__threads_restore(threads);
    if (rc == 0 && p->type != RVCIDX_INDEX_IVFFLAT)
        rvcidx__log(RVCIDX_LOG_INFO, "encode: PQ codes trained in %.1f s", omp_get_wtime() - start);
    if (rc != 0) {
        rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: training %s failed: %s", factory, faiss_get_last_error());
        faiss_Index_free(index);
        return rc;
    }
    *out = index;
    return 0;
}

/* The SQ storage of an fp16/sq8 refine, trained on the PQ's sample (SQ8
 * takes each dimension's min and max there: the same sample, the same bytes). */
static int make_trained_sq(const rvcidx_index_params *p, int dim, const float *train, uint64_t n_train,
                           FaissIndex **out) {
    FaissIndex *sq = NULL;
    const char *desc = p->refine == RVCIDX_REFINE_FP16 ? "SQfp16" : "SQ8";
    RVCIDX__FAISS_CHECK(faiss_index_factory(&sq, dim, desc, p->metric == RVCIDX_METRIC_L2 ? METRIC_L2 : METRIC_INNER_PRODUCT),
                        "index_factory");
    if (faiss_Index_train(sq, (idx_t)n_train, train) != 0) {
        int rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: training the %s refine failed: %s", desc, faiss_get_last_error());
        faiss_Index_free(sq);
        return rc;
    }
    *out = sq;
    return 0;
}

/* A row of the refine read by id, as it was added (normalised for cosine). */
static int read_row_by_id(void *encoding, int64_t id, float *out) {
    const rvcidx__encoding *e = encoding;
    if (rvcidx__row_reader_get(e->rows, id, out) != 0) return -1;
    if (e->p.metric == RVCIDX_METRIC_COSINE) rvcidx__normalize_rows(out, 1, e->plan.dim);
    return 0;
}

/* Takes ivf: a refine wrapper reading its rows by id, its SQ (fp16/sq8)
 * trained on the same sample as the stored one would be. */
static int wrap_reading_rows(const rvcidx_index_params *p, FaissIndex *ivf, const float *train, uint64_t n_train,
                             rvcidx__encoding *reading, FaissIndex **out) {
    FaissIndex *codec = NULL;
    int rc = p->refine == RVCIDX_REFINE_FLAT ? 0 : make_trained_sq(p, faiss_Index_d(ivf), train, n_train, &codec);
    if (rc == 0 && rvcidx_faiss_IndexRefine_new_from_rows(ivf, codec, read_row_by_id, reading, out) != 0) {
        rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: a refine reading rows by id failed: %s", faiss_get_last_error());
        if (codec) faiss_Index_free(codec);
    }
    if (rc) faiss_Index_free(ivf);
    return rc;
}

/* Takes ivf: wraps it in the refine (RFlat, or an IndexRefine around a
 * trained SQ; or reading rows by id) and stores nprobe and k_factor. */
static int wrap_and_configure(const rvcidx_index_params *p, FaissIndex *ivf, const float *train, uint64_t n_train,
                              rvcidx__encoding *reading, FaissIndex **out) {
    FaissIndex *index = ivf;
    if (p->type == RVCIDX_INDEX_IVFPQ4FS && reading) {
        RVCIDX__TRY(wrap_reading_rows(p, ivf, train, n_train, reading, &index));
    } else if (p->type == RVCIDX_INDEX_IVFPQ4FS && p->refine != RVCIDX_REFINE_FLAT) {
        FaissIndex *sq = NULL;
        int rc = make_trained_sq(p, faiss_Index_d(ivf), train, n_train, &sq);
        if (rc == 0 && rvcidx_faiss_IndexRefine_new(ivf, sq, &index) != 0) {
            rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: IndexRefine failed: %s", faiss_get_last_error());
            faiss_Index_free(sq);
        }
        if (rc) {
            faiss_Index_free(ivf);
            return rc;
        }
    } else if (p->type == RVCIDX_INDEX_IVFPQ4FS) {
        FaissIndexRefineFlat *refine = NULL;
        if (faiss_IndexRefineFlat_new(&refine, ivf) != 0) {
            int rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: IndexRefineFlat_new failed: %s", faiss_get_last_error());
            faiss_Index_free(ivf);
            return rc;
        }
        faiss_IndexRefineFlat_set_own_fields(refine, 1);
        index = (FaissIndex *)refine;
    }
    *out = index;
    return rvcidx__index_set_params(index, p->nprobe, p->k_factor);
}

static int report_added(const rvcidx_run *run, uint64_t done, uint64_t total, int dim) {
    if (!run->progress) return 0;
    rvcidx_progress pr = {"encode", "rows", done, total, done * (uint64_t)dim * sizeof(float), done == total};
    return run->progress(&pr, run->progress_user) ? rvcidx__fail(RVCIDX_EINTR, "encode: stopped on request") : 0;
}

/* Adds store rows [first, first + rows) to index, in batches that lie on
 * the grid of ADD_BATCH_ROWS from row origin (an index extended from row
 * `first` on gets the batches one add from `origin` would have made). */
static int add_rows(const rvcidx_index_params *p, const rvcidx_run *run, rvcidx_store *store, int dim, uint64_t first,
                    uint64_t rows, uint64_t origin, FaissIndex *index) {
    float *batch = malloc(sizeof(float) * ADD_BATCH_ROWS * (size_t)dim);
    if (!batch) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory for an add batch");
    int rc = report_added(run, 0, rows, dim);
    for (uint64_t at = 0, n = 0; rc == 0 && at < rows; at += n) {
        uint64_t to_grid = ADD_BATCH_ROWS - (first + at - origin) % ADD_BATCH_ROWS;
        n = rows - at < to_grid ? rows - at : to_grid;
        rc = rvcidx_store_read_rows(store, first + at, n, batch);
        if (rc == 0 && p->metric == RVCIDX_METRIC_COSINE) rvcidx__normalize_rows(batch, n, dim);
        if (rc == 0 && faiss_Index_add(index, (idx_t)n, batch) != 0)
            rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: add failed: %s", faiss_get_last_error());
        if (rc == 0) rc = report_added(run, at + n, rows, dim);
    }
    free(batch);
    return rc;
}

/* Room for rows vectors in a refine wrapper's storage before adding them:
 * it then never reallocates (see faiss_c_ext.h). */
static int reserve_exact_storage(FaissIndex *index, uint64_t rows) {
    if (rvcidx_faiss_IndexRefineFlat_reserve(index, (int64_t)rows) != 0)
        return rvcidx__fail(RVCIDX_ENOMEM, "faiss: cannot reserve the refine storage: %s", faiss_get_last_error());
    return 0;
}

/* The empty index, trained: quantizer from the centroids, PQ on the seeded sample. */
static int trained_index(const rvcidx_index_params *p, rvcidx_store *store, const rvcidx__index_plan *plan,
                         const rvcidx__centroids *c, rvcidx__encoding *reading, FaissIndex **out) {
    uint64_t n_train = plan->train_rows < PQ_TRAIN_ROWS ? plan->train_rows : PQ_TRAIN_ROWS;
    float *train = NULL;
    RVCIDX__TRY(rvcidx__sample_rows(store, plan->first_row, plan->rows, n_train, p->seed, NULL, NULL, &train, NULL));
    if (p->metric == RVCIDX_METRIC_COSINE) rvcidx__normalize_rows(train, n_train, plan->dim);
    FaissIndex *ivf = NULL;
    int rc = make_trained_ivf(p, c, train, n_train, &ivf);
    if (rc == 0) rc = wrap_and_configure(p, ivf, train, n_train, reading, out);
    free(train);
    return rc;
}

int rvcidx__encoding_open(const char *store_path, const char *centroids_path, const rvcidx_index_params *params,
                          const rvcidx_run *run, int rows_by_id, rvcidx__encoding *e) {
    memset(e, 0, sizeof *e);
    e->run = run ? *run : rvcidx_run_default();
    e->started = omp_get_wtime();
    rvcidx__centroids c;
    RVCIDX__TRY(rvcidx__centroids_read(centroids_path, &c));
    int rc = rvcidx_store_open(store_path, &e->store);
    e->p = *params;
    if (rc == 0 && e->p.nlist > 0 && e->p.nlist != c.nlist)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: %lld centroids, but `nlist=%lld`; retrain", centroids_path,
                          (long long)c.nlist, (long long)e->p.nlist);
    e->p.nlist = c.nlist; /* the plan (PQ sample size, warnings) follows the centroids, not the auto rule */
    if (rc == 0) rc = rvcidx__index_plan_make(&e->p, e->store, store_path, &e->plan);
    if (rc == 0) rc = check_centroids(&e->p, &e->plan, &c, centroids_path);
    if (rc == 0 && rows_by_id && e->p.type != RVCIDX_INDEX_IVFPQ4FS)
        rc = rvcidx__fail(RVCIDX_EINVAL, "encode: only a refine reads its rows by id");
    if (rc == 0 && rows_by_id)
        rc = rvcidx__row_reader_open(store_path, e->plan.first_row, e->plan.rows, &e->rows);
    if (rc == 0) rc = trained_index(&e->p, e->store, &e->plan, &c, e->rows ? e : NULL, &e->index);
    if (rc == 0) rc = reserve_exact_storage(e->index, e->plan.rows);
    rvcidx__centroids_free(&c);
    if (rc) rvcidx__encoding_free(e);
    return rc;
}

int rvcidx__encoding_add(rvcidx__encoding *e, uint64_t rows) {
    if (rows > e->plan.rows || rows < e->added) return rvcidx__fail(RVCIDX_EINVAL, "encode: bad row count");
    uint64_t first = e->plan.first_row + e->added;
    RVCIDX__TRY(add_rows(&e->p, &e->run, e->store, e->plan.dim, first, rows - e->added, e->plan.first_row, e->index));
    e->added = rows;
    return 0;
}

static int describe_saved(const rvcidx__encoding *e, rvcidx_encode_result *res) {
    memset(res, 0, sizeof *res);
    res->dim = e->plan.dim;
    res->nlist = e->p.nlist;
    res->ntotal = e->added;
    rvcidx_index_describe(&e->p, e->plan.dim, e->p.nlist, res->factory, sizeof res->factory);
    res->seconds = omp_get_wtime() - e->started;
    return 0;
}

int rvcidx__encoding_save(rvcidx__encoding *e, const char *path, rvcidx_encode_result *res) {
    RVCIDX__TRY(rvcidx__index_save(e->index, path));
    return describe_saved(e, res);
}

typedef struct added_rows {
    rvcidx__encoding *e;
    int rc;        /* the store's error ... */
    char why[512]; /* ... and its message, before the writer's failure replaces it */
} added_rows;

/* Rows of the range as they were added: read again, normalised for cosine. */
static int read_added_rows(void *user, int64_t first, int64_t n, float *out) {
    added_rows *a = user;
    rvcidx__encoding *e = a->e;
    a->rc = rvcidx_store_read_rows(e->store, e->plan.first_row + (uint64_t)first, (uint64_t)n, out);
    if (a->rc) snprintf(a->why, sizeof a->why, "%s", rvcidx_last_error());
    if (a->rc == 0 && e->p.metric == RVCIDX_METRIC_COSINE) rvcidx__normalize_rows(out, (uint64_t)n, e->plan.dim);
    return a->rc ? -1 : 0;
}

/* The refine reading rows by id: the rest of the rows go to the PQ index
 * (the wrapper counts them), and the file gets them streamed. */
static int finish_rows_by_id(rvcidx__encoding *e, const char *path, int nprobe, int k_factor, rvcidx_encode_result *res) {
    RVCIDX__TRY(rvcidx__encoding_add(e, e->plan.rows));
    RVCIDX__TRY(rvcidx__row_reader_status(e->rows));
    RVCIDX__TRY(rvcidx__index_set_params(e->index, nprobe, k_factor));
    added_rows a = {.e = e};
    int rc = rvcidx__index_save_from_rows(e->index, read_added_rows, &a, path);
    if (rc) return a.rc ? rvcidx__fail(a.rc, "%s", a.why) : rc;
    return describe_saved(e, res);
}

int rvcidx__encoding_finish_streamed(rvcidx__encoding *e, const char *path, int nprobe, int k_factor,
                                     rvcidx_encode_result *res) {
    if (e->rows) return finish_rows_by_id(e, path, nprobe, k_factor, res);
    if (e->p.type != RVCIDX_INDEX_IVFPQ4FS || e->p.refine != RVCIDX_REFINE_FLAT)
        return rvcidx__fail(RVCIDX_EINVAL, "encode: only an RFlat index is written streamed");
    FaissIndex *base = NULL;
    RVCIDX__FAISS_CHECK(rvcidx_faiss_IndexRefine_take_base(e->index, &base), "taking the base index");
    e->index = base;
    RVCIDX__TRY(rvcidx__encoding_add(e, e->plan.rows));
    RVCIDX__TRY(rvcidx__index_set_params(base, nprobe, 0));
    added_rows a = {.e = e};
    int rc = rvcidx__index_save_refine_flat_streamed(base, k_factor, read_added_rows, &a, path);
    if (rc) return a.rc ? rvcidx__fail(a.rc, "%s", a.why) : rc;
    return describe_saved(e, res);
}

void rvcidx__encoding_free(rvcidx__encoding *e) {
    if (e->index) faiss_Index_free(e->index);
    rvcidx__row_reader_close(e->rows);
    rvcidx_store_close(e->store);
    memset(e, 0, sizeof *e);
}

/* 1 when the refine storage of p's rows would pass RVCIDX_ROWS_IN_MEMORY:
 * the index is then written with its rows streamed, never all held. */
static int range_past_limit(const char *store_path, const rvcidx_index_params *p) {
    rvcidx_store *st = NULL;
    if (rvcidx_store_open(store_path, &st) != 0) return 0; /* encoding_open reports it */
    uint64_t n = rvcidx_store_rows(st), first = p->first_row < n ? p->first_row : n;
    uint64_t rows = p->rows && p->rows < n - first ? p->rows : n - first;
    int dim = rvcidx_store_dim(st);
    rvcidx_store_close(st);
    return rvcidx__refine_past_limit(p, dim, rows);
}

/* Either the whole index or only its trained, empty form. result may be NULL. */
static int encode_from_centroids(const char *store_path, const char *centroids_path, const char *index_path,
                                 const rvcidx_index_params *params, const rvcidx_run *run, int trained_only,
                                 rvcidx_encode_result *result) {
    rvcidx_encode_result local;
    if (result) memset(result, 0, sizeof *result);
    rvcidx__encoding e;
    int by_id = !trained_only && params->type == RVCIDX_INDEX_IVFPQ4FS && range_past_limit(store_path, params);
    RVCIDX__TRY(rvcidx__encoding_open(store_path, centroids_path, params, run, by_id, &e));
    int rc = 0;
    if (by_id) rc = finish_rows_by_id(&e, index_path, params->nprobe, params->k_factor, result ? result : &local);
    else {
        rc = trained_only ? 0 : rvcidx__encoding_add(&e, e.plan.rows);
        if (rc == 0) rc = rvcidx__encoding_save(&e, index_path, result ? result : &local);
    }
    rvcidx__encoding_free(&e);
    return rc;
}

static int check_encode_args(const char *a, const char *b, const char *c, const rvcidx_index_params *p) {
    if (!a || !b || !c || !p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_encode: NULL argument");
    if (p->type == RVCIDX_INDEX_AUTO)
        return rvcidx__fail(RVCIDX_EINVAL, "encode: `index=auto` is decided by measuring: use 'build', or choose ivfpq4fs or ivfflat");
    return 0;
}

int rvcidx_encode(const char *store_path, const char *centroids_path, const char *index_path,
                  const rvcidx_index_params *params, const rvcidx_run *run, rvcidx_encode_result *result) {
    RVCIDX__TRY(check_encode_args(store_path, centroids_path, index_path, params));
    rvcidx__ctx ctx;
    rvcidx__ctx_open(&ctx, run);
    int rc = encode_from_centroids(store_path, centroids_path, index_path, params, &ctx.run, 0, result);
    rvcidx__ctx_close(&ctx);
    return rc;
}

int rvcidx_encode_trained(const char *store_path, const char *centroids_path, const char *trained_path,
                          const rvcidx_index_params *params, const rvcidx_run *run) {
    RVCIDX__TRY(check_encode_args(store_path, centroids_path, trained_path, params));
    rvcidx__ctx ctx;
    rvcidx__ctx_open(&ctx, run);
    int rc = encode_from_centroids(store_path, centroids_path, trained_path, params, &ctx.run, 1, NULL);
    rvcidx__ctx_close(&ctx);
    return rc;
}

static int check_part(const rvcidx__index_info *info, const rvcidx_index_params *p, const rvcidx_store *store,
                      const char *store_path, const char *trained_path) {
    if (info->ntotal != 0) return rvcidx__fail(RVCIDX_EINPUT, "%s: not an empty trained index", trained_path);
    if (info->dim != rvcidx_store_dim(store))
        return rvcidx__fail(RVCIDX_EINPUT, "%s: D=%d, but %s has D=%d", trained_path, info->dim, store_path,
                            rvcidx_store_dim(store));
    uint64_t n = rvcidx_store_rows(store);
    if (p->first_row > n || p->rows > n - p->first_row)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: rows %llu..%llu are outside its %llu rows", store_path,
                            (unsigned long long)p->first_row, (unsigned long long)(p->first_row + p->rows), (unsigned long long)n);
    return 0;
}

static int encode_part(const char *store_path, const char *trained_path, const char *part_path,
                       const rvcidx_index_params *params, const rvcidx_run *run, rvcidx_encode_result *result);

int rvcidx_encode_part(const char *store_path, const char *trained_path, const char *part_path,
                       const rvcidx_index_params *params, const rvcidx_run *run, rvcidx_encode_result *result) {
    RVCIDX__TRY(check_encode_args(store_path, trained_path, part_path, params));
    rvcidx__ctx ctx;
    rvcidx__ctx_open(&ctx, run);
    int rc = encode_part(store_path, trained_path, part_path, params, &ctx.run, result);
    rvcidx__ctx_close(&ctx);
    return rc;
}

static int encode_part(const char *store_path, const char *trained_path, const char *part_path,
                       const rvcidx_index_params *params, const rvcidx_run *run, rvcidx_encode_result *result) {
    rvcidx_encode_result local;
    rvcidx_encode_result *res = result ? result : &local;
    memset(res, 0, sizeof *res);
    double start = omp_get_wtime();
    FaissIndex *index = NULL;
    rvcidx__index_info info;
    RVCIDX__TRY(rvcidx__index_load(trained_path, &index, &info));
    rvcidx_store *store = NULL;
    int rc = rvcidx_store_open(store_path, &store);
    rvcidx_index_params p = *params;
    if (rc == 0 && p.rows == 0 && p.first_row <= rvcidx_store_rows(store)) p.rows = rvcidx_store_rows(store) - p.first_row;
    if (rc == 0) rc = check_part(&info, &p, store, store_path, trained_path);
    if (rc == 0) rc = reserve_exact_storage(index, p.rows);
    if (rc == 0) rc = add_rows(&p, run, store, info.dim, p.first_row, p.rows, p.first_row, index);
    if (rc == 0) rc = rvcidx__index_save(index, part_path);
    if (rc == 0) {
        res->dim = info.dim;
        res->nlist = info.nlist;
        res->ntotal = p.rows;
        res->seconds = omp_get_wtime() - start;
    }
    rvcidx_store_close(store);
    faiss_Index_free(index);
    return rc;
}
