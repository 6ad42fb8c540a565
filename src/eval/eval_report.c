/* eval_report.c — the eval report as JSON (jansson), written atomically. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "eval/eval_internal.h"
#include "rvcidx/eval.h"
#include "rvcidx/version.h"

static json_t *point_json(const rvcidx_eval_point *p, int with_speed) {
    json_t *o = json_pack("{s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:b}", "nprobe", p->nprobe, "k_factor",
                          p->k_factor, "recall_1", p->recall_1, "recall_k", p->recall_k, "empty_share",
                          p->empty_share, "blend_error_mean", p->blend_error_mean, "blend_error_p95",
                          p->blend_error_p95, "cost_estimate", p->cost, "reaches_target", p->reaches_target);
    if (o) json_object_set_new(o, "recall_k_bound", json_real(p->recall_k_bound));
    if (o && with_speed) {
        json_object_set_new(o, "qps_1_thread", json_real(p->qps_1thread));
        json_object_set_new(o, "qps_all_threads", json_real(p->qps_all));
    }
    if (o && with_speed && p->block_ms_p50 > 0) {
        json_object_set_new(o, "block_ms_p50_1_thread", json_real(p->block_ms_p50));
        json_object_set_new(o, "block_ms_p99_1_thread", json_real(p->block_ms_p99));
    }
    if (o && with_speed && p->app_block_ms_p50 > 0) {
        json_object_set_new(o, "block_ms_p50_app_threads", json_real(p->app_block_ms_p50));
        json_object_set_new(o, "block_ms_p99_app_threads", json_real(p->app_block_ms_p99));
    }
    return o;
}

/* What the index was tuned for: only when an app was named, so reports of
 * builds without --for keep their bytes. The threads the app searches on
 * can be every core of this machine: timings only. */
static void add_app(json_t *o, const rvcidx_eval_report *r, int with_speed) {
    if (!r->app[0]) return;
    json_t *app = json_pack("{s:s, s:i, s:i}", "name", r->app, "forced_nprobe", r->fixed_nprobe, "block_frames",
                            r->block_frames);
    if (app && with_speed) json_object_set_new(app, "search_threads", json_integer(r->search_threads));
    json_object_set_new(o, "app", app);
}

/* The refine storage, the file's size and an app's memory; with
 * max_index_size, every candidate considered. */
static void add_refine(json_t *o, const rvcidx_eval_report *r) {
    if (!r->refine[0]) return;
    json_t *size = json_pack("{s:s, s:I, s:I}", "refine", r->refine, "index_bytes", (json_int_t)r->index_bytes,
                             "app_memory_bytes", (json_int_t)r->app_memory_bytes);
    if (size && r->max_index_size && r->n_candidates) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < r->n_candidates; i++) {
            const rvcidx_refine_candidate *c = &r->candidates[i];
            json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:b, s:b}", "refine", rvcidx_refine_name(c->refine),
                                                 "predicted_bytes", (json_int_t)c->predicted_bytes, "file_bytes",
                                                 (json_int_t)c->file_bytes, "built", c->built, "fits", c->fits));
        }
        json_object_set_new(size, "max_index_size", json_integer((json_int_t)r->max_index_size));
        json_object_set_new(size, "candidates", arr ? arr : json_null());
    }
    json_object_set_new(o, "storage", size ? size : json_null());
}

/* `index=auto`: every index considered, the figures it was judged on. */
static void add_auto(json_t *o, const rvcidx_eval_report *r, int with_speed) {
    if (!r->n_auto_candidates) return;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < r->n_auto_candidates; i++) {
        const rvcidx_auto_candidate *c = &r->auto_candidates[i];
        json_t *row = json_pack("{s:s, s:b, s:b, s:b, s:b, s:I, s:I}", "factory", c->factory, "built", c->built,
                                "reaches_target", c->reaches_target, "fits", c->fits, "chosen", c->chosen,
                                "file_bytes", (json_int_t)c->file_bytes, "app_memory_bytes",
                                (json_int_t)c->app_memory_bytes);
        if (row && !c->built)
            json_object_set_new(row, "not_built_because", json_string(c->over_memory ? "memory" : "max_index_size"));
        if (row && c->built) {
            json_object_set_new(row, "nprobe", json_integer(c->nprobe));
            json_object_set_new(row, "k_factor", json_integer(c->k_factor));
            json_object_set_new(row, "recall_k", json_real(c->recall_k));
            json_object_set_new(row, "blend_error_mean", json_real(c->blend_error_mean));
            json_object_set_new(row, "blend_error_p95", json_real(c->blend_error_p95));
            json_object_set_new(row, "cost_estimate", json_real(c->cost));
        }
        if (row && c->built && with_speed && c->block_ms_p99 > 0) {
            json_object_set_new(row, "block_ms_p50", json_real(c->block_ms_p50));
            json_object_set_new(row, "block_ms_p99", json_real(c->block_ms_p99));
        }
        json_array_append_new(arr, row);
    }
    json_t *a = json_pack("{s:s, s:o}", "rule", r->auto_rule, "candidates", arr ? arr : json_null());
    if (a && r->max_index_size) json_object_set_new(a, "max_index_size", json_integer((json_int_t)r->max_index_size));
    json_object_set_new(o, "index_auto", a ? a : json_null());
}

