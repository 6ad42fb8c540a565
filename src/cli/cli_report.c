/* cli_report.c — eval results for people: a table on stdout, a Markdown
 * report and a gnuplot plot of recall against queries/s beside the JSON. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fsutil.h" /* atomic publish, until the library writes the reports (issue 17) */
#include "cli.h"

static void print_point(const rvcidx_eval_report *r, size_t i, FILE *out) {
    const rvcidx_eval_point *p = &r->points[i];
    const char *mark = (int)i == r->chosen ? "chosen" : (int)i == r->stored ? "stored" : "";
    char all[32] = "-";
    if (p->qps_all > 0) snprintf(all, sizeof all, "%.0f", p->qps_all);
    fprintf(out, "| %6d | %8d | %8.4f | %8.4f | %6.4f | %9.4f | %8.4f | %9.0f | %9s | %-6s |\n", p->nprobe,
            p->k_factor, p->recall_1, p->recall_k, p->empty_share, p->blend_error_mean, p->blend_error_p95,
            p->qps_1thread, all, mark);
}

void cli_print_eval_table(const rvcidx_eval_report *r, int all, FILE *out) {
    fprintf(out, "| nprobe | k_factor | recall@1 | recall@%d | empty | blend err | blend p95 | q/s 1 thr | q/s %2d thr | |\n"
                 "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
            r->k, r->threads_all);
    for (size_t i = 0; i < r->n_points; i++)
        if (all || (int)i == r->chosen || (int)i == r->stored) print_point(r, i, out);
}

/* RVC realtime's default block is 0.25 s: the share of it one search takes
 * is what a realtime user watches (w-okada's "index ratio"). */
#define CLI_REALTIME_BLOCK_MS 250.0

void cli_print_block_times(const rvcidx_eval_report *r, const rvcidx_eval_point *p, const char *lead, FILE *out) {
    if (r->block_frames <= 0 || p->block_ms_p50 <= 0) return;
    fprintf(out, "%s%d frames a search (%s's block): p50 %.2f ms, p99 %.2f ms on 1 thread", lead, r->block_frames,
            r->app[0] ? r->app : "realtime", p->block_ms_p50, p->block_ms_p99);
    rvcidx_app app = RVCIDX_APP_NONE;
    const rvcidx_app_profile *prof = r->app[0] && rvcidx_app_from_name(r->app, &app) == 0 ? rvcidx_app_profile_get(app) : NULL;
    if (p->app_block_ms_p50 > 0)
        fprintf(out, "; p50 %.2f ms, p99 %.2f ms on %d threads%s", p->app_block_ms_p50, p->app_block_ms_p99,
                r->search_threads, prof && prof->threads > 0 ? " (BLAS 1), as the app sets" : ", as the app leaves faiss");
    double worst = p->app_block_ms_p99 > p->block_ms_p99 ? p->app_block_ms_p99 : p->block_ms_p99;
    fprintf(out, ": at most %.1f%% of a 0.25 s block (p99)\n", 100.0 * worst / CLI_REALTIME_BLOCK_MS);
}

void cli_format_qps(double qps_1thread, char *buf, size_t n) {
    if (qps_1thread > 0) snprintf(buf, n, "%.0f queries/s on 1 thread", qps_1thread);
    else snprintf(buf, n, "speed not measured (--no-timing)");
}

void cli_print_eval_summary(const rvcidx_eval_report *r) {
    printf("eval     %s: %llu queries (%s), exact %d-NN over all %llu vectors (%s)\n", r->factory,
           (unsigned long long)r->queries, r->queries_desc, r->k,
           (unsigned long long)r->ntotal, r->truth_device);
    if (r->chosen >= 0) {
        const rvcidx_eval_point *p = &r->points[r->chosen];
        char qps[48];
        cli_format_qps(p->qps_1thread, qps, sizeof qps);
        printf("tuned    nprobe %d, k_factor %d: %d-recall@%d %.4f (target %.2f), blend error %.2f%% (p95 %.2f%%), "
               "%s\n", p->nprobe, p->k_factor, r->k, r->k, p->recall_k, r->target_recall,
               100 * p->blend_error_mean, 100 * p->blend_error_p95, qps);
        cli_print_block_times(r, p, "block    ", stdout);
    }
}

