/* cli.h — private to the rvcidx command: options, logging, progress, exit codes.
 *
 * The command uses only the library's public API (include/rvcidx/). It parses
 * arguments into the library's params structs, reports through one logger and
 * exits through main's single cleanup path.
 */
#ifndef RVCIDX_CLI_H
#define RVCIDX_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "rvcidx/rvcidx.h"

/* Exit codes (docs/exit-codes.md keeps the same table). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_INTERNAL = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_BAD_INPUT = 3,
    CLI_EXIT_IO = 4,
    CLI_EXIT_NOT_IMPLEMENTED = 5,
    CLI_EXIT_NO_GPU = 6,
    CLI_EXIT_TARGET = 7,
    CLI_EXIT_TOO_BIG = 8,
    CLI_EXIT_LOCKED = 9,
    CLI_EXIT_VERIFY = 10,
    CLI_EXIT_INTERRUPTED = 130
};

/* The exit code for a library status. */
int cli_exit_code(int status);

/* ---- logging ---------------------------------------------------------- */
typedef struct cli_log {
    FILE *out;              /* stderr; data goes to stdout */
    int json;               /* --log-json: one JSON object per line */
    rvcidx_log_level level; /* --quiet: errors only; -v: debug */
} cli_log;

extern cli_log g_cli_log;

/* Installs the logger as the library's sink. */
void cli_log_install(void);
/* After -q or --log-json: stdout prints nothing (-q) or JSON lines (--log-json). */
void cli_stdout_filter_install(void);
void cli_logf(rvcidx_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs rvcidx_last_error() (or what) as an error and returns the exit code. */
int cli_fail(int status, const char *what);
/* msg with each backquoted library parameter (`skip_bad`, `nlist=2000`) as
 * its option (--skip-bad, --nlist 2000): msg itself when it has none, else
 * buf. The logger does it to every message; for library text printed otherwise. */
const char *cli_with_flags(const char *msg, char *buf, size_t n);
/* The option of a library parameter ("nlist" -> "--nlist", "outdir" -> "-o"),
 * '-' or '_' alike; NULL when no option sets it. */
const char *cli_param_flag(const char *param);
/* After a rvcidx_*_params_set(key) failed: logs its message, whose leading
 * parameter name becomes the option ("--nlist: ..."); CLI_EXIT_USAGE. */
int cli_param_fail(const char *key);

/* ---- progress ------------------------------------------------------- */
typedef struct cli_progress {
    FILE *out;
    int tty;               /* draw a bar redrawn in place */
    int json;              /* emit progress events as JSON lines */
    int enabled;
    double interval;       /* seconds between plain lines (tty: between redraws) */
    double start, last_emit;
    char stage[32];
    int drawn;             /* a bar is on the current tty line */
} cli_progress;

/* Configures from g_cli_log and whether out is a terminal. */
void cli_progress_init(cli_progress *cp, FILE *out, int enabled);
/* The library callback: pass a cli_progress as user. Returns 1 once
 * SIGINT/SIGTERM has arrived, which stops the stage cleanly. */
int cli_progress_cb(const rvcidx_progress *p, void *user);
/* Renders one report at time now (seconds); split out for tests. */
void cli_progress_render(cli_progress *cp, const rvcidx_progress *p, double now);
/* Formats "1.23k" style numbers and "1:02:03" durations (for tests too). */
void cli_format_count(double v, char *buf, size_t n);
void cli_format_duration(double seconds, char *buf, size_t n);
double cli_now(void);
int cli_is_directory(const char *path);

/* Takes the lock of the directory holding path (the one `build` takes for
 * OUTDIR), so that ingest, train, encode and eval --apply never write into a
 * directory a build is working in. *lock = -1 when that directory does not
 * exist yet (the command's own check then says so). A CLI exit code. */
int cli_lock_dir_of(const char *path, int *lock);

/* ---- signals -------------------------------------------------------- */
void cli_signals_install(void);
int cli_interrupted(void);

/* ---- commands ------------------------------------------------------- */
typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    const char *missing; /* non-NULL: not implemented yet, and what is missing */
} cli_command;

