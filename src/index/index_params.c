/* index_params.c — index parameters: defaults, the nlist rule, the faiss
 * factory string and RVC's file naming. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/internal.h"
#include "base/param_text.h"
#include "index/index_internal.h"
#include "rvcidx/index.h"

rvcidx_index_params rvcidx_index_default_params(void) {
    rvcidx_index_params p;
    memset(&p, 0, sizeof p);
    p.type = RVCIDX_INDEX_IVFPQ4FS;
    p.metric = RVCIDX_METRIC_L2;
    p.seed = 1234;
    p.iterations = RVCIDX_KMEANS_ITERATIONS;
    p.nprobe = 16;
    p.k_factor = 8;
    return p;
}

/* k already in '_' form; 1 when k is not an index parameter. */
int rvcidx__index_param_set(rvcidx_index_params *p, const char *k, const char *value) {
    static const char *const types[] = {"ivfpq4fs", "ivfpq4fsr", "ivfflat", "auto"};
    static const rvcidx_index_type type_of[] = {RVCIDX_INDEX_IVFPQ4FS, RVCIDX_INDEX_IVFPQ4FS, RVCIDX_INDEX_IVFFLAT,
                                                RVCIDX_INDEX_AUTO};
    static const char *const metrics[] = {"l2", "ip", "cosine"};
    static const char *const refines[] = {"flat", "fp16", "sq8"};
    long v = 0;
    int choice = 0;
    if (!strcmp(k, "index")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, types, 4, &choice));
        p->type = type_of[choice];
        p->residual = choice == 1;
    } else if (!strcmp(k, "metric")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, metrics, 3, &choice));
        p->metric = (rvcidx_metric)choice;
    } else if (!strcmp(k, "nlist")) {
        if (value && !strcmp(value, "auto")) return p->nlist = 0, 0;
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 1L << 24, &v));
        p->nlist = v;
    } else if (!strcmp(k, "seed")) {
        RVCIDX__TRY(rvcidx__param_u64(k, value, &p->seed));
    } else if (!strcmp(k, "iterations")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 1000, &v));
        p->iterations = (int)v;
    } else if (!strcmp(k, "train_rows")) {
        if (value && !strcmp(value, "auto")) return p->train_rows = 0, 0;
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 1L << 40, &v));
        p->train_rows = v;
    } else if (!strcmp(k, "nprobe")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 1L << 24, &v));
        p->nprobe = (int)v;
    } else if (!strcmp(k, "k_factor")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 1024, &v));
        p->k_factor = (int)v;
    } else if (!strcmp(k, "refine")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, refines, 3, &choice));
        p->refine = (rvcidx_refine)choice;
    } else if (!strcmp(k, "max_index_size")) {
        RVCIDX__TRY(rvcidx__param_size(k, value, &p->max_index_size));
    } else {
        return 1;
    }
    return 0;
}