/* gnuplot draws recall against queries/s, one line per k_factor, the chosen
 * setting marked. Plotting is the CLI's business: the library only measures.
 * The sweep (points[1..]) is ordered by nprobe, then k_factor. */
static int has_value(const int *v, int n, int x) {
    for (int i = 0; i < n; i++)
        if (v[i] == x) return 1;
    return 0;
}

/* One data block per k_factor (ascending), its points by ascending nprobe. */
static int write_plot_data(const rvcidx_eval_report *r, const char *data_path, int *kfs, int *n_kf) {
    FILE *f = fopen(data_path, "w");
    if (!f) return -1;
    *n_kf = 0;
    for (size_t i = 0; i < r->n_points && *n_kf < 16; i++)
        if (!has_value(kfs, *n_kf, r->points[i].k_factor)) kfs[(*n_kf)++] = r->points[i].k_factor;
    for (int a = 0; a < *n_kf; a++) /* sort: few values */
        for (int b = a + 1; b < *n_kf; b++)
            if (kfs[b] < kfs[a]) { int t = kfs[a]; kfs[a] = kfs[b]; kfs[b] = t; }
    for (int b = 0; b < *n_kf; b++) {
        for (int np = 1; np <= (1 << 24); np *= 2)
            for (size_t i = 0; i < r->n_points; i++)
                if (r->points[i].k_factor == kfs[b] && r->points[i].nprobe == np)
                    fprintf(f, "%d %d %.6f %.3f\n", np, kfs[b], r->points[i].recall_k, r->points[i].qps_1thread);
        fprintf(f, "\n\n");
    }
    return fclose(f);
}

static void write_plot_script(FILE *gp, const rvcidx_eval_report *r, const char *svg, const char *data,
                              const int *kfs, int n_kf) {
    const rvcidx_eval_point *c = r->chosen >= 0 ? &r->points[r->chosen] : NULL;
    fprintf(gp, "set terminal svg size 900,560 background '#ffffff' noenhanced\nset output '%s'\n"
                "set title '%s over %llu vectors: %d-recall@%d against search speed'\n"
                "set xlabel 'queries per second, 1 thread (log scale)'\nset ylabel '%d-recall@%d'\n"
                "set logscale x\nset key bottom left\nset grid\nset yrange [0:1.02]\n"
                "set arrow from graph 0, first %g to graph 1, first %g nohead dt 2 lc rgb '#888888'\n",
            svg, r->factory, (unsigned long long)r->ntotal, r->k, r->k, r->k, r->k, r->target_recall, r->target_recall);
    fprintf(gp, "plot ");
    for (int b = 0; b < n_kf; b++) {
        if (kfs[b] > 0) fprintf(gp, "%s'%s' index %d using 4:3 with linespoints title 'k_factor %d'", b ? ", " : "", data, b, kfs[b]);
        else fprintf(gp, "%s'%s' index %d using 4:3 with linespoints title 'nprobe 1, 2, 4, ...'", b ? ", " : "", data, b);
    }
    if (c)
        fprintf(gp, ", '-' using 1:2 title 'chosen: nprobe %d, k_factor %d' with points pt 7 ps 2 lc rgb '#d62728'\n%g %g\ne\n",
                c->nprobe, c->k_factor, c->qps_1thread, c->recall_k);
    else
        fprintf(gp, "\n");
}

/* Runs gnuplot on plot.gp in dir, without a shell: no path ever reaches a
 * command line or the gnuplot script, whatever characters OUTDIR holds. */
