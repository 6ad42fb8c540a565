/* manifest.c — writes OUTDIR/manifest.json and reads its request back.
 *
 * JSON through jansson with sorted keys, so equal content is equal text.
 * Inputs come from the store's /sources table (paths relative to their
 * model directory: the same data elsewhere gives the same manifest).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/hash.h"
#include "base/internal.h"
#include "eval/eval_internal.h"
#include "outdir/manifest.h"
#include "rvcidx/store.h"
#include "rvcidx/version.h"
#include "ingest/stat_cache.h"
#include "rvcidx/outdir.h"

/* Sets o[key] to text; text that is not UTF-8 (JSON cannot hold it) goes in
 * escaped reversibly (rvcidx__utf8_escape) and key joins o["escaped"]. */
static int set_text(json_t *o, const char *key, const char *text) {
    if (rvcidx__utf8_valid(text)) return json_object_set_new(o, key, json_string(text));
    char *esc = rvcidx__utf8_escape(text);
    json_t *list = json_object_get(o, "escaped");
    if (!list && json_object_set_new(o, "escaped", list = json_array()) != 0) list = NULL;
    int rc = esc && list ? json_object_set_new(o, key, json_string(esc)) | json_array_append_new(list, json_string(key)) : -1;
    free(esc);
    return rc;
}

/* Every source of the store, each one listed: a name that is not UTF-8 (a
 * store written by another program) is escaped, never left out. */
static json_t *inputs_json(const char *store_path) {
    rvcidx_store *st = NULL;
    if (rvcidx_store_open(store_path, &st) != 0) return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < rvcidx_store_source_count(st); i++) {
        rvcidx_store_source s;
        rvcidx_store_get_source(st, i, &s);
        json_t *o = json_pack("{s:I}", "rows", (json_int_t)s.rows);
        int bad = !o || set_text(o, "speaker", s.speaker) || set_text(o, "path", s.path) ||
                  set_text(o, "sha256", s.sha256) || set_text(o, "status", s.status);
        if (bad) json_decref(o);
        else bad = json_array_append_new(arr, o) != 0; /* takes o, also on failure */
        if (bad) {
            json_decref(arr), arr = NULL;
            rvcidx__fail(RVCIDX_ENOMEM, "%s: source %zu: cannot be written to the manifest", store_path, i);
        }
    }
    rvcidx_store_close(st);
    return arr;
}

