/* cli_progress.c — progress display: a bar with rate and ETA on a terminal,
 * plain lines at an interval otherwise (log files, Slurm output), JSON events
 * with --log-json. The library only reports counts; all drawing is here. */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

void cli_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Past `ulimit -f`, a write then fails with EFBIG, which rvcidx reports
     * naming the file, instead of the process dying of SIGXFSZ unannounced. */
    signal(SIGXFSZ, SIG_IGN);
}

int cli_interrupted(void) { return interrupted != 0; }

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_format_count(double v, char *buf, size_t n) {
    static const char *const suffix[] = {"", "k", "M", "G", "T"};
    int i = 0;
    while (fabs(v) >= 1000.0 && i < 4) {
        v /= 1000.0;
        i++;
    }
    snprintf(buf, n, i == 0 ? "%.0f%s" : "%.2f%s", v, suffix[i]);
}

void cli_format_duration(double seconds, char *buf, size_t n) {
    if (!(seconds >= 0.0) || seconds > 360000.0) {
        snprintf(buf, n, "--:--");
        return;
    }
    long s = lround(seconds);
    if (s >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
}

void cli_progress_init(cli_progress *cp, FILE *out, int enabled) {
    memset(cp, 0, sizeof *cp);
    cp->out = out;
    cp->json = g_cli_log.json;
    cp->tty = !cp->json && isatty(fileno(out));
    cp->enabled = enabled && !g_cli_no_progress && g_cli_log.level >= RVCIDX_LOG_INFO;
    cp->interval = cp->tty ? 0.1 : 10.0;
    const char *env = getenv("RVCIDX_PROGRESS_INTERVAL");
    if (env && !cp->tty) cp->interval = atof(env);
}

typedef struct progress_figures {
    double fraction, rate, mb_rate, eta, elapsed;
} progress_figures;

static progress_figures progress_compute(const cli_progress *cp, const rvcidx_progress *p, double now) {
    progress_figures f = {-1.0, 0.0, 0.0, -1.0, now - cp->start};
    if (p->total) f.fraction = (double)p->done / (double)p->total;
    if (f.elapsed > 0.0) {
        f.rate = (double)p->done / f.elapsed;
        f.mb_rate = (double)p->bytes / f.elapsed / 1e6;
    }
    if (p->total && f.rate > 0.0) f.eta = (double)(p->total - p->done) / f.rate;
    return f;
}

static void render_json(cli_progress *cp, const rvcidx_progress *p, const progress_figures *f) {
    json_t *obj = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:f, s:b}", "event", "progress",
                            "stage", p->stage, "unit", p->unit, "done", (json_int_t)p->done,
                            "total", (json_int_t)p->total, "rate", f->rate, "elapsed_s",
                            f->elapsed, "finished", p->finished);
    if (f->eta >= 0.0) json_object_set_new(obj, "eta_s", json_real(f->eta));
    char *line = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    if (line) fprintf(cp->out, "%s\n", line);
    free(line);
    json_decref(obj);
}

static void render_text(cli_progress *cp, const rvcidx_progress *p, const progress_figures *f) {
    char done[32], total[32], rate[32], eta[32], elapsed[32], mb[32] = "";
    cli_format_count((double)p->done, done, sizeof done);
    cli_format_count((double)p->total, total, sizeof total);
    cli_format_count(f->rate, rate, sizeof rate);
    cli_format_duration(p->finished ? f->elapsed : f->eta, eta, sizeof eta);
    cli_format_duration(f->elapsed, elapsed, sizeof elapsed);
    if (p->bytes) snprintf(mb, sizeof mb, "  %.1f MB/s", f->mb_rate);
    const char *eta_label = p->finished ? "took" : "ETA";
    if (!p->total && !p->done && !p->finished) { /* a stage that can only say it is running (k-means) */
        if (cp->tty) fprintf(cp->out, "\r%-8s [%s] running, elapsed %s\033[K", p->stage, "  ...  ", elapsed);
        else fprintf(cp->out, "rvcidx: progress: %s running, elapsed %s (no steps to count)\n", p->stage, elapsed);
        cp->drawn = cp->tty;
        fflush(cp->out);
        return;
    }
    if (cp->tty) {
        char bar[31];
        int filled = f->fraction >= 0.0 ? (int)(f->fraction * 30.0) : 0;
        for (int i = 0; i < 30; i++) bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(cp->out, "\r%-8s [%s] %5.1f%%  %s/%s %s  %s %s/s%s  %s %s\033[K", p->stage, bar,
                f->fraction >= 0.0 ? 100.0 * f->fraction : 0.0, done, total, p->unit, rate,
                p->unit, mb, eta_label, eta);
        cp->drawn = !p->finished;
        if (p->finished) fputc('\n', cp->out);
    } else if (p->total) {
        fprintf(cp->out, "rvcidx: progress: %s %s/%s %s (%.1f%%), %s %s/s%s, %s %s, elapsed %s\n",
                p->stage, done, total, p->unit, 100.0 * f->fraction, rate, p->unit, mb, eta_label,
                eta, elapsed);
    } else {
        fprintf(cp->out, "rvcidx: progress: %s %s %s, %s %s/s%s, elapsed %s\n", p->stage, done,
                p->unit, rate, p->unit, mb, elapsed);
    }
    fflush(cp->out);
}

void cli_progress_render(cli_progress *cp, const rvcidx_progress *p, double now) {
    if (!cp->enabled) return;
    if (strcmp(cp->stage, p->stage) != 0) { /* a new stage restarts the clock */
        snprintf(cp->stage, sizeof cp->stage, "%s", p->stage);
        cp->start = now;
        cp->last_emit = now;
        if (!p->finished) return;
    }
    if (!p->finished && now - cp->last_emit < cp->interval) return;
    cp->last_emit = now;
    progress_figures f = progress_compute(cp, p, now);
    if (cp->json)
        render_json(cp, p, &f);
    else
        render_text(cp, p, &f);
}

int cli_progress_cb(const rvcidx_progress *p, void *user) {
    cli_progress *cp = user;
    if (cp) cli_progress_render(cp, p, cli_now());
    if (cli_interrupted()) {
        if (cp && cp->drawn) fputc('\n', cp->out);
        return 1;
    }
    return 0;
}
