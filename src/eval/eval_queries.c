/* eval_queries.c — loads the indexed vectors and chooses the queries. */
#include "eval/eval_queries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#include "base/rng.h"
#include "index/index_internal.h"
#include "index/sample.h"
#include "store/row_reader.h"

void rvcidx__eval_data_free(rvcidx__eval_data *d) {
    free(d->base_owned);
    rvcidx__row_reader_close(d->rows);
    free(d->queries);
    free(d->self_ids);
    free(d->query_group);
    memset(d, 0, sizeof *d);
}

/* Seeded choice of want ids among n, ascending (selection sampling). */
static int64_t *choose_ids(uint64_t n, uint64_t want, uint64_t seed) {
    int64_t *ids = malloc(sizeof *ids * (want ? want : 1));
    if (!ids) return NULL;
    rvcidx__rng rng;
    rvcidx__rng_init(&rng, seed, 0x9e11);
    uint64_t taken = 0;
    for (uint64_t i = 0; i < n && taken < want; i++)
        if (rvcidx__rng_uniform(&rng) * (double)(n - i) < (double)(want - taken)) ids[taken++] = (int64_t)i;
    return ids;
}

static int load_base(const char *store_path, uint64_t first_row, uint64_t ntotal, int index_dim, int cosine,
                     const float *indexed, rvcidx__eval_data *d) {
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(store_path, &st));
    d->dim = rvcidx_store_dim(st);
    d->ntotal = ntotal;
    int rc = first_row + ntotal > rvcidx_store_rows(st)
                 ? rvcidx__fail(RVCIDX_EINPUT, "%s: the index holds %llu vectors from row %llu, the store only %llu rows",
                                store_path, (unsigned long long)ntotal, (unsigned long long)first_row,
                                (unsigned long long)rvcidx_store_rows(st))
                 : 0;
    if (rc == 0 && d->dim != index_dim)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: vectors of D=%d for an index of D=%d", store_path, d->dim, index_dim);
    if (rc == 0 && indexed) {
        d->base = indexed;
        rvcidx_store_close(st);
        return 0;
    }
    if (rc == 0 && rvcidx__vectors_past_limit(d->dim, ntotal)) {
        rvcidx_store_close(st);
        return rvcidx__row_reader_open(store_path, first_row, ntotal, &d->rows);
    }
    if (rc == 0 && !(d->base_owned = malloc(sizeof(float) * (size_t)ntotal * (size_t)d->dim)))
        rc = rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory for %llu x %d vectors", (unsigned long long)ntotal, d->dim);
    if (rc == 0) rc = rvcidx_store_read_rows(st, first_row, ntotal, d->base_owned);
    rvcidx_store_close(st);
    if (rc == 0 && cosine) rvcidx__normalize_rows(d->base_owned, ntotal, d->dim);
    d->base = d->base_owned;
    return rc;
}

const float *rvcidx__eval_row(const rvcidx__eval_data *d, int64_t id, float *buf) {
    if (d->base) return d->base + (uint64_t)id * (uint64_t)d->dim;
    if (rvcidx__row_reader_get(d->rows, id, buf) != 0) {
        rvcidx__row_reader_status(d->rows);
        return NULL;
    }
    if (d->cosine) rvcidx__normalize_rows(buf, 1, d->dim); /* as indexed */
    return buf;
}

/* Rows of norm 0: under cosine they stay 0 (x / max(1e-12, 0)), every query
 * is equally far from them, and no search setting can rank them. */
static uint64_t count_zero_rows(const float *x, uint64_t n, int dim) {
    uint64_t zeros = 0;
    for (uint64_t i = 0; i < n; i++) {
        const float *row = x + i * (uint64_t)dim;
        int j = 0;
        while (j < dim && row[j] == 0.0f) j++;
        zeros += j == dim;
    }
    return zeros;
}

int rvcidx__eval_zero_rows(const rvcidx__eval_data *d, uint64_t *zeros) {
    *zeros = 0;
    if (d->base) return *zeros = count_zero_rows(d->base, d->ntotal, d->dim), 0;
    enum { BLOCK_ROWS = 16384 };
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(d->store_path, &st));
    float *block = malloc(sizeof(float) * BLOCK_ROWS * (size_t)d->dim);
    int rc = block ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory");
    for (uint64_t at = 0; rc == 0 && at < d->ntotal; at += BLOCK_ROWS) {
        uint64_t n = d->ntotal - at < BLOCK_ROWS ? d->ntotal - at : BLOCK_ROWS;
        rc = rvcidx_store_read_rows(st, d->first_row + at, n, block);
        if (rc == 0) *zeros += count_zero_rows(block, n, d->dim);
    }
    free(block);
    rvcidx_store_close(st);
    return rc;
}