static json_t *parameters_json(const rvcidx__manifest_spec *m) {
    const rvcidx_index_params *p = m->index;
    rvcidx_run defaults = rvcidx_run_default();
    const rvcidx_run *run = m->run ? m->run : &defaults;
    json_t *o = json_pack("{s:i, s:b, s:s, s:s, s:I, s:I, s:i, s:I, s:s, s:i, s:i, s:b}", "dim", m->ingest->dim,
                          "skip_bad", m->ingest->skip_bad, "index",
                          p->type == RVCIDX_INDEX_IVFFLAT ? "ivfflat" : p->type == RVCIDX_INDEX_AUTO ? "auto"
                          : p->residual ? "ivfpq4fsr" : "ivfpq4fs", "metric",
                          p->metric == RVCIDX_METRIC_IP ? "ip" : p->metric == RVCIDX_METRIC_COSINE ? "cosine" : "l2",
                          "nlist", (json_int_t)p->nlist, "seed", (json_int_t)p->seed, "iterations", p->iterations,
                          "train_rows", (json_int_t)p->train_rows, "gpu",
                          run->gpu == RVCIDX_GPU_ON ? "on" : run->gpu == RVCIDX_GPU_OFF ? "off" : "auto", "nprobe",
                          p->nprobe, "k_factor", p->k_factor, "per_speaker", m->per_speaker);
    if (o && m->eval)
        json_object_set_new(o, "eval", json_pack("{s:i, s:I, s:I, s:f, s:b, s:s?, s:s}", "k", m->eval->k, "queries",
                                                 (json_int_t)m->eval->queries, "seed", (json_int_t)m->eval->seed,
                                                 "target_recall", m->eval->target_recall, "tune", m->eval->tune,
                                                 "queries_store", m->eval->queries_store, "queries_from",
                                                 m->eval->queries_from == RVCIDX_QUERIES_SELF    ? "self"
                                                 : m->eval->queries_from == RVCIDX_QUERIES_OTHER ? "other-speakers"
                                                                                                 : "auto"));
    /* absent at their defaults: older manifests stay current */
    if (o && p->refine != RVCIDX_REFINE_FLAT) json_object_set_new(o, "refine", json_string(rvcidx_refine_name(p->refine)));
    if (o && p->max_index_size) json_object_set_new(o, "max_index_size", json_integer((json_int_t)p->max_index_size));
    const rvcidx_reduce_params *rp = m->reduce;
    if (o && rp && (rp->max_vectors || rp->max_app_memory)) { /* absent without a budget: older manifests stay current */
        json_object_set_new(o, "max_vectors", json_integer((json_int_t)rp->max_vectors));
        json_object_set_new(o, "max_app_memory", json_integer((json_int_t)rp->max_app_memory));
        json_object_set_new(o, "reduce", json_string(rvcidx_reduce_method_name(rp->method)));
    }
    const rvcidx_app_profile *app = m->eval ? rvcidx_app_profile_get(m->eval->app) : NULL;
    if (o && app) json_object_set_new(o, "for", json_string(app->name)); /* absent without --for: older manifests stay current */
    json_t *e = o ? json_object_get(o, "eval") : NULL;
    rvcidx_eval_params budget = m->eval ? rvcidx__eval_params_resolved(m->eval) : rvcidx_eval_default_params();
    if (e && budget.max_block_ms > 0) /* absent without a budget, for the same reason */
        json_object_set_new(e, "time_budget", json_pack("{s:f, s:i, s:i, s:s}", "max_block_ms_p99", budget.max_block_ms,
                                                        "block_frames", budget.block_frames, "search_threads",
                                                        budget.search_threads, "choice",
                                                        rvcidx__eval_budget_choice(budget.budget_cheapest)));
    return o;
}

/* "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Haswell ..." -> "OpenBLAS 0.3.21":
 * the kernel OpenBLAS picks names the host's CPU, which differs between the
 * nodes of a cluster; the request must not (run.json keeps the whole line). */
static void blas_name_version(const char *blas, char *out, size_t n) {
    size_t len = strcspn(blas, " ");
    if (blas[len] == ' ') len += 1 + strcspn(blas + len + 1, " ");
    snprintf(out, n, "%.*s", (int)len, blas);
}

static json_t *versions_json(void) {
    rvcidx_runtime_versions v;
    if (rvcidx_get_runtime_versions(&v) != 0) return NULL;
    char blas[128];
    blas_name_version(v.blas, blas, sizeof blas);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "rvcidx", rvcidx_version(), "faiss", v.faiss, "faiss_simd",
                     v.faiss_simd, "hdf5", v.hdf5, "blas", blas);
}

static json_t *request_json(const rvcidx__manifest_spec *m) {
    json_t *in = inputs_json(m->store_path), *params = parameters_json(m), *ver = versions_json();
    if (!in || !params || !ver) {
        json_decref(in), json_decref(params), json_decref(ver);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:o}", "inputs", in, "parameters", params, "versions", ver);
}

int rvcidx__manifest_request(const rvcidx__manifest_spec *m, char **out) {
    json_t *r = request_json(m);
    *out = r ? json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(r);
    return *out ? 0 : rvcidx__fail(RVCIDX_EINPUT, "%s: cannot describe the build's inputs: %s", m->store_path, rvcidx_last_error());
}

/* ---- outputs --------------------------------------------------------------- */

/* What rvcidx wrote and a reader needs: the store, and per index its file, its
 * centroids and its report. Named from the build, never by listing OUTDIR:
 * OUTDIR may be an RVC model folder whose other files are not rvcidx's. */
static int add_output(json_t *rels, const char *outdir, const char *path, int optional) {
    size_t root = strlen(outdir);
    if (strncmp(path, outdir, root) != 0 || path[root] != '/')
        return rvcidx__fail(RVCIDX_EINVAL, "%s: an output outside %s", path, outdir);
    struct stat st;
    if (optional && lstat(path, &st) != 0) return 0;
    for (size_t i = 0; i < json_array_size(rels); i++)
        if (!strcmp(json_string_value(json_array_get(rels, i)), path + root + 1)) return 0;
    return json_array_append_new(rels, json_string(path + root + 1)) == 0 ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
}

