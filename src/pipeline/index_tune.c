/* index_tune.c — one index of one type encoded and measured: the tuning
 * queries, the tuning index (encoded from the trained index, or its rows
 * read by id), the sweep that chooses nprobe and k_factor, and what the
 * refine choices and the index's rows are. */
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/eval_internal.h"
#include "base/fsutil.h"
#include "pipeline/build_internal.h"
#include "index/index_internal.h"
#include "index/index_io.h"
#include "base/internal.h"
#include "rvcidx/index_build.h"
#include "rvcidx/store.h"
#include "rvcidx/outdir.h"
#include "store/row_reader.h"

static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }

/* faiss assigns add batches of fewer rows than this without BLAS (another
 * code path, whose distances can differ in the last bit). */
enum { FAISS_BLAS_MIN_ROWS = 20 };

uint64_t rvcidx__tuning_rows(const uint64_t *speaker_rows, size_t count, uint64_t total) {
    size_t with_rows = 0;
    for (size_t i = 0; i < count; i++) with_rows += speaker_rows[i] > 0;
    if (with_rows < 2) return total;
    uint64_t held = 0;
    int speakers = 0;
    for (size_t i = count; i-- > 0 && speakers < RVCIDX_EVAL_MAX_GROUPS && (size_t)speakers + 1 < with_rows;) {
        if (!speaker_rows[i]) continue;
        if (speakers > 0 && (held + speaker_rows[i]) * 2 > total) break;
        held += speaker_rows[i], speakers++;
    }
    return total - held;
}

/* Where the tuning queries come from. AUTO means other speakers' frames, as
 * at RVC conversion time (the voice converted is not the model's): the store
 * rows outside the index when there are some (per-speaker indexes; for a
 * reduced one, `others`: the rows outside those it was reduced from); when the
 * index holds the whole store of several speakers, its last speakers are held
 * out (rvcidx__tuning_rows): a tuning index of the other rows (*tune_rows of
 * them) is measured with those speakers' frames, each speaker's apart. One
 * speaker alone: leave-one-out. */
static int plan_queries(const char *store, const rvcidx_index_params *p, const rvcidx_eval_params *ep,
                        const rvcidx__eval_others *reduced_from, rvcidx_eval_params *out, uint64_t *tune_rows,
                        uint64_t *index_rows) {
    *out = *ep;
    *tune_rows = *index_rows = 0;
    if (ep->queries_store || ep->queries_from == RVCIDX_QUERIES_SELF) return 0;
    if (reduced_from) return out->queries_from = RVCIDX_QUERIES_OTHER, 0;
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(store, &st));
    uint64_t n = rvcidx_store_rows(st), rows = p->rows ? p->rows : n - p->first_row, held = 0;
    *index_rows = rows;
    if (rows == n && p->first_row == 0) {
        size_t count = rvcidx_store_speaker_count(st);
        uint64_t *speaker_rows = malloc(sizeof *speaker_rows * (count ? count : 1));
        if (!speaker_rows) return rvcidx_store_close(st), rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
        for (size_t i = 0; i < count; i++) {
            rvcidx_store_speaker s;
            speaker_rows[i] = rvcidx_store_get_speaker(st, i, &s) == 0 ? s.rows : 0;
        }
        held = rvcidx__tuning_rows(speaker_rows, count, n);
        held = held < n ? held : 0;
        free(speaker_rows);
    }
    rvcidx_store_close(st);
    int others = rows < n || held > 0;
    if (!others && ep->queries_from == RVCIDX_QUERIES_OTHER)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: one speaker only: no other speakers' frames to tune with; "
                            "use `queries_from=self` or `queries=STORE.h5`", store);
    out->queries_from = others ? RVCIDX_QUERIES_OTHER : RVCIDX_QUERIES_SELF;
    *tune_rows = rows == n ? held : 0;
    return 0;
}

