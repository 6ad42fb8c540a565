/* cmd_ingest.c — `rvcidx ingest -o STORE.h5 SRC...`: stage 1 on its own. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char ingest_usage[] =
    "usage: rvcidx ingest -o STORE.h5 [options] SRC...\n\n"
    "Streams RVC feature shards into one HDF5 store, in RVC's order (speakers, then\n"
    "files, in byte order of their names). SRC: an RVC model directory (logs/<model>),\n"
    "a folder of .npy shards, a folder of model directories (one speaker each), or a\n"
    "text file listing any of these. Re-running adds only new shards.\n\n"
    "options:\n"
    "  -o, --output STORE         the store to create or update\n";

static void print_usage(void) {
    fputs(ingest_usage, stdout);
    cli_print_param_help(stdout, "ingest", NULL);
    fputs(CLI_COMMON_HELP, stdout);
}

static int set_ingest(void *p, const char *key, const char *value) { return rvcidx_ingest_params_set(p, key, value); }

static const char *outcome_name(rvcidx_ingest_outcome o) {
    switch (o) {
    case RVCIDX_INGEST_CREATED: return "created";
    case RVCIDX_INGEST_APPENDED: return "appended";
    case RVCIDX_INGEST_UNCHANGED: return "unchanged";
    case RVCIDX_INGEST_REBUILT: return "rebuilt";
    }
    return "?";
}

void cli_print_ingest_summary(const char *store, const rvcidx_ingest_result *r, double seconds) {
    char reason[sizeof r->reason + 256];
    printf("store    %s (%s%s%s)\n", store, outcome_name(r->outcome), r->reason[0] ? ": " : "",
           cli_with_flags(r->reason, reason, sizeof reason));
    printf("rows     %llu x %d (%s), %zu speaker(s), %zu file(s): %zu empty, %zu rejected\n",
           (unsigned long long)r->rows, r->dim, r->dim == 256 ? "RVC v1" : r->dim == 768 ? "RVC v2" : "?",
           r->speakers, r->files, r->files_empty, r->files_rejected);
    printf("added    %llu rows from %zu file(s); read %.1f MB in %.2f s (%.0f MB/s)\n",
           (unsigned long long)r->rows_added, r->files_added, (double)r->bytes_read / 1e6, seconds,
           seconds > 0 ? (double)r->bytes_read / 1e6 / seconds : 0.0);
}

int cmd_ingest(int argc, char **argv) {
    cli_options o = {.n = 0};
    cli_options_add(&o, "output", required_argument, 'o');
    cli_options_params(&o, "ingest", NULL);
    cli_options_common(&o);
    rvcidx_ingest_params p = rvcidx_ingest_default_params();
    const char *store = NULL;
    int opt, rc;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, o.longopts, NULL)) != -1) {
        const rvcidx_param_info *row = cli_option_param(opt);
        if (opt == 'o') store = optarg;
        else if (opt == 'h') return print_usage(), CLI_EXIT_OK;
        else if (row) {
            if ((rc = cli_option_set(row, optarg, set_ingest, &p)) != 0) return rc;
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    if (!store || optind >= argc) {
        cli_logf(RVCIDX_LOG_ERROR, "ingest: -o STORE.h5 and at least one SRC are required; see 'rvcidx ingest --help'");
        return CLI_EXIT_USAGE;
    }
    cli_progress cp;
    cli_progress_init(&cp, stderr, 1);
    rvcidx_run run = rvcidx_run_default();
    run.progress = cli_progress_cb;
    run.progress_user = &cp;
    rvcidx_ingest_result r;
    double start = cli_now();
    int lock = -1;
    if ((rc = cli_lock_dir_of(store, &lock)) != 0) return rc;
    rc = rvcidx_ingest(store, (const char *const *)argv + optind, argc - optind, &p, &run, &r);
    rvcidx_outdir_unlock(lock);
    if (rc) return cli_fail(rc, NULL);
    if (r.outcome == RVCIDX_INGEST_UNCHANGED)
        cli_logf(RVCIDX_LOG_INFO, "ingest: %s is up to date with its %zu shard(s); nothing written", store, r.files);
    cli_print_ingest_summary(store, &r, cli_now() - start);
    return CLI_EXIT_OK;
}
