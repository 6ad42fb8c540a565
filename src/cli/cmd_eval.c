/* cmd_eval.c — `rvcidx eval INDEX STORE`: recall against exact search,
 * tuning, and the report (JSON, Markdown and an SVG plot). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char eval_usage[] =
    "usage: rvcidx eval [options] INDEX STORE.h5\n\n"
    "Measures the index against exact search over all its vectors: 1-recall@1, k-recall@k,\n"
    "empty result slots, RVC's blend error, queries/s; sweeps nprobe x k_factor and picks the\n"
    "cheapest setting that reaches the target.\n\n"
    "options:\n" CLI_EVAL_HELP
    "      --apply              write the chosen setting into INDEX (RVC searches with it)\n"
    "      --report DIR         write DIR/report.json (figures), DIR/timings.json (with speeds),\n"
    "                           DIR/report.md and DIR/report.svg (plot)\n"
    "      --first-row N        the index holds the store's rows from N (per-speaker indexes)\n"
    "      --metric l2|ip|cosine  as the index was built with (cosine normalises the rows)\n"
    "      --gpu auto|on|off    device for the exact search (default auto)\n"
    "      --threads N          CPU threads (default: all)\n" CLI_COMMON_HELP;

int cli_parse_eval_option(int opt, const char *arg, rvcidx_eval_params *p) {
    static const char *const keys[] = {"k", "queries", "eval_queries", "target_recall", "no_tune", "no_timing",
                                       "queries_from", "max_block_ms", "block_frames", "search_threads"};
    if (opt < CLI_OPT_K || opt > CLI_OPT_SEARCH_THREADS) return -1;
    const char *key = keys[opt - CLI_OPT_K];
    int flag = opt == CLI_OPT_NO_TUNE || opt == CLI_OPT_NO_TIMING; /* options without a value */
    return rvcidx_eval_params_set(p, key, flag ? "1" : arg) ? cli_param_fail(key) : 0;
}

int cmd_eval(int argc, char **argv) {
    enum { OPT_APPLY = 1, OPT_REPORT, OPT_FIRST_ROW };
    static const struct option longopts[] = {
        CLI_EVAL_LONG, {"apply", no_argument, 0, OPT_APPLY}, {"report", required_argument, 0, OPT_REPORT},
        {"first-row", required_argument, 0, OPT_FIRST_ROW}, CLI_INDEX_LONG, CLI_COMMON_LONG, {0, 0, 0, 0}};
    rvcidx_eval_params ep = rvcidx_eval_default_params();
    rvcidx_index_params ip = rvcidx_index_default_params();
    const char *report_dir = NULL;
    int apply = 0, opt, rc;
    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        if (opt == OPT_APPLY) apply = 1;
        else if (opt == OPT_REPORT) report_dir = optarg;
        else if (opt == OPT_FIRST_ROW) {
            if (cli_parse_u64("--first-row", optarg, &ip.first_row)) return CLI_EXIT_USAGE;
        } else if (opt == 'h') return fputs(eval_usage, stdout), CLI_EXIT_OK;
        else if ((rc = cli_parse_eval_option(opt, optarg, &ep)) >= 0) {
            if (rc) return rc;
        } else if ((rc = cli_parse_index_option(opt, optarg, &ip)) >= 0) {
            if (rc) return rc;
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    if (optind + 2 != argc) {
        cli_logf(RVCIDX_LOG_ERROR, "eval: INDEX and STORE.h5 are required; see 'rvcidx eval --help'");
        return CLI_EXIT_USAGE;
    }
    ep.gpu = ip.gpu;
    ep.threads = ip.threads;
    if ((rc = cli_require_gpu(ep.gpu)) != 0) return rc;
    cli_progress cp;
    cli_progress_init(&cp, stderr, 1);
    ep.progress = cli_progress_cb;
    ep.progress_user = &cp;
    rvcidx_eval_report *r = NULL;
    rc = rvcidx_eval(argv[optind], argv[optind + 1], &ip, &ep, &r);
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