/* The tuning index: the trained empty index plus rows [first_row, +rows). */
static int encode_tuning_index(rvcidx__ctx *ctx, const char *store, const char *dir, const char *trained, const rvcidx_index_params *p,
                               uint64_t rows, char *out, size_t n) {
    char final[PATH_MAX], own_trained[PATH_MAX + 16] = "";
    snprintf(final, sizeof final, "%s/index-tuning", dir);
    RVCIDX__TRY(rvcidx__remove_stale_temps(final));
    RVCIDX__TRY(rvcidx__tmp_name(final, out, n));
    int rc = 0;
    if (!trained) {
        snprintf(own_trained, sizeof own_trained, "%s.trained", out);
        char centroids[PATH_MAX + 16];
        snprintf(centroids, sizeof centroids, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_CENTROIDS));
        rc = rvcidx_encode_trained(store, centroids, own_trained, p, &ctx->run);
        trained = own_trained;
    }
    rvcidx_index_params part = *p;
    part.rows = rows;
    if (rc == 0) rc = rvcidx_encode_part(store, trained, out, &part, &ctx->run, NULL);
    if (own_trained[0]) unlink(own_trained);
    if (rc) unlink(out);
    return rc;
}

static void log_tuning_index(const rvcidx_index_params *ip, uint64_t tune_rows) {
    rvcidx__log(RVCIDX_LOG_INFO, "tuning on held-out speakers: an index of rows %llu..%llu, queried with the speakers after it",
                (unsigned long long)ip->first_row, (unsigned long long)(ip->first_row + tune_rows));
}

/* Measures the index at path, or loaded when not NULL (the tuning index when
 * tune_rows > 0), and, when tuning, takes the chosen setting into
 * r->nprobe/k_factor. */
static int eval_and_choose(rvcidx__ctx *ctx, const char *store, const char *path, FaissIndex *loaded, const rvcidx_index_params *ip,
                           const rvcidx_eval_params *ep, const rvcidx_eval_params *eq, uint64_t tune_rows,
                           const rvcidx__eval_others *others, rvcidx_index_result *r) {
    rvcidx__eval_others held = {store, ip->first_row, tune_rows, 1};
    if (tune_rows && !others) others = &held; /* each held-out speaker measured apart */
    RVCIDX__TRY(loaded ? rvcidx__eval_index(loaded, path, store, ip, eq, others, ctx, &r->eval)
                       : rvcidx__eval_file(path, store, ip, eq, others, ctx, &r->eval));
    if (tune_rows)
        snprintf(r->eval->queries_desc, sizeof r->eval->queries_desc, "held-out speaker%s: %s frames (rows %llu..) "
                 "against a tuning index of the other speakers' %llu rows", r->eval->groups > 1 ? "s" : "",
                 r->eval->groups > 1 ? "their" : "its", (unsigned long long)(ip->first_row + tune_rows),
                 (unsigned long long)tune_rows);
    if (ep->tune && r->eval->chosen < 0 && ep->fixed_nprobe > 0)
        return rvcidx__fail(RVCIDX_ETARGET, "nprobe %d, which %s sets itself, does not reach %d-recall@%d >= %.2f "
                            "with no empty slot at nlist %lld", ep->fixed_nprobe, r->eval->app, ep->k, ep->k,
                            ep->target_recall, (long long)r->eval->nlist);
    if (ep->tune && r->eval->chosen < 0)
        return rvcidx__fail(RVCIDX_ETARGET, "no setting reached %d-recall@%d >= %.2f with no empty slot", ep->k, ep->k,
                            ep->target_recall);
    if (ep->tune) {
        r->nprobe = r->eval->points[r->eval->chosen].nprobe;
        r->k_factor = r->eval->points[r->eval->chosen].k_factor;
    }
    return 0;
}

/* Whether a tuning index of tune_rows keeps no refine storage and reads its
 * rows by id (past RVCIDX_ROWS_IN_MEMORY), said once in the log. */