static int run_gnuplot(const char *dir) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, STDOUT_FILENO), dup2(null, STDERR_FILENO);
        if (chdir(dir) == 0) execlp("gnuplot", "gnuplot", "plot.gp", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int read_small_file(const char *path, char **out, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char *buf = NULL;
    size_t cap = 0;
    FILE *mem = open_memstream(&buf, &cap);
    char chunk[65536];
    size_t got;
    while (mem && (got = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, got, mem);
    fclose(f);
    if (!mem || fclose(mem) != 0) return free(buf), -1;
    *out = buf;
    *n = cap;
    return 0;
}

/* The plot is drawn in a private temporary folder (mkdtemp) with fixed names,
 * then published atomically at svg_path, never through a link there. */
int cli_plot_eval(const rvcidx_eval_report *r, const char *svg_path) {
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX], path[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/rvcidx-plot.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return -1;
    int kfs[16], n_kf = 0, rc = -1;
    snprintf(path, sizeof path, "%s/plot.dat", dir);
    FILE *gp = NULL;
    if (write_plot_data(r, path, kfs, &n_kf) == 0) {
        snprintf(path, sizeof path, "%s/plot.gp", dir);
        gp = fopen(path, "w");
    }
    if (gp) {
        write_plot_script(gp, r, "plot.svg", "plot.dat", kfs, n_kf);
        if (fclose(gp) == 0) rc = run_gnuplot(dir);
    }
    char *svg = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/plot.svg", dir);
    if (rc == 0) rc = read_small_file(path, &svg, &n);
    if (rc == 0) rc = rvcidx__write_bytes_file(svg_path, svg, n) == 0 ? 0 : -1;
    free(svg);
    const char *names[] = {"plot.dat", "plot.gp", "plot.svg"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return rc;
}

/* report.md: the figures and the plot, readable on any Git host. */
int cli_write_eval_markdown(const rvcidx_eval_report *r, const char *md_path, const char *svg_name) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len); /* published atomically below, never through a link */
    if (!f) return -1;
    fprintf(f, "# rvcidx recall report\n\n`%s`, %llu vectors of D=%d, metric %s, nlist %lld.\n\n", r->factory,
            (unsigned long long)r->ntotal, r->dim, r->metric, (long long)r->nlist);
    fprintf(f, "%llu queries (%s); ground truth: exact %d-NN over all vectors on %s. Target: %d-recall@%d >= %.2f.\n\n",
            (unsigned long long)r->queries, r->queries_desc,
            r->k, r->truth_device, r->k, r->k, r->target_recall);
    if (r->app[0]) {
        fprintf(f, "Built for **%s** (`--for %s`): searched with k=%d", r->app, r->app, r->k);
        if (r->fixed_nprobe) fprintf(f, "; the app sets nprobe %d itself, so only that nprobe could be chosen", r->fixed_nprobe);
        if (r->block_frames) fprintf(f, "; timed as the app searches, %d frames a call", r->block_frames);
        fprintf(f, ".\n\n");
    }
    if (r->chosen >= 0)
        fprintf(f, "**Chosen and written into the index: nprobe %d, k_factor %d** (cheapest setting reaching the target "
                "with no empty slot, by the cost model).\n\n", r->points[r->chosen].nprobe, r->points[r->chosen].k_factor);
    else
        fprintf(f, "**No setting reached the target.**\n\n");
    if (r->chosen >= 0 && r->points[r->chosen].block_ms_p50 > 0) {
        cli_print_block_times(r, &r->points[r->chosen], "Search time per block, chosen setting: ", f);
        fprintf(f, "\n");
    }
    if (svg_name) fprintf(f, "![recall against queries/s](%s)\n\n", svg_name);
    cli_print_eval_table(r, 1, f);
    fprintf(f, "\nBlend error: distance between RVC's 1/d^2-weighted blend of the %d results and the blend of the exact %d, relative to the exact blend's norm.\n", r->k, r->k);
    int rc = fclose(f) == 0 && rvcidx__write_bytes_file(md_path, text, len) == 0 ? 0 : -1;
    free(text);
    return rc;
}