static int output_paths(const rvcidx__manifest_spec *m, json_t *rels) {
    RVCIDX__TRY(add_output(rels, m->outdir, m->store_path, 0));
    char report[PATH_MAX + 16], dir[PATH_MAX];
    for (size_t i = 0; i < m->n_indexes; i++) {
        const rvcidx_index_result *r = &m->indexes[i].result;
        snprintf(dir, sizeof dir, "%s", r->index_path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0';
        snprintf(report, sizeof report, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_REPORT_JSON));
        RVCIDX__TRY(add_output(rels, m->outdir, r->index_path, 0));
        RVCIDX__TRY(add_output(rels, m->outdir, r->centroids_path, 1));
        RVCIDX__TRY(add_output(rels, m->outdir, report, 1));
    }
    return 0;
}

static int compare_json_strings(const void *a, const void *b) {
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The hash publishing took of an index (a GiB-sized file is read once), or NULL. */
static const char *published_sha(const rvcidx__manifest_spec *m, const char *path) {
    for (size_t i = 0; i < m->n_indexes; i++)
        if (m->indexes[i].result.index_sha256[0] && !strcmp(m->indexes[i].result.index_path, path))
            return m->indexes[i].result.index_sha256;
    return NULL;
}

static json_t *output_entry(const rvcidx__manifest_spec *m, const char *rel) {
    char path[PATH_MAX], sha[65];
    snprintf(path, sizeof path, "%s/%s", m->outdir, rel);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        rvcidx__fail(RVCIDX_EIO, "%s: missing or not a regular file", path);
        return NULL;
    }
    const char *known = published_sha(m, path);
    if (known) memcpy(sha, known, sizeof sha);
    else if (rvcidx__sha256_own_file(path, sha) != 0) return NULL;
    return json_pack("{s:s, s:I, s:s}", "path", rel, "size", (json_int_t)st.st_size, "sha256", sha);
}

static json_t *outputs_json(const rvcidx__manifest_spec *m) {
    json_t *rels = json_array();
    if (!rels || output_paths(m, rels) != 0) {
        json_decref(rels);
        return NULL;
    }
    size_t n = json_array_size(rels);
    json_t **items = malloc(sizeof *items * (n ? n : 1));
    for (size_t i = 0; items && i < n; i++) items[i] = json_array_get(rels, i);
    if (items) qsort(items, n, sizeof *items, compare_json_strings);
    json_t *out = items ? json_array() : NULL;
    for (size_t i = 0; out && i < n; i++) {
        json_t *e = output_entry(m, json_string_value(items[i]));
        if (!e) json_decref(out), out = NULL;
        else json_array_append_new(out, e);
    }
    free(items);
    json_decref(rels);
    return out;
}

static json_t *point_json(const rvcidx_eval_point *p) {
    return json_pack("{s:i, s:i, s:f, s:f, s:f, s:f, s:f}", "nprobe", p->nprobe, "k_factor", p->k_factor, "recall_1",
                     p->recall_1, "recall_k", p->recall_k, "empty_share", p->empty_share, "blend_error_mean",
                     p->blend_error_mean, "blend_error_p95", p->blend_error_p95);
}

static json_t *indexes_json(const rvcidx__manifest_spec *m) {
    json_t *arr = json_array();
    size_t root = strlen(m->outdir) + 1;
    for (size_t i = 0; arr && i < m->n_indexes; i++) {
        const rvcidx_index_result *r = &m->indexes[i].result;
        json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:i, s:i, s:s, s:s, s:I}", "name", m->indexes[i].name,
                              "path", r->index_path + root, "factory", r->encode.factory, "dim", r->encode.dim, "ntotal",
                              (json_int_t)r->encode.ntotal, "nlist", (json_int_t)r->encode.nlist, "nprobe", r->nprobe,
                              "k_factor", r->k_factor, "train_device", strncmp(r->train.device, "cuda", 4) ? "cpu" : "cuda",
                              "sample_sha256", r->train.sample_sha256, "train_rows", (json_int_t)r->train.train_rows);
        if (o && r->eval && r->eval->refine[0]) {
            json_object_set_new(o, "refine", json_string(r->eval->refine));
            json_object_set_new(o, "index_bytes", json_integer((json_int_t)r->eval->index_bytes));
            json_object_set_new(o, "app_memory_bytes", json_integer((json_int_t)r->eval->app_memory_bytes));
        }
        if (o && r->eval) {
            const rvcidx_eval_report *e = r->eval;
            json_object_set_new(o, "recall", point_json(&e->points[e->chosen >= 0 ? e->chosen : e->stored]));
            json_object_set_new(o, "recall_queries", json_integer((json_int_t)e->queries));
        }
        if (o && r->reduce.applied) json_object_set_new(o, "reduction", rvcidx__reduce_json(&r->reduce, 0));
        json_array_append_new(arr, o);
    }
    return arr;
}

