/* eval_outputs.c — the eval report for people and files: the table of
 * settings, the per-block search times, report.md, and the set of report
 * files a build leaves beside each index (report.json, timings.json,
 * report.md; report.svg through the caller's plotter). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "eval/eval_choice.h"
#include "rvcidx/app.h"
#include "rvcidx/eval.h"
#include "rvcidx/outdir.h"

static void print_point(const rvcidx_eval_report *r, size_t i, FILE *out) {
    const rvcidx_eval_point *p = &r->points[i];
    const char *mark = (int)i == r->chosen ? "chosen" : (int)i == r->stored ? "stored" : "";
    char all[32] = "-";
    if (p->qps_all > 0) snprintf(all, sizeof all, "%.0f", p->qps_all);
    fprintf(out, "| %6d | %8d | %8.4f | %8.4f | %6.4f | %9.4f | %8.4f | %9.0f | %9s | %-6s |\n", p->nprobe,
            p->k_factor, p->recall_1, p->recall_k, p->empty_share, p->blend_error_mean, p->blend_error_p95,
            p->qps_1thread, all, mark);
}

void rvcidx_eval_report_format_table(const rvcidx_eval_report *r, int all, FILE *out) {
    fprintf(out, "| nprobe | k_factor | recall@1 | recall@%d | empty | blend err | blend p95 | q/s 1 thr | q/s %2d thr | |\n"
                 "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
            r->k, r->threads_all);
    for (size_t i = 0; i < r->n_points; i++)
        if (all || (int)i == r->chosen || (int)i == r->stored) print_point(r, i, out);
}

/* RVC realtime's default block is 0.25 s: the share of it one search takes
 * is what a realtime user watches (w-okada's "index ratio"). */
#define REALTIME_BLOCK_MS 250.0

void rvcidx_eval_report_format_block_times(const rvcidx_eval_report *r, const rvcidx_eval_point *p, const char *lead,
                                           FILE *out) {
    if (r->block_frames <= 0 || p->block_ms_p50 <= 0) return;
    fprintf(out, "%s%d frames a search (%s's block): p50 %.2f ms, p99 %.2f ms on 1 thread", lead, r->block_frames,
            r->app[0] ? r->app : "realtime", p->block_ms_p50, p->block_ms_p99);
    rvcidx_app app = RVCIDX_APP_NONE;
    const rvcidx_app_profile *prof = r->app[0] && rvcidx_app_from_name(r->app, &app) == 0 ? rvcidx_app_profile_get(app) : NULL;
    const char *why = prof && prof->threads > 0 ? " (BLAS 1), as the app sets" : prof ? ", as the app leaves faiss" : "";
    if (p->app_block_ms_p50 > 0 && r->max_block_ms > 0 && !r->budget_cheapest && (!prof || r->search_threads != prof->threads))
        why = ", the time budget's"; /* --search-threads, or the budget's default of one */
    if (p->app_block_ms_p50 > 0)
        fprintf(out, "; p50 %.2f ms, p99 %.2f ms on %d thread%s%s", p->app_block_ms_p50, p->app_block_ms_p99,
                r->search_threads, r->search_threads == 1 ? "" : "s", why);
    if (r->max_block_ms > 0 && p->app_block_ms_p99 > 0)
        fprintf(out, r->budget_cheapest ? " (the app's limit: %.3g ms)" : " (budget %.3g ms)", r->max_block_ms);
    fprintf(out, ": at most %.1f%% of a 0.25 s block (p99)\n", 100.0 * rvcidx__eval_block_p99(p) / REALTIME_BLOCK_MS);
}

static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }

/* `index=auto`: the comparison the shipped index won. */
static void write_auto_table(const rvcidx_eval_report *r, FILE *f) {
    if (!r->n_auto_candidates) return;
    fprintf(f, "**Index chosen by measurement** (`--index auto`): each built from the same centroids and tuned on the "
            "same queries; rule: %s.", r->auto_rule);
    if (r->max_index_size) fprintf(f, " Size budget %.1f MiB (unbuilt rows: predicted size).", mib(r->max_index_size));
    fprintf(f, "\n\n| index | recall@%d | blend err | blend p95 | nprobe | k_factor | p50 ms/block | p99 ms/block | "
            "file MiB | app MiB | |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n", r->k);
    for (size_t i = 0; i < r->n_auto_candidates; i++) {
        const rvcidx_auto_candidate *c = &r->auto_candidates[i];
        const char *lost = r->max_block_ms > 0 ? "lower recall" : c->block_ms_p99 > 0 ? "slower" : "costlier (cost model)";
        const char *verdict = c->chosen ? "**shipped**" : !c->built && c->over_memory ? "not built: holds every vector in memory"
                              : !c->built ? "not built: over the size budget"
                              : !c->reaches_target ? "misses the target" : !c->fits ? "over the size budget" : lost;
        if (!c->built) {
            fprintf(f, "| %s | - | - | - | - | - | - | - | %.1f | %.1f | %s |\n", c->factory, mib(c->file_bytes),
                    mib(c->app_memory_bytes), verdict);
            continue;
        }
        char p50[32] = "-", p99[32] = "-";
        if (c->block_ms_p99 > 0) {
            snprintf(p50, sizeof p50, "%.3f", c->block_ms_p50);
            snprintf(p99, sizeof p99, "%.3f", c->block_ms_p99);
        }
        fprintf(f, "| %s | %.4f | %.4f | %.4f | %d | %d | %s | %s | %.1f | %.1f | %s |\n", c->factory, c->recall_k,
                c->blend_error_mean, c->blend_error_p95, c->nprobe, c->k_factor, p50, p99, mib(c->file_bytes),
                mib(c->app_memory_bytes), verdict);
    }
    fprintf(f, "\nA candidate that misses the target shows its best recall; times are this machine's, so another "
            "machine may ship another index. The sweep below is the shipped index's.\n\n");
}

/* report.md: the figures and the plot, readable on any Git host. */

/* What "reaching the target" meant: the bound, over which groups, and each
 * held-out speaker's recall at the chosen setting. */
static void write_bound(const rvcidx_eval_report *r, FILE *f) {
    fprintf(f, "Reaching the target means the lower bound of %d-recall@%d reaches %.2f: %s.", r->k, r->k,
            r->target_recall, r->bound_method);
    if (r->chosen >= 0 && r->groups > 1) {
        fprintf(f, " At the chosen setting:");
        for (int g = 0; g < r->groups; g++)
            fprintf(f, "%s %s %.4f (%llu queries)", g ? "," : "", r->group_names[g],
                    r->points[r->chosen].recall_k_groups[g], (unsigned long long)r->group_queries[g]);
        fprintf(f, "; bound %.4f.", r->points[r->chosen].recall_k_bound);
    }
    if (r->no_margin)
        fprintf(f, " **No margin**: no setting's bound reached the target, so the chosen one reaches it on the mean "
                "only, and a voice unlike the held-out ones may get less.");
    fprintf(f, "\n\n");
}

