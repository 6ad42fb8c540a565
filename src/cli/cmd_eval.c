/* cmd_eval.c — `rvcidx eval INDEX STORE`: recall against exact search,
 * tuning, and the report (JSON, Markdown and an SVG plot). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char eval_usage_head[] =
    "usage: rvcidx eval [options] INDEX STORE.h5\n\n"
    "Measures the index against exact search over all its vectors: 1-recall@1, k-recall@k,\n"
    "empty result slots, RVC's blend error, queries/s; sweeps nprobe x k_factor and picks the\n"
    "cheapest setting that reaches the target.\n\n"
    "options:\n";

static const char eval_usage_cli[] =
    "      --apply                write the chosen setting into INDEX (RVC searches with it)\n"
    "      --report DIR           write DIR/report.json (figures), DIR/timings.json (with speeds),\n"
    "                             DIR/report.md and DIR/report.svg (plot)\n"
    "      --first-row N          the index holds the store's rows from N (per-speaker indexes)\n"
    "      --metric l2|ip|cosine  as the index was built with (cosine normalises the rows)\n";

static void print_usage(void) {
    fputs(eval_usage_head, stdout);
    cli_print_param_help(stdout, "eval", NULL);
    fputs(eval_usage_cli, stdout);
    fputs("run options (the exact search's device):\n", stdout);
    cli_print_param_help(stdout, "run", NULL);
    fputs(CLI_COMMON_HELP, stdout);
}

static int set_eval(void *p, const char *key, const char *value) { return rvcidx_eval_params_set(p, key, value); }
static int set_index(void *p, const char *key, const char *value) { return rvcidx_index_params_set(p, key, value); }
static int set_run(void *r, const char *key, const char *value) { return rvcidx_run_set(r, key, value); }

/* The struct a row of the table sets, with its setter. */
static cli_param_setter setter_of(const rvcidx_param_info *row, rvcidx_eval_params *ep, rvcidx_index_params *ip,
                                  rvcidx_run *run, void **params) {
    if (!strcmp(row->group, "eval")) return *params = ep, set_eval;
    if (!strcmp(row->group, "run")) return *params = run, set_run;
    return *params = ip, set_index;
}

int cmd_eval(int argc, char **argv) {
    enum { OPT_APPLY = 1, OPT_REPORT, OPT_FIRST_ROW };
    cli_options o = {.n = 0};
    cli_options_params(&o, "eval", NULL);
    cli_options_add(&o, "apply", no_argument, OPT_APPLY);
    cli_options_add(&o, "report", required_argument, OPT_REPORT);
    cli_options_add(&o, "first-row", required_argument, OPT_FIRST_ROW);
    cli_options_params(&o, "index run", "max_index_size");
    cli_options_common(&o);
    rvcidx_eval_params ep = rvcidx_eval_default_params();
    rvcidx_index_params ip = rvcidx_index_default_params();
    rvcidx_run run = rvcidx_run_default();
    const char *report_dir = NULL;
    int apply = 0, opt, rc;
    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, o.longopts, NULL)) != -1) {
        const rvcidx_param_info *row = cli_option_param(opt);
        if (opt == OPT_APPLY) apply = 1;
        else if (opt == OPT_REPORT) report_dir = optarg;
        else if (opt == OPT_FIRST_ROW) {
            if (cli_parse_u64("--first-row", optarg, &ip.first_row)) return CLI_EXIT_USAGE;
        } else if (opt == 'h') return print_usage(), CLI_EXIT_OK;
        else if (row) {
            void *params = NULL;
            cli_param_setter set = setter_of(row, &ep, &ip, &run, &params);
            if ((rc = cli_option_set(row, optarg, set, params)) != 0) return rc;
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    if (optind + 2 != argc) {
        cli_logf(RVCIDX_LOG_ERROR, "eval: INDEX and STORE.h5 are required; see 'rvcidx eval --help'");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_require_gpu(run.gpu)) != 0) return rc;
    cli_progress cp;
    cli_progress_init(&cp, stderr, 1);
    run.progress = cli_progress_cb;
    run.progress_user = &cp;
    rvcidx_eval_report *r = NULL;
    rc = rvcidx_eval(argv[optind], argv[optind + 1], &ip, &ep, &run, &r);
    if (rc) return cli_fail(rc, NULL);
    rvcidx_eval_report_format_table(r, 1, stdout);
    cli_print_eval_summary(r);
    int exit_code = CLI_EXIT_OK;
    if (report_dir && (rc = rvcidx_eval_report_write_outputs(r, report_dir, cli_plot_eval, NULL)) != 0)
        exit_code = cli_fail(rc, NULL);
    if (exit_code == 0 && ep.tune && r->chosen < 0) exit_code = cli_eval_missed_target(r);
    if (exit_code == 0 && apply && r->chosen >= 0) {
        int lock = -1;
        exit_code = cli_lock_dir_of(argv[optind], &lock);
        rc = exit_code ? 0 : rvcidx_index_set_search_params(argv[optind], r->points[r->chosen].nprobe, r->points[r->chosen].k_factor);
        rvcidx_outdir_unlock(lock);
        if (rc) exit_code = cli_fail(rc, NULL);
    }
    rvcidx_eval_report_free(r);
    return exit_code;
}