/* What `reduce=auto` measured: [{method, measured, mean, p95}, ...]. */
json_t *rvcidx__reduce_trials_json(const rvcidx_reduce_result *r) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_trials; i++) {
        const rvcidx_reduce_trial *t = &r->trials[i];
        json_array_append_new(a, json_pack("{s:s, s:b, s:f, s:f}", "method", rvcidx_reduce_method_name(t->method),
                                           "measured", t->measured, "blend_error_mean", t->blend_error_mean,
                                           "blend_error_p95", t->blend_error_p95));
    }
    return a;
}

json_t *rvcidx__reduce_json(const rvcidx_reduce_result *r, int with_speed) {
    if (!r->applied) return NULL;
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I}", "method", rvcidx_reduce_method_name(r->method),
                          "budget", (json_int_t)r->budget, "input_vectors", (json_int_t)r->input_rows, "kept",
                          (json_int_t)r->kept, "seed", (json_int_t)r->seed);
    if (!o) return NULL;
    json_object_set_new(o, "requested", json_string(rvcidx_reduce_method_name(r->requested)));
    if (r->n_trials) json_object_set_new(o, "auto_trials", rvcidx__reduce_trials_json(r));
    json_object_set_new(o, "blend_error_vs_all",
                        r->measured ? json_pack("{s:f, s:f, s:I, s:s}", "mean", r->blend_error_mean, "p95",
                                                r->blend_error_p95, "queries", (json_int_t)r->queries, "measured_on",
                                                r->measured_on)
                                    : json_null());
    if (with_speed) json_object_set_new(o, "seconds", json_real(r->seconds));
    return o;
}

/* How the bound the target is judged by was taken, over which groups, and
 * each group's recall at the chosen setting. */
static json_t *bound_json(const rvcidx_eval_report *r) {
    json_t *groups = json_array();
    for (int g = 0; groups && g < r->groups; g++) {
        json_t *one = json_pack("{s:I}", "queries", (json_int_t)r->group_queries[g]);
        if (r->group_names[g][0]) json_object_set_new(one, "speaker", json_string(r->group_names[g]));
        if (r->chosen >= 0) json_object_set_new(one, "recall_k", json_real(r->points[r->chosen].recall_k_groups[g]));
        json_array_append_new(groups, one);
    }
    return json_pack("{s:s, s:f, s:o, s:b}", "method", r->bound_method, "confidence", 0.95, "groups", groups,
                     "no_margin", r->no_margin);
}

static json_t *report_json(const rvcidx_eval_report *r, int with_speed) {
    json_t *points = json_array();
    for (size_t i = 0; points && i < r->n_points; i++) json_array_append_new(points, point_json(&r->points[i], with_speed));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:s, s:f, s:o}", "format", "rvcidx-eval",
                          "rvcidx_version", rvcidx_version(), "factory", r->factory, "metric", r->metric, "dim",
                          r->dim, "k", r->k, "nlist", (json_int_t)r->nlist, "ntotal", (json_int_t)r->ntotal,
                          "queries", (json_int_t)r->queries, "queries_from",
                          r->queries_desc,
                          "target_recall_k", r->target_recall, "settings", points);
    if (!o) return NULL;
    json_object_set_new(o, "recall_ties", json_string(RVCIDX_EVAL_TIE_RULE));
    json_object_set_new(o, "recall_bound", bound_json(r));
    add_app(o, r, with_speed);
    if (r->max_block_ms > 0) /* the choice was timed: the setting, not only the speeds, belongs to this machine */
        json_object_set_new(o, "time_budget", json_pack("{s:f, s:i, s:i, s:s}", "max_block_ms_p99", r->max_block_ms,
                                                        "block_frames", r->block_frames, "search_threads",
                                                        r->search_threads, "choice",
                                                        rvcidx__eval_budget_choice(r->budget_cheapest)));
    add_refine(o, r);
    add_auto(o, r, with_speed);
    if (r->reduce.applied) json_object_set_new(o, "reduction", rvcidx__reduce_json(&r->reduce, with_speed));
    json_object_set_new(o, "stored_setting", point_json(&r->points[r->stored], with_speed));
    json_object_set_new(o, "chosen_setting", r->chosen >= 0 ? point_json(&r->points[r->chosen], with_speed) : json_null());
    if (with_speed) {
        json_object_set_new(o, "threads_all", json_integer(r->threads_all));
        json_object_set_new(o, "ground_truth_device", json_string(r->truth_device));
    }
    return o;
}

int rvcidx_eval_report_write_json(const rvcidx_eval_report *r, const char *path, int with_speed) {
    if (!r || !path) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_eval_report_write_json: NULL argument");
    json_t *o = report_json(r, with_speed);
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(o);
    if (!text) return rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory rendering the report", path);
    int rc = rvcidx__write_text_file(path, text, 1);
    free(text);
    return rc;
}