int rvcidx__manifest_write(const rvcidx__manifest_spec *m) {
    if (!m || !m->outdir || !m->store_path) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx__manifest_write: NULL argument");
    json_t *req = request_json(m), *outs = req ? outputs_json(m) : NULL, *idx = outs ? indexes_json(m) : NULL;
    if (!req || !outs || !idx) {
        json_decref(req), json_decref(outs), json_decref(idx);
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot assemble the manifest: %s", m->outdir, rvcidx_last_error());
    }
    json_t *doc = json_pack("{s:s, s:i, s:o, s:o, s:o}", "format", "rvcidx-manifest", "format_version", 1, "request",
                            req, "outputs", outs, "indexes", idx);
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (doc && epoch && *epoch) json_object_set_new(doc, "source_date_epoch", json_string(epoch));
    char *text = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(doc);
    if (!text) return rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory writing the manifest", m->outdir);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", m->outdir, rvcidx_output_name(RVCIDX_OUT_MANIFEST));
    int rc = rvcidx__write_text_file(path, text, 1);
    free(text);
    return rc;
}

int rvcidx__manifest_read_request(const char *outdir, char **out) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", outdir, rvcidx_output_name(RVCIDX_OUT_MANIFEST));
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    json_error_t err;
    json_t *doc = rvcidx__json_load_own(path, &err);
    json_t *req = doc ? json_object_get(doc, "request") : NULL;
    if (!req) {
        json_decref(doc);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: unreadable manifest (%s); remove it to rebuild", path, doc ? "no request" : err.text);
    }
    *out = json_dumps(req, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(doc);
    return 0;
}

int rvcidx__manifest_is_current_as(const rvcidx__manifest_spec *m, rvcidx_verify_mode verify_mode, int *current) {
    if (!m || !current) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx__manifest_is_current: NULL argument");
    *current = 0;
    char *stored = NULL, *now = NULL;
    RVCIDX__TRY(rvcidx__manifest_read_request(m->outdir, &stored));
    int rc = stored ? rvcidx__manifest_request(m, &now) : 0;
    size_t missing = 0;
    if (rc == 0 && stored && !strcmp(stored, now) && rvcidx_verify(m->outdir, verify_mode, &missing, NULL) == 0)
        *current = missing == 0;
    free(stored);
    free(now);
    return rc;
}

int rvcidx__manifest_is_current(const rvcidx__manifest_spec *m, int *current) {
    return rvcidx__manifest_is_current_as(m, RVCIDX_VERIFY_SIZES, current);
}

int rvcidx__build_is_current(const rvcidx__manifest_spec *m, const char *const *srcs, int n_srcs, int *current) {
    if (!m || (!srcs && !(m->ingest && m->ingest->n_frames)) || !current)
        return rvcidx__fail(RVCIDX_EINVAL, "rvcidx__build_is_current: NULL argument");
    *current = 0;
    /* frames in memory have no size and mtime to trust: ingest hashes them */
    if (m->ingest && m->ingest->n_frames) return 0;
    if (access(m->store_path, R_OK) != 0) return 0;
    int unchanged = 0;
    RVCIDX__TRY(rvcidx__stat_cache_unchanged(m->store_path, srcs, n_srcs, m->ingest->dim, &unchanged));
    return unchanged ? rvcidx__manifest_is_current(m, current) : 0;
}