int rvcidx_index_params_set(rvcidx_index_params *p, const char *key, const char *value) {
    char k[32];
    if (!p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_index_params_set: NULL params");
    RVCIDX__TRY(rvcidx__param_key(key, k, sizeof k));
    int rc = rvcidx__index_param_set(p, k, value);
    return rc == 1 ? rvcidx__fail(RVCIDX_EINVAL, "'%s' is not an index parameter", key) : rc;
}

int64_t rvcidx_auto_nlist(uint64_t n) {
    int64_t nlist = (int64_t)(RVCIDX_NLIST_PER_SQRT_N * sqrt((double)n));
    int64_t cap = (int64_t)(n / 39);
    if (nlist > cap) nlist = cap;
    return nlist < 1 ? 1 : nlist;
}

uint64_t rvcidx__train_rows(const rvcidx_index_params *p, int64_t nlist, uint64_t rows) {
    uint64_t want = p->train_rows > 0 ? (uint64_t)p->train_rows : (uint64_t)nlist * RVCIDX_TRAIN_ROWS_PER_LIST;
    return want < rows ? want : rows;
}

int rvcidx_index_describe(const rvcidx_index_params *p, int dim, int64_t nlist, char *out, size_t n) {
    int len;
    if (p->type == RVCIDX_INDEX_AUTO)
        return rvcidx__fail(RVCIDX_EINVAL, "`index=auto` is decided by measuring: only 'build' takes it");
    if (p->type == RVCIDX_INDEX_IVFFLAT) {
        len = snprintf(out, n, "IVF%lld,Flat", (long long)nlist);
    } else {
        if (dim % 2) return rvcidx__fail(RVCIDX_EINVAL, "PQ4 FastScan needs an even dimension, not %d", dim);
        static const char *const refine[] = {"RFlat", "Refine(SQfp16)", "Refine(SQ8)"};
        len = snprintf(out, n, "IVF%lld,PQ%dx4fs%s,%s", (long long)nlist, dim / 2, p->residual ? "r" : "",
                       refine[p->refine % 3]);
    }
    return len < 0 || (size_t)len >= n ? rvcidx__fail(RVCIDX_EINVAL, "index description too long") : 0;
}

/* RVC lists every .index whose name lacks "trained": keep a model name that
 * holds the word from hiding its own index. */
static void sanitize_model_name(const char *model, char *out, size_t n) {
    size_t j = 0;
    for (size_t i = 0; model[i] && j + 1 < n; i++) {
        char c = model[i];
        int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_' || c == '.' || (unsigned char)c >= 0x80;
        out[j++] = safe ? c : '_';
    }
    out[j] = '\0';
    for (char *t; (t = strstr(out, "trained")) != NULL;) t[2] = '_'; /* "tr_ined" */
}

int rvcidx_index_file_name(const rvcidx_index_params *p, int dim, int64_t nlist, const char *model,
                           char *out, size_t n) {
    char type[64], safe[200];
    if (model && !rvcidx__utf8_valid(model))
        return rvcidx__fail(RVCIDX_EINVAL, "model name: not valid UTF-8 (apps find the index by the model's name); "
                            "give a UTF-8 name");
    if (model && strlen(model) >= sizeof safe)
        return rvcidx__fail(RVCIDX_EINVAL, "model name: %zu bytes, more than the %zu an index file name leaves room "
                            "for; give a shorter name", strlen(model), sizeof safe - 1);
    if (p->type == RVCIDX_INDEX_IVFFLAT)
        snprintf(type, sizeof type, "IVF%lld_Flat", (long long)nlist);
    else
        snprintf(type, sizeof type, "IVF%lld_PQ%dx4fs%s_%s", (long long)nlist, dim / 2, p->residual ? "r" : "",
                 p->refine == RVCIDX_REFINE_FP16 ? "RSQfp16" : p->refine == RVCIDX_REFINE_SQ8 ? "RSQ8" : "RFlat");
    sanitize_model_name(model && model[0] ? model : "model", safe, sizeof safe);
    int len = snprintf(out, n, "added_%s_nprobe_%d_%s_%s.index", type, p->nprobe, safe,
                       dim == 256 ? "v1" : "v2");
    return len < 0 || (size_t)len >= n ? rvcidx__fail(RVCIDX_EINVAL, "index file name too long") : 0;
}

const char *rvcidx_refine_name(rvcidx_refine r) {
    return r == RVCIDX_REFINE_FP16 ? "fp16" : r == RVCIDX_REFINE_SQ8 ? "sq8" : "flat";
}

/* From faiss 1.7.3's writer (impl/index_write.cpp): the coarse quantizer's
 * centroids, the PQ's 16 codes of 2 floats per sub-quantizer, per list its
 * ids and its codes in blocks of 32 (M rounded up to even nibbles each), the
 * refine storage (with, for SQ8, a min and a range per dimension); headers,
 * list lengths and the like are under HEADERS bytes. */
uint64_t rvcidx_index_predict_bytes(const rvcidx_index_params *p, int dim, int64_t nlist, uint64_t rows) {
    enum { HEADERS = 4096 };
    uint64_t n = rows, d = (uint64_t)dim, lists = (uint64_t)nlist;
    uint64_t fixed = HEADERS + lists * d * 4 + lists * 16;
    if (p->type == RVCIDX_INDEX_IVFFLAT) return fixed + n * (d * 4 + 8);
    uint64_t m2 = (d / 2 + 1) / 2 * 2, padded = n + 31 * (lists < n ? lists : n);
    uint64_t base = fixed + 64 * d + n * 8 + padded * m2 / 2;
    uint64_t per_row = p->refine == RVCIDX_REFINE_FP16 ? 2 : p->refine == RVCIDX_REFINE_SQ8 ? 1 : 4;
    return base + n * d * per_row + (p->refine == RVCIDX_REFINE_SQ8 ? 8 * d : 0);
}

const char *rvcidx__metric_name(rvcidx_metric m) {
    return m == RVCIDX_METRIC_IP ? "ip" : m == RVCIDX_METRIC_COSINE ? "cosine" : "l2";
}

int rvcidx__index_plan_make(const rvcidx_index_params *p, const rvcidx_store *store, const char *store_path,
                            rvcidx__index_plan *plan) {
    memset(plan, 0, sizeof *plan);
    uint64_t total = rvcidx_store_rows(store);
    plan->dim = rvcidx_store_dim(store);
    plan->first_row = p->first_row;
    if (p->first_row > total)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: row range starts at %llu but the store has %llu rows", store_path,
                            (unsigned long long)p->first_row, (unsigned long long)total);
    plan->rows = p->rows ? p->rows : total - p->first_row;
    if (plan->rows > total - p->first_row)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: row range ends past the store's %llu rows", store_path,
                            (unsigned long long)total);
    if (plan->rows == 0) return rvcidx__fail(RVCIDX_EINPUT, "%s: no rows to index", store_path);
    /* 4-bit PQ trains 16 codes per sub-vector: faiss refuses fewer rows, in its own words */
    uint64_t min_rows = p->type == RVCIDX_INDEX_IVFFLAT ? 1 : 16;
    if (plan->rows < min_rows)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %llu rows (frames) to index, but an IVF-PQ4 index needs at least %llu "
                            "to train its codes; add more audio (about a second is 50 frames) or use `index=ivfflat`",
                            store_path, (unsigned long long)plan->rows, (unsigned long long)min_rows);
    plan->nlist = p->nlist > 0 ? p->nlist : rvcidx_auto_nlist(plan->rows);
    if ((uint64_t)plan->nlist > plan->rows)
        return rvcidx__fail(RVCIDX_EINVAL, "`nlist=%lld` is more than the %llu rows to index; use at most rows/39",
                            (long long)plan->nlist, (unsigned long long)plan->rows);
    plan->train_rows = rvcidx__train_rows(p, plan->nlist, plan->rows);
    if (plan->train_rows < (uint64_t)plan->nlist)
        return rvcidx__fail(RVCIDX_EINVAL, "`train_rows=%llu` is fewer than nlist %lld", (unsigned long long)plan->train_rows,
                            (long long)plan->nlist);
    if (plan->train_rows < (uint64_t)plan->nlist * 39)
        rvcidx__log(RVCIDX_LOG_WARN, "train: %llu rows for %lld centroids is under faiss's 39 per centroid; "
                    "centroids may be poor (lower `nlist`)", (unsigned long long)plan->train_rows, (long long)plan->nlist);
    if (p->type == RVCIDX_INDEX_IVFPQ4FS && plan->dim % 2)
        return rvcidx__fail(RVCIDX_EINVAL, "PQ4 FastScan needs an even dimension, not %d", plan->dim);
    if (p->iterations < 1) return rvcidx__fail(RVCIDX_EINVAL, "`iterations` must be at least 1");
    return 0;
}

uint64_t rvcidx__rows_in_memory_max(void) {
    const char *text = getenv("RVCIDX_ROWS_IN_MEMORY");
    uint64_t bytes = 0;
    if (text && rvcidx__size_parse(text, &bytes) == 0 && bytes > 0) return bytes;
    return (uint64_t)256 << 20;
}

uint64_t rvcidx__refine_row_bytes(const rvcidx_index_params *p, int dim) {
    if (p->type != RVCIDX_INDEX_IVFPQ4FS) return 0;
    uint64_t d = (uint64_t)dim;
    return p->refine == RVCIDX_REFINE_FP16 ? 2 * d : p->refine == RVCIDX_REFINE_SQ8 ? d : 4 * d;
}

int rvcidx__refine_past_limit(const rvcidx_index_params *p, int dim, uint64_t rows) {
    return rows * rvcidx__refine_row_bytes(p, dim) > rvcidx__rows_in_memory_max();
}

int rvcidx__vectors_past_limit(int dim, uint64_t rows) {
    return rows * (uint64_t)dim * sizeof(float) > rvcidx__rows_in_memory_max();
}