static int tuning_by_id(const char *store, const rvcidx_index_params *p, uint64_t tune_rows, int *by_id) {
    int dim = 0;
    uint64_t all_rows = 0;
    RVCIDX__TRY(rvcidx__index_rows(store, p, &dim, &all_rows));
    *by_id = rvcidx__refine_past_limit(p, dim, tune_rows);
    if (*by_id)
        rvcidx__log(RVCIDX_LOG_INFO, "the tuning index re-ranks with rows read from the store by id: its refine storage "
                    "would hold %.1f MiB, over %.1f MiB (RVCIDX_ROWS_IN_MEMORY); its search times include those reads",
                    mib(tune_rows * rvcidx__refine_row_bytes(p, dim)), mib(rvcidx__rows_in_memory_max()));
    return 0;
}

/* The tuning index in memory, its rows read by id: encoded from the
 * centroids as the trained file was (the same seeded PQ sample), measured,
 * dropped. */
static int tune_by_id(rvcidx__ctx *ctx, const char *store, const char *dir, const rvcidx_index_params *ip, const rvcidx_eval_params *ep,
                      const rvcidx_eval_params *eq, uint64_t tune_rows, rvcidx_index_result *r) {
    char centroids[PATH_MAX + 16], label[PATH_MAX + 32];
    snprintf(centroids, sizeof centroids, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_CENTROIDS));
    snprintf(label, sizeof label, "%s/index-tuning (in memory)", dir);
    rvcidx__encoding e;
    RVCIDX__TRY(rvcidx__encoding_open(store, centroids, ip, &ctx->run, 1, &e));
    int rc = rvcidx__encoding_add(&e, tune_rows);
    if (rc == 0) rc = eval_and_choose(ctx, store, label, e.index, ip, ep, eq, tune_rows, NULL, r);
    if (rc == 0) rc = rvcidx__row_reader_status(e.rows);
    rvcidx__encoding_free(&e);
    return rc;
}

static int measure_and_choose(rvcidx__ctx *ctx, const char *store, const char *dir, const char *trained, const char *work,
                              const rvcidx_index_params *ip, const rvcidx_eval_params *ep,
                              const rvcidx__eval_others *others, rvcidx_index_result *r) {
    double t = omp_get_wtime();
    rvcidx_eval_params eq;
    uint64_t tune_rows = 0, rows = 0;
    char tuning[PATH_MAX + 64] = "";
    int by_id = 0;
    RVCIDX__TRY(plan_queries(store, ip, ep, others, &eq, &tune_rows, &rows));
    if (tune_rows && ep->tune && ip->type == RVCIDX_INDEX_IVFPQ4FS) RVCIDX__TRY(tuning_by_id(store, ip, tune_rows, &by_id));
    if (tune_rows && ep->tune) log_tuning_index(ip, tune_rows);
    if (by_id) {
        int rc = tune_by_id(ctx, store, dir, ip, ep, &eq, tune_rows, r);
        r->eval_seconds = omp_get_wtime() - t;
        if (rc == 0) rc = rvcidx_index_set_search_params(work, r->nprobe, r->k_factor);
        return rc;
    }
    if (tune_rows && ep->tune) {
        RVCIDX__TRY(encode_tuning_index(ctx, store, dir, trained, ip, tune_rows, tuning, sizeof tuning));
    } else if (tune_rows) {
        eq.queries_from = RVCIDX_QUERIES_SELF; /* --no-tune measures the shipped index as it is */
        tune_rows = 0;
    }
    int rc = eval_and_choose(ctx, store, tuning[0] ? tuning : work, NULL, ip, ep, &eq, tune_rows, others, r);
    if (tuning[0]) unlink(tuning);
    r->eval_seconds = omp_get_wtime() - t;
    if (rc == 0 && ep->tune) rc = rvcidx_index_set_search_params(work, r->nprobe, r->k_factor);
    return rc;
}

/* Whether tuning index + held-out rows gives the file one add of all rows
 * gives: the add batch that straddles row `held` is cut in two, and both
 * pieces must take the path the whole batch takes (split builds rely on the
 * same file coming out). */
static int can_extend_tuning_index(uint64_t held, uint64_t rows) {
    uint64_t start = held / RVCIDX__ADD_BATCH_ROWS * RVCIDX__ADD_BATCH_ROWS;
    uint64_t end = start + RVCIDX__ADD_BATCH_ROWS < rows ? start + RVCIDX__ADD_BATCH_ROWS : rows;
    uint64_t before = held - start, after = end - held;
    return before == 0 || end - start < FAISS_BLAS_MIN_ROWS ||
           (before >= FAISS_BLAS_MIN_ROWS && after >= FAISS_BLAS_MIN_ROWS);
}

