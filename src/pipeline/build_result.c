/* build_result.c — what builds return: a whole build's result as JSON (what
 * bindings, the Python package, hand their callers, so they need no struct
 * layouts), and releasing one index's result. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#include "eval/eval_internal.h"
#include "rvcidx/build.h"

static json_t *chosen_json(const rvcidx_eval_report *e) {
    if (!e || e->n_points == 0) return json_null();
    const rvcidx_eval_point *c = &e->points[e->chosen >= 0 ? e->chosen : 0];
    json_t *o = json_pack("{s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:s, s:b}", "k", e->k, "nprobe", c->nprobe,
                          "recall_1", c->recall_1, "recall_k", c->recall_k, "empty_share", c->empty_share,
                          "blend_error_mean", c->blend_error_mean, "blend_error_p95", c->blend_error_p95,
                          "qps_1_thread", c->qps_1thread, "queries", (json_int_t)e->queries, "queries_desc",
                          e->queries_desc, "reached_target", e->chosen >= 0);
    if (o && c->block_ms_p50 > 0) {
        json_object_set_new(o, "block_ms_p50", json_real(c->block_ms_p50));
        json_object_set_new(o, "block_ms_p99", json_real(c->block_ms_p99));
    }
    return o;
}

static json_t *index_json(const rvcidx_built_index *b) {
    const rvcidx_index_result *r = &b->result;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:i, s:f, s:f, s:f, s:s, s:o}", "name", b->name, "dir",
                     b->dir, "index_path", r->index_path, "centroids_path", r->centroids_path, "factory",
                     r->encode.factory, "ntotal", (json_int_t)r->encode.ntotal, "dim", r->encode.dim, "nprobe",
                     r->nprobe, "k_factor", r->k_factor, "train_seconds", r->train_seconds, "encode_seconds",
                     r->encode_seconds, "eval_seconds", r->eval_seconds, "train_device", r->train.device, "recall",
                     chosen_json(r->eval));
    if (o && r->reduce.applied) json_object_set_new(o, "reduction", rvcidx__reduce_json(&r->reduce, 1));
    return o;
}

int rvcidx_build_result_json(const rvcidx_build_result *r, char **json) {
    if (!r || !json) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_build_result_json: NULL argument");
    json_t *indexes = json_array();
    for (size_t i = 0; indexes && i < r->n_indexes; i++) json_array_append_new(indexes, index_json(&r->indexes[i]));
    json_t *o = json_pack("{s:b, s:s, s:f, s:f, s:o}", "unchanged", r->unchanged, "manifest_path", r->manifest_path,
                          "ingest_seconds", r->ingest_seconds, "seconds", r->seconds, "indexes", indexes);
    *json = o ? json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(1)) : NULL;
    json_decref(o);
    return *json ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
}

rvcidx_build_result *rvcidx_build_result_create(void) { return calloc(1, sizeof(rvcidx_build_result)); }

void rvcidx_build_result_free(rvcidx_build_result *r) {
    rvcidx_build_result_clear(r);
    free(r);
}

void rvcidx_free(void *p) { free(p); }

void rvcidx_index_result_clear(rvcidx_index_result *r) {
    if (!r) return;
    rvcidx_eval_report_free(r->eval);
    memset(r, 0, sizeof *r);
}

void rvcidx_build_result_clear(rvcidx_build_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_indexes; i++) rvcidx_index_result_clear(&r->indexes[i].result);
    free(r->indexes);
    memset(r, 0, sizeof *r);
}
