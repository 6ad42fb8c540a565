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

#include "cli.h"

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
        rvcidx_eval_report_format_block_times(r, p, "block    ", stdout);
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

/* The plot is drawn in a private temporary folder (mkdtemp) with fixed names,
 * then published atomically at svg_path, never through a link there. */
int cli_plot_eval(const rvcidx_eval_report *r, const char *svg_path, void *user) {
    (void)user;
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
    if (rc == 0) rc = rvcidx_read_file(path, 1, &svg, &n) == 0 ? 0 : -1;
    if (rc == 0) rc = rvcidx_outdir_write_file(svg_path, svg, n) == 0 ? 0 : -1;
    free(svg);
    const char *names[] = {"plot.dat", "plot.gp", "plot.svg"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return rc;
}

int cli_eval_missed_target(const rvcidx_eval_report *r) {
    char msg[1024];
    rvcidx_eval_missed_target_message(r, msg, sizeof msg);
    cli_logf(RVCIDX_LOG_ERROR, "%s", msg);
    return CLI_EXIT_TARGET;
}