int cmd_version(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_gpu(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* Ingest options, shared by `ingest` and `build`. */
#define CLI_OPT_DIM 1100
#define CLI_OPT_RVC_VERSION 1101
#define CLI_OPT_SKIP_BAD 1102
#define CLI_OPT_CHECK 1103
#define CLI_INGEST_LONG                                                        \
    {"dim", required_argument, 0, CLI_OPT_DIM},                                \
        {"version", required_argument, 0, CLI_OPT_RVC_VERSION},                \
        {"skip-bad", no_argument, 0, CLI_OPT_SKIP_BAD},                        \
        {"check", required_argument, 0, CLI_OPT_CHECK}
/* Applies one ingest option: 0 taken, CLI_EXIT_USAGE bad value, -1 not ours. */
int cli_parse_ingest_option(int opt, const char *arg, rvcidx_ingest_params *p);
/* Index options, shared by `train`, `encode` and `build`. */
enum {
    CLI_OPT_INDEX = 1200, CLI_OPT_METRIC, CLI_OPT_NLIST, CLI_OPT_SEED, CLI_OPT_ITERATIONS,
    CLI_OPT_TRAIN_ROWS, CLI_OPT_THREADS, CLI_OPT_GPU, CLI_OPT_NPROBE, CLI_OPT_K_FACTOR, CLI_OPT_REFINE,
    CLI_OPT_MAX_INDEX_SIZE /* build only: not in CLI_INDEX_LONG */
};
#define CLI_INDEX_LONG                                                         \
    {"index", required_argument, 0, CLI_OPT_INDEX},                            \
        {"metric", required_argument, 0, CLI_OPT_METRIC},                      \
        {"nlist", required_argument, 0, CLI_OPT_NLIST},                        \
        {"seed", required_argument, 0, CLI_OPT_SEED},                          \
        {"iterations", required_argument, 0, CLI_OPT_ITERATIONS},              \
        {"train-rows", required_argument, 0, CLI_OPT_TRAIN_ROWS},              \
        {"threads", required_argument, 0, CLI_OPT_THREADS},                    \
        {"gpu", required_argument, 0, CLI_OPT_GPU},                            \
        {"nprobe", required_argument, 0, CLI_OPT_NPROBE},                      \
        {"k-factor", required_argument, 0, CLI_OPT_K_FACTOR},                  \
        {"refine", required_argument, 0, CLI_OPT_REFINE}
/* Applies one index option: 0 taken, CLI_EXIT_USAGE bad value, -1 not ours. */
int cli_parse_index_option(int opt, const char *arg, rvcidx_index_params *p);
/* CLI_EXIT_NO_GPU, said why, when mode is --gpu on and no GPU is usable; else 0. */
int cli_require_gpu(rvcidx_gpu_mode mode);
int cmd_train(int argc, char **argv);
int cmd_encode(int argc, char **argv);

/* Eval options, shared by `eval` and `build`. */
enum { CLI_OPT_K = 1400, CLI_OPT_QUERIES, CLI_OPT_SAMPLE, CLI_OPT_TARGET, CLI_OPT_NO_TUNE, CLI_OPT_NO_TIMING,
       CLI_OPT_QUERIES_FROM, CLI_OPT_MAX_BLOCK_MS, CLI_OPT_BLOCK_FRAMES, CLI_OPT_SEARCH_THREADS };
#define CLI_EVAL_LONG                                                          \
    {"k", required_argument, 0, CLI_OPT_K}, {"queries", required_argument, 0, CLI_OPT_QUERIES}, \
        {"eval-queries", required_argument, 0, CLI_OPT_SAMPLE},                \
        {"target-recall", required_argument, 0, CLI_OPT_TARGET},              \
        {"no-tune", no_argument, 0, CLI_OPT_NO_TUNE},                          \
        {"no-timing", no_argument, 0, CLI_OPT_NO_TIMING},                      \
        {"queries-from", required_argument, 0, CLI_OPT_QUERIES_FROM},          \
        {"max-block-ms", required_argument, 0, CLI_OPT_MAX_BLOCK_MS},          \
        {"block-frames", required_argument, 0, CLI_OPT_BLOCK_FRAMES},          \
        {"search-threads", required_argument, 0, CLI_OPT_SEARCH_THREADS}
#define CLI_EVAL_HELP                                                          \
    "      --k K                neighbours per query, RVC's 8 (default)\n"      \
    "      --eval-queries N     queries sampled (default 1000)\n"             \
    "      --queries-from auto|self|other-speakers  what they are: other speakers' frames\n" \
    "                           (RVC converts another voice): the store's rows outside the\n" \
    "                           index, or, for one index of several speakers, its last\n" \
    "                           speaker held out of a tuning index; self: leave-one-out\n" \
    "                           on the indexed frames. auto (default): other-speakers when\n" \
    "                           the store has several, else self ('eval': self)\n" \
    "      --queries STORE.h5   external queries instead\n" \
    "      --target-recall R    k-recall@k to reach (default 0.95)\n"       \
    "      --no-tune            measure only the setting stored in the index\n"    \
    "      --no-timing          recall only: no queries/s measurement (faster)\n"    \
    "      --max-block-ms MS    a realtime time budget: choose the highest recall whose\n" \
    "                           measured p99 search time per block fits MS (timed here:\n" \
    "                           another machine may choose another setting)\n"  \
    "      --block-frames N     frames a realtime search call holds (default 16, RVC\n" \
    "                           realtime's 0.25 s block; --for sets its app's)\n" \
    "      --search-threads N   threads the budget is timed on (default 1; 0: all cores)\n"
int cli_parse_eval_option(int opt, const char *arg, rvcidx_eval_params *p);
int cmd_eval(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_plan(int argc, char **argv);
void cli_print_eval_summary(const rvcidx_eval_report *r);
/* "1234 queries/s on 1 thread", or that it was not measured (0). */
void cli_format_qps(double qps_1thread, char *buf, size_t n);
/* Draws report.svg with gnuplot (an rvcidx_plot_fn; user unused). */
int cli_plot_eval(const rvcidx_eval_report *r, const char *svg_path, void *user);
/* Logs why no setting reached the target; returns CLI_EXIT_TARGET. */
int cli_eval_missed_target(const rvcidx_eval_report *r);

void cli_print_ingest_summary(const char *store, const rvcidx_ingest_result *r, double seconds);

/* Common options every command accepts: returns 1 if opt was one of them. */
int cli_common_option(int opt);
#define CLI_COMMON_SHORT "qvh"
#define CLI_OPT_LOG_JSON 1000
#define CLI_OPT_NO_PROGRESS 1001
#define CLI_COMMON_LONG                                                        \
    {"quiet", no_argument, 0, 'q'}, {"verbose", no_argument, 0, 'v'},          \
        {"log-json", no_argument, 0, CLI_OPT_LOG_JSON},                        \
        {"no-progress", no_argument, 0, CLI_OPT_NO_PROGRESS},                  \
        {"help", no_argument, 0, 'h'}
#define CLI_COMMON_HELP                                                        \
    "  -q, --quiet        errors only: no results on stdout either\n"           \
    "  -v, --verbose      debug messages too\n"                                \
    "      --log-json     log as one JSON object per line (for cluster logs); each\n" \
    "                     stdout line becomes one too (\"level\":\"info\")\n"   \
    "      --no-progress  no progress bar or progress lines\n"                 \
    "  -h, --help         this help\n"

extern int g_cli_no_progress;

/* Parses a number option or logs a usage error; returns 0 on success. */
int cli_parse_int(const char *opt, const char *text, long min, long max, long *out);
int cli_parse_double(const char *opt, const char *text, double min, double max, double *out);
int cli_parse_u64(const char *opt, const char *text, uint64_t *out);

#endif
