/* cli.h — private to the rvcidx command: options, logging, progress, exit codes.
 *
 * The command uses only the library's public API (include/rvcidx/). It parses
 * arguments into the library's params structs, reports through one logger and
 * exits through main's single cleanup path.
 */
#ifndef RVCIDX_CLI_H
#define RVCIDX_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "rvcidx/rvcidx.h"
#include "rvcidx/params.h"

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

/* ---- options from the library's parameter table (cli_options.c) ---- */
/* getopt's value for table row i is CLI_OPT_PARAM + i. */
enum { CLI_OPT_PARAM = 2000 };
typedef struct cli_options {
    struct option longopts[96]; /* ends with a zeroed entry */
    int n;
} cli_options;
/* Sets one parameter by name: a rvcidx_*_params_set, behind a void *. */
typedef int (*cli_param_setter)(void *params, const char *key, const char *value);
void cli_options_add(cli_options *o, const char *name, int has_arg, int val);
/* The options of the table's rows in groups (space-separated: "eval index"), but
 * those named in skip (space-separated parameter names; NULL: none). */
void cli_options_params(cli_options *o, const char *groups, const char *skip);
/* -q, -v, --log-json, --no-progress, -h. */
void cli_options_common(cli_options *o);
/* The table row an option from getopt_long sets, or NULL. */
const rvcidx_param_info *cli_option_param(int opt);
/* Sets row's parameter in params with set (a flag's value is "1"); 0, or
 * CLI_EXIT_USAGE with the message said, the parameter named as its option. */
int cli_option_set(const rvcidx_param_info *row, const char *arg, cli_param_setter set, void *params);
/* The --help lines of the table's rows in groups, but skip's. */
void cli_print_param_help(FILE *out, const char *groups, const char *skip);

/* CLI_EXIT_NO_GPU, said why, when mode is --gpu on and no GPU is usable; else 0. */
int cli_require_gpu(rvcidx_gpu_mode mode);
int cmd_train(int argc, char **argv);
int cmd_encode(int argc, char **argv);
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