static int write_markdown(const rvcidx_eval_report *r, const char *md_path, const char *svg_name) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len); /* published atomically below, never through a link */
    if (!f) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    fprintf(f, "# rvcidx recall report\n\n`%s`, %llu vectors of D=%d, metric %s, nlist %lld.\n\n", r->factory,
            (unsigned long long)r->ntotal, r->dim, r->metric, (long long)r->nlist);
    fprintf(f, "%llu queries (%s); ground truth: exact %d-NN over all vectors on %s. Target: %d-recall@%d >= %.2f.\n\n",
            (unsigned long long)r->queries, r->queries_desc, r->k, r->truth_device, r->k, r->k, r->target_recall);
    if (r->reduce.applied) {
        const rvcidx_reduce_result *x = &r->reduce;
        fprintf(f, "**Reduced** (`max_vectors`): %llu of %llu vectors kept (budget %llu, method %s, seed %llu); the "
                "settings below measure the index against its kept vectors. ", (unsigned long long)x->kept,
                (unsigned long long)x->input_rows, (unsigned long long)x->budget,
                rvcidx_reduce_method_name(x->method), (unsigned long long)x->seed);
        if (x->requested == RVCIDX_REDUCE_AUTO) {
            fprintf(f, "`reduce=auto` chose it from");
            for (size_t i = 0; i < x->n_trials; i++) {
                const rvcidx_reduce_trial *t = &x->trials[i];
                fprintf(f, "%s %s", i ? " and" : "", rvcidx_reduce_method_name(t->method));
                if (t->measured) fprintf(f, " (mean %.5f, p95 %.5f)", t->blend_error_mean, t->blend_error_p95);
                else fprintf(f, " (not measured: too few rows)");
            }
            fprintf(f, ": the lower mean blend error against all vectors. ");
        }
        if (x->measured)
            fprintf(f, "The reduction's RVC blend error against exact search over all vectors: mean %.5f, p95 %.5f "
                    "(%s).\n\n", x->blend_error_mean, x->blend_error_p95, x->measured_on);
        else
            fprintf(f, "Its blend error against all vectors was not measured (too few rows).\n\n");
    }
    if (r->app[0]) {
        fprintf(f, "Built for **%s** (`--for %s`): searched with k=%d", r->app, r->app, r->k);
        if (r->fixed_nprobe) fprintf(f, "; the app sets nprobe %d itself, so only that nprobe could be chosen", r->fixed_nprobe);
        if (r->block_frames) fprintf(f, "; timed as the app searches, %d frames a call", r->block_frames);
        fprintf(f, ".\n\n");
    }
    if (r->refine[0] && r->index_bytes) {
        fprintf(f, "Refine storage **%s**: the file is %.1f MiB; an app holds %.1f MiB after loading it (the file plus "
                "the N*D*4 bytes of `reconstruct_n(0, ntotal)`, which every RVC app keeps).\n\n", r->refine,
                mib(r->index_bytes), mib(r->app_memory_bytes));
    }
    write_auto_table(r, f);
    if (r->max_index_size && r->n_candidates) {
        fprintf(f, "`--max-index-size` %.1f MiB: refines in order of preference (predicted sizes are upper bounds "
                "from N, D and nlist; the first predicted to fit was built and its real size checked):\n\n"
                "| refine | predicted MiB | file MiB | fits | |\n|---|---:|---:|---|---|\n", mib(r->max_index_size));
        for (size_t i = 0; i < r->n_candidates; i++) {
            const rvcidx_refine_candidate *c = &r->candidates[i];
            char file[32] = "-";
            if (c->built) snprintf(file, sizeof file, "%.1f", mib(c->file_bytes));
            fprintf(f, "| %s | %.1f | %s | %s | %s |\n", rvcidx_refine_name(c->refine), mib(c->predicted_bytes), file,
                    c->fits ? "yes" : "no", c->built && c->fits ? "shipped (measured below)" : c->built ? "built, too big" : "not built");
        }
        fprintf(f, "\n");
    }
    if (r->chosen >= 0 && r->max_block_ms > 0)
        fprintf(f, "**Chosen and written into the index: nprobe %d, k_factor %d** (%s reaching the target "
                "with no empty slot whose measured p99 per block of %d frames on 1 thread and on %d thread%s fits "
                "%.3g ms%s; timed on this machine, so another machine may choose another setting).\n\n",
                r->points[r->chosen].nprobe, r->points[r->chosen].k_factor,
                r->budget_cheapest ? "cheapest setting by the cost model" : "highest recall", r->block_frames,
                r->search_threads, r->search_threads == 1 ? "" : "s", r->max_block_ms,
                r->budget_cheapest ? ", the app's limit" : "");
    else if (r->chosen >= 0)
        fprintf(f, "**Chosen and written into the index: nprobe %d, k_factor %d** (cheapest setting reaching the target "
                "with no empty slot, by the cost model).\n\n", r->points[r->chosen].nprobe, r->points[r->chosen].k_factor);
    else
        fprintf(f, "**No setting reached the target.**\n\n");
    write_bound(r, f);
    if (r->chosen >= 0 && r->points[r->chosen].block_ms_p50 > 0) {
        rvcidx_eval_report_format_block_times(r, &r->points[r->chosen], "Search time per block, chosen setting: ", f);
        fprintf(f, "\n");
    }
    if (svg_name) fprintf(f, "![recall against queries/s](%s)\n\n", svg_name);
    rvcidx_eval_report_format_table(r, 1, f);
    fprintf(f, "\nBlend error: distance between RVC's 1/d^2-weighted blend of the %d results and the blend of the exact %d, relative to the exact blend's norm.%s\n", r->k, r->k,
            r->refine[0] && strcmp(r->refine, "flat") ? " The results are blended from the vectors the index gives back (reconstruct_n, as apps do: lossy here), the exact ones from the original vectors." : "");
    if (fclose(f) != 0) {
        free(text);
        return rvcidx__fail(RVCIDX_ENOMEM, "%s: cannot format the report", md_path);
    }
    int rc = rvcidx__write_bytes_file(md_path, text, len);
    free(text);
    return rc;
}