/* Tuning on a held-out speaker whose rows come last: the index is encoded
 * in memory up to them (the tuning index), tuned on, then filled with the
 * held-out rows and shipped. The PQ is trained once, each row encoded once,
 * and nothing is written twice (at 1M rows this saved encoding 750,000 rows
 * again, and writing and reading a 2.3 GB tuning index). With RFlat the
 * held-out rows go to the PQ index only and the floats are streamed into
 * the file (rvcidx__encoding_finish_streamed). */
static int encode_through_tuning_index(rvcidx__ctx *ctx, const char *store, const char *dir, const char *work,
                                       const rvcidx_index_params *p, const rvcidx_eval_params *ep,
                                       const rvcidx_eval_params *eq, uint64_t tune_rows, uint64_t rows,
                                       rvcidx_index_result *r) {
    double t0 = omp_get_wtime();
    log_tuning_index(p, tune_rows);
    rvcidx__log(RVCIDX_LOG_INFO, "the shipped index is the tuning index plus rows %llu..%llu (each row encoded once)",
                (unsigned long long)(p->first_row + tune_rows), (unsigned long long)(p->first_row + rows));
    int by_id = 0;
    RVCIDX__TRY(tuning_by_id(store, p, tune_rows, &by_id));
    rvcidx__encoding e;
    RVCIDX__TRY(rvcidx__encoding_open(store, r->centroids_path, p, &ctx->run, by_id, &e));
    char label[PATH_MAX + 32];
    snprintf(label, sizeof label, "%s/index-tuning (in memory)", dir);
    int rc = rvcidx__encoding_add(&e, tune_rows);
    double t1 = omp_get_wtime(), t2 = t1;
    if (rc == 0) {
        rc = eval_and_choose(ctx, store, label, e.index, p, ep, eq, tune_rows, NULL, r);
        t2 = omp_get_wtime();
    }
    /* RFlat: the tuning rows' floats are dropped and the file written with
     * every row streamed from the store (the same bytes): at 1M rows of
     * D=768 the build never holds more than the tuning index's floats.
     * Past RVCIDX_ROWS_IN_MEMORY the tuning index holds none (by_id), and
     * the fp16/sq8 codes are streamed into the file too. */
    int streamed = by_id || (p->type == RVCIDX_INDEX_IVFPQ4FS && p->refine == RVCIDX_REFINE_FLAT);
    if (rc == 0 && streamed) rc = rvcidx__encoding_finish_streamed(&e, work, r->nprobe, r->k_factor, &r->encode);
    if (rc == 0 && !streamed) rc = rvcidx__encoding_add(&e, rows);
    if (rc == 0 && !streamed) rc = rvcidx__index_set_params(e.index, r->nprobe, r->k_factor);
    if (rc == 0 && !streamed) rc = rvcidx__encoding_save(&e, work, &r->encode);
    rvcidx__encoding_free(&e);
    r->eval_seconds = t2 - t1;
    r->encode_seconds = (t1 - t0) + (omp_get_wtime() - t2);
    if (rc) unlink(work);
    return rc;
}

int rvcidx__index_measure(rvcidx__ctx *ctx, const char *store, const char *dir, const char *trained, const char *work,
                          const rvcidx_index_params *p, const rvcidx_eval_params *ep, const rvcidx__eval_others *others,
                          rvcidx_index_result *r) {
    r->nprobe = p->nprobe;
    r->k_factor = p->type == RVCIDX_INDEX_IVFPQ4FS ? p->k_factor : 0;
    return ep ? measure_and_choose(ctx, store, dir, trained, work, p, ep, others, r) : 0;
}