static int leave_one_out_queries(const rvcidx_eval_params *p, rvcidx__eval_data *d) {
    d->nq = p->queries < d->ntotal ? p->queries : d->ntotal;
    d->self_ids = choose_ids(d->ntotal, d->nq, p->seed);
    d->queries = malloc(sizeof(float) * (size_t)(d->nq ? d->nq : 1) * (size_t)d->dim);
    if (!d->self_ids || !d->queries) return rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory for queries");
    for (uint64_t i = 0; i < d->nq; i++) {
        float *q = d->queries + i * (uint64_t)d->dim;
        const float *row = rvcidx__eval_row(d, d->self_ids[i], q);
        if (!row) return RVCIDX_EIO;
        if (row != q) memcpy(q, row, sizeof(float) * (size_t)d->dim);
    }
    return 0;
}

static int external_queries(const rvcidx_eval_params *p, int cosine, rvcidx__eval_data *d) {
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(p->queries_store, &st));
    int rc = 0;
    if (rvcidx_store_dim(st) != d->dim)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: queries of D=%d for an index of D=%d", p->queries_store,
                          rvcidx_store_dim(st), d->dim);
    uint64_t n = rvcidx_store_rows(st);
    if (rc == 0)
        rc = rvcidx__sample_rows(st, 0, n, p->queries < n ? p->queries : n, p->seed, NULL, NULL, &d->queries, NULL);
    d->nq = p->queries < n ? p->queries : n;
    rvcidx_store_close(st);
    if (rc == 0 && cosine) rvcidx__normalize_rows(d->queries, d->nq, d->dim);
    return rc;
}

/* The held-out speakers after a tuning index (rows from `from` on), in store
 * order: at least two and at most RVCIDX_EVAL_MAX_GROUPS, else 0. */
static int held_out_speakers(const rvcidx_store *st, uint64_t from, rvcidx_store_speaker *out) {
    int n = 0;
    for (size_t i = 0; i < rvcidx_store_speaker_count(st); i++) {
        rvcidx_store_speaker s;
        if (rvcidx_store_get_speaker(st, i, &s) != 0 || s.rows == 0 || s.first_row < from) continue;
        if (n == RVCIDX_EVAL_MAX_GROUPS) return 0;
        out[n++] = s;
    }
    return n >= 2 ? n : 0;
}

/* Each held-out speaker's share of the queries (the same for each, as far
 * as its rows allow), drawn from its own rows with its own seed, so that
 * each speaker's recall is measured on as many queries as the others'. */
static int held_out_queries(rvcidx_store *st, const rvcidx_store_speaker *sp, int groups, const rvcidx_eval_params *p,
                            int cosine, rvcidx__eval_data *d) {
    uint64_t total = 0, want[RVCIDX_EVAL_MAX_GROUPS];
    for (int g = 0; g < groups; g++) {
        want[g] = p->queries / (uint64_t)groups + ((uint64_t)g < p->queries % (uint64_t)groups);
        if (want[g] > sp[g].rows) want[g] = sp[g].rows;
        total += want[g];
    }
    d->queries = malloc(sizeof(float) * (size_t)(total ? total : 1) * (size_t)d->dim);
    d->query_group = malloc(total ? total : 1);
    if (!d->queries || !d->query_group) return rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory for queries");
    d->nq = 0, d->groups = groups;
    for (int g = 0; g < groups; g++) {
        float *q = NULL;
        RVCIDX__TRY(rvcidx__sample_rows(st, sp[g].first_row, sp[g].rows, want[g], p->seed + 1 + (uint64_t)g, NULL, NULL,
                                        &q, NULL));
        memcpy(d->queries + d->nq * (uint64_t)d->dim, q, sizeof(float) * (size_t)want[g] * (size_t)d->dim);
        free(q);
        memset(d->query_group + d->nq, g, want[g]);
        snprintf(d->group_names[g], sizeof d->group_names[g], "%s", sp[g].name);
        d->group_queries[g] = want[g];
        d->nq += want[g];
    }
    if (cosine) rvcidx__normalize_rows(d->queries, d->nq, d->dim);
    return 0;
}

/* A seeded sample of the store rows outside [first_row, +rows), drawn from
 * the rows before and after in proportion to their numbers. */