int rvcidx_eval_report_write_outputs(const rvcidx_eval_report *r, const char *dir,
                                     int (*plot)(const rvcidx_eval_report *, const char *, void *), void *plot_user) {
    if (!r || !dir) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_eval_report_write_outputs: NULL argument");
    char path[PATH_MAX];
    RVCIDX__TRY(rvcidx__mkdir_p(dir));
    RVCIDX__TRY(rvcidx_outdir_path(dir, RVCIDX_OUT_REPORT_JSON, path, sizeof path));
    RVCIDX__TRY(rvcidx_eval_report_write_json(r, path, 0));
    RVCIDX__TRY(rvcidx_outdir_path(dir, RVCIDX_OUT_TIMINGS, path, sizeof path));
    RVCIDX__TRY(rvcidx_eval_report_write_json(r, path, 1));
    RVCIDX__TRY(rvcidx_outdir_path(dir, RVCIDX_OUT_REPORT_SVG, path, sizeof path));
    int timed = r->points[0].qps_1thread > 0, want_plot = plot && r->n_points > 1 && timed;
    int plotted = want_plot && plot(r, path, plot_user) == 0;
    if (want_plot && !plotted) rvcidx__log(RVCIDX_LOG_WARN, "eval: no plot: gnuplot failed or is missing (apt-get install gnuplot-nox)");
    RVCIDX__TRY(rvcidx_outdir_path(dir, RVCIDX_OUT_REPORT_MD, path, sizeof path));
    if (write_markdown(r, path, plotted ? rvcidx_output_name(RVCIDX_OUT_REPORT_SVG) : NULL) != 0)
        rvcidx__log(RVCIDX_LOG_WARN, "eval: cannot write %s: %s", path, rvcidx_last_error());
    return 0;
}

void rvcidx_eval_missed_target_message(const rvcidx_eval_report *r, char *buf, size_t n) {
    if (r->fixed_nprobe > 0) {
        int64_t nlist = rvcidx_eval_nlist_for_nprobe(r, r->fixed_nprobe);
        char hint[96] = "use fewer lists (`nlist`)";
        if (nlist) snprintf(hint, sizeof hint, "rebuild with `nlist=%lld`", (long long)nlist);
        snprintf(buf, n, "nprobe %d, which %s sets itself, does not reach %d-recall@%d >= %.2f with no empty "
                 "slot at nlist %lld: %s, or lower `target_recall`", r->fixed_nprobe, r->app, r->k, r->k,
                 r->target_recall, (long long)r->nlist, hint);
        return;
    }
    if (r->max_block_ms > 0) {
        const rvcidx_eval_point *fit = NULL, *reach = NULL; /* best recall within the time; fastest reaching the recall */
        for (size_t i = 0; i < r->n_points; i++) {
            const rvcidx_eval_point *p = &r->points[i];
            double ms = rvcidx__eval_block_p99(p);
            if (p->app_block_ms_p99 <= 0) continue;
            if (ms <= r->max_block_ms && p->empty_share == 0 && (!fit || p->recall_k > fit->recall_k)) fit = p;
            if (p->recall_k >= r->target_recall && p->empty_share == 0 && (!reach || ms < rvcidx__eval_block_p99(reach))) reach = p;
        }
        char got[160] = "no setting fits the time", need[160] = "no setting reaches the recall", limit[64] = "";
        if (fit) snprintf(got, sizeof got, "within it the best is %.4f (nprobe %d, k_factor %d, p99 %.3g ms)",
                          fit->recall_k, fit->nprobe, fit->k_factor, rvcidx__eval_block_p99(fit));
        if (reach) snprintf(need, sizeof need, "reaching it takes p99 %.3g ms (nprobe %d, k_factor %d)",
                            rvcidx__eval_block_p99(reach), reach->nprobe, reach->k_factor);
        char threads[48] = "";
        if (r->search_threads != 1) snprintf(threads, sizeof threads, " and on %d threads", r->search_threads);
        if (r->budget_cheapest) snprintf(limit, sizeof limit, " (%s's realtime limit)", r->app);
        snprintf(buf, n, "no setting reached %d-recall@%d >= %.2f within p99 %.3g ms%s per block of %d frames on 1 "
                 "thread%s: %s; %s: raise `max_block_ms`, lower `target_recall`, or keep fewer frames (`max_vectors`)",
                 r->k, r->k, r->target_recall, r->max_block_ms, limit, r->block_frames, threads, got, need);
        return;
    }
    double best = 0;
    const rvcidx_eval_point *bp = &r->points[0];
    for (size_t i = 0; i < r->n_points; i++)
        if (r->points[i].recall_k > best) best = r->points[i].recall_k, bp = &r->points[i];
    char zeros[256] = ""; /* under cosine an all-zero frame ties with every query: no setting finds its neighbours */
    if (r->zero_norm_rows > 0)
        snprintf(zeros, sizeof zeros, "%llu of the %llu indexed frames are all zeros, which `metric=cosine` cannot "
                 "rank (they tie with every query): remove silent frames from the shards or use `metric=l2`; else ",
                 (unsigned long long)r->zero_norm_rows, (unsigned long long)r->ntotal);
    snprintf(buf, n, "no setting reached %d-recall@%d >= %.2f (best %.4f at nprobe %d, k_factor %d): %slower "
             "`target_recall`, use fewer lists (`nlist`), or `index=ivfflat`", r->k, r->k, r->target_recall, best,
             bp->nprobe, bp->k_factor, zeros);
}