int rvcidx__encode_and_measure(rvcidx__ctx *ctx, const char *store, const char *dir, const char *work, const rvcidx_index_params *p,
                               const rvcidx_eval_params *ep, const rvcidx__eval_others *others, rvcidx_index_result *r) {
    rvcidx_eval_params eq;
    uint64_t tune_rows = 0, rows = 0;
    if (ep && ep->tune) RVCIDX__TRY(plan_queries(store, p, ep, others, &eq, &tune_rows, &rows));
    if (tune_rows && can_extend_tuning_index(tune_rows, rows)) {
        r->nprobe = p->nprobe;
        r->k_factor = p->type == RVCIDX_INDEX_IVFPQ4FS ? p->k_factor : 0;
        return encode_through_tuning_index(ctx, store, dir, work, p, ep, &eq, tune_rows, rows, r);
    }
    double t = omp_get_wtime();
    RVCIDX__TRY(rvcidx_encode(store, r->centroids_path, work, p, &ctx->run, &r->encode));
    r->encode_seconds = omp_get_wtime() - t;
    return rvcidx__index_measure(ctx, store, dir, NULL, work, p, ep, others, r);
}

int rvcidx__tune_first(rvcidx__ctx *ctx, const char *store, const char *dir, const rvcidx_index_params *p, const rvcidx_eval_params *ep,
                       rvcidx_index_result *r, int *tuned) {
    *tuned = 0;
    if (!ep || !ep->tune || p->type != RVCIDX_INDEX_IVFPQ4FS) return 0;
    double t = omp_get_wtime();
    rvcidx_eval_params eq;
    uint64_t tune_rows = 0, rows = 0;
    int by_id = 0;
    RVCIDX__TRY(plan_queries(store, p, ep, NULL, &eq, &tune_rows, &rows));
    if (tune_rows) RVCIDX__TRY(tuning_by_id(store, p, tune_rows, &by_id));
    if (!by_id) return 0;
    log_tuning_index(p, tune_rows);
    r->nprobe = p->nprobe;
    r->k_factor = p->k_factor;
    int rc = tune_by_id(ctx, store, dir, p, ep, &eq, tune_rows, r);
    r->eval_seconds = omp_get_wtime() - t;
    *tuned = rc == 0;
    return rc;
}

/* The rows the index holds: p's range of the store. */
int rvcidx__index_rows(const char *store, const rvcidx_index_params *p, int *dim, uint64_t *rows) {
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(store, &st));
    uint64_t n = rvcidx_store_rows(st);
    *dim = rvcidx_store_dim(st);
    rvcidx_store_close(st);
    *rows = p->rows ? p->rows : n - p->first_row;
    return 0;
}

void rvcidx__refine_candidates(const rvcidx_index_params *p, int dim, int64_t nlist, uint64_t rows,
                               rvcidx_refine_candidate cand[3]) {
    memset(cand, 0, 3 * sizeof *cand);
    for (int i = 0; i < 3; i++) {
        rvcidx_index_params q = *p;
        q.refine = cand[i].refine = (rvcidx_refine)i; /* flat, fp16, sq8: the most exact first */
        cand[i].predicted_bytes = rvcidx_index_predict_bytes(&q, dim, nlist, rows);
        cand[i].fits = cand[i].predicted_bytes <= p->max_index_size;
    }
}

int rvcidx__refine_refusal(const rvcidx_index_params *p, int dim, int64_t nlist, uint64_t rows,
                           const rvcidx_refine_candidate cand[3]) {
    char sizes[256];
    size_t len = 0;
    for (int i = 0; i < 3; i++)
        len += (size_t)snprintf(sizes + len, sizeof sizes - len, "%s%s %.1f MiB%s", i ? ", " : "",
                                rvcidx_refine_name(cand[i].refine), mib(cand[i].built ? cand[i].file_bytes : cand[i].predicted_bytes),
                                cand[i].built ? "" : " (predicted)");
    return rvcidx__fail(RVCIDX_ETOOBIG, "`max_index_size=%.1f MiB`: no refine storage fits: %s for %llu vectors of D=%d "
                        "at nlist %lld; raise `max_index_size` or index fewer frames (`per_speaker`)",
                        mib(p->max_index_size), sizes, (unsigned long long)rows, dim, (long long)nlist);
}