static int other_rows_queries(const char *store_path, uint64_t first_row, uint64_t rows, int held_out,
                              const rvcidx_eval_params *p, int cosine, rvcidx__eval_data *d) {
    rvcidx_store *st = NULL;
    RVCIDX__TRY(rvcidx_store_open(store_path, &st));
    uint64_t n = rvcidx_store_rows(st);
    if (first_row + rows > n) {
        rvcidx_store_close(st);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: rows %llu..%llu are outside its %llu rows", store_path,
                            (unsigned long long)first_row, (unsigned long long)(first_row + rows), (unsigned long long)n);
    }
    rvcidx_store_speaker held[RVCIDX_EVAL_MAX_GROUPS];
    int groups = held_out && first_row == 0 ? held_out_speakers(st, rows, held) : 0;
    if (groups) {
        int rc = held_out_queries(st, held, groups, p, cosine, d);
        rvcidx_store_close(st);
        return rc;
    }
    uint64_t before = first_row, after = n - first_row - rows, others = before + after;
    size_t speakers = rvcidx_store_speaker_count(st);
    d->nq = p->queries < others ? p->queries : others;
    uint64_t nb = others ? d->nq * before / others : 0, na = d->nq - nb;
    float *qb = NULL, *qa = NULL;
    int rc = nb ? rvcidx__sample_rows(st, 0, before, nb, p->seed, NULL, NULL, &qb, NULL) : 0;
    if (rc == 0 && na) rc = rvcidx__sample_rows(st, first_row + rows, after, na, p->seed + 1, NULL, NULL, &qa, NULL);
    rvcidx_store_close(st);
    if (rc == 0 && !(d->queries = malloc(sizeof(float) * (size_t)(d->nq ? d->nq : 1) * (size_t)d->dim)))
        rc = rvcidx__fail(RVCIDX_ENOMEM, "eval: out of memory for queries");
    if (rc == 0) {
        if (nb) memcpy(d->queries, qb, sizeof(float) * (size_t)nb * (size_t)d->dim);
        if (na) memcpy(d->queries + nb * (uint64_t)d->dim, qa, sizeof(float) * (size_t)na * (size_t)d->dim);
        if (cosine) rvcidx__normalize_rows(d->queries, d->nq, d->dim);
    }
    free(qb);
    free(qa);
    /* The index holds the whole store: whatever its speakers, eval (unlike build, which
     * holds the last speaker out of a tuning index) has no other frames to query with. */
    if (rc == 0 && d->nq == 0)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: the index holds all %llu rows of the store (%zu speaker%s), so no other "
                          "speaker's frames are left to query with; pass `queries=STORE.h5` of another voice (rvcidx "
                          "ingest), or use `queries_from=self`", store_path, (unsigned long long)n, speakers,
                          speakers == 1 ? "" : "s");
    return rc;
}

int rvcidx__eval_data_load(const char *store_path, uint64_t first_row, uint64_t ntotal, int index_dim, int cosine,
                           const float *indexed, const rvcidx_eval_params *p, const rvcidx__eval_others *others,
                           rvcidx__eval_data *out) {
    memset(out, 0, sizeof *out);
    out->store_path = store_path, out->first_row = first_row, out->cosine = cosine;
    if (ntotal <= (uint64_t)p->k) /* leave-one-out needs k others; faiss would pad with -1 and recall would be low */
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %llu rows (frames) indexed, but measuring %d-recall@%d needs at least "
                            "%d; add more audio or lower `k`", store_path, (unsigned long long)ntotal, p->k, p->k,
                            p->k + 1);
    int rc = load_base(store_path, first_row, ntotal, index_dim, cosine, indexed, out);
    if (rc == 0 && cosine) rc = rvcidx__eval_zero_rows(out, &out->zero_rows);
    if (rc == 0)
        rc = p->queries_store                          ? external_queries(p, cosine, out)
             : others ? other_rows_queries(others->store, others->first_row, others->rows, others->held_out, p, cosine, out)
             : p->queries_from == RVCIDX_QUERIES_OTHER ? other_rows_queries(store_path, first_row, ntotal, 0, p, cosine, out)
                                                       : leave_one_out_queries(p, out);
    if (rc == 0 && out->nq == 0) rc = rvcidx__fail(RVCIDX_EINPUT, "eval: no queries to measure with");
    if (rc == 0 && out->groups == 0) out->groups = 1, out->group_queries[0] = out->nq;
    if (rc) rvcidx__eval_data_free(out);
    return rc;
}
