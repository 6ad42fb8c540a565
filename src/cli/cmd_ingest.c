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
    "  -o, --output STORE   the store to create or update\n"
    "      --dim 256|768    pick 3_feature256 (v1) or 3_feature768 (v2) when both exist\n"
    "      --version v1|v2  the same, by RVC version\n"
    "      --skip-bad       leave bad shards out (listed in the store) instead of failing\n"
    "      --check hash|stat  recognise stored shards by sha256 (default) or size+mtime\n" CLI_COMMON_HELP;

int cli_parse_ingest_option(int opt, const char *arg, rvcidx_ingest_params *p) {
    const char *key = opt == CLI_OPT_DIM ? "dim" : opt == CLI_OPT_RVC_VERSION ? "version"
                    : opt == CLI_OPT_SKIP_BAD ? "skip_bad" : opt == CLI_OPT_CHECK ? "check" : NULL;
    if (!key) return -1;
    return rvcidx_ingest_params_set(p, key, opt == CLI_OPT_SKIP_BAD ? "1" : arg) ? cli_param_fail(key) : 0;
}

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
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, CLI_INGEST_LONG, CLI_COMMON_LONG, {0, 0, 0, 0}};
    rvcidx_ingest_params p = rvcidx_ingest_default_params();
    const char *store = NULL;
    int opt, rc;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        if (opt == 'o') store = optarg;
        else if (opt == 'h') return fputs(ingest_usage, stdout), CLI_EXIT_OK;
        else if ((rc = cli_parse_ingest_option(opt, optarg, &p)) >= 0) {
            if (rc) return rc;
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    if (!store || optind >= argc) {
        cli_logf(RVCIDX_LOG_ERROR, "ingest: -o STORE.h5 and at least one SRC are required; see 'rvcidx ingest --help'");
        return CLI_EXIT_USAGE;
    }
    cli_progress cp;
    cli_progress_init(&cp, stderr, 1);
    p.progress = cli_progress_cb;
    p.progress_user = &cp;
    rvcidx_ingest_result r;
    double start = cli_now();
    int lock = -1;
    if ((rc = cli_lock_dir_of(store, &lock)) != 0) return rc;
    rc = rvcidx_ingest(store, (const char *const *)argv + optind, argc - optind, &p, &r);
    rvcidx_outdir_unlock(lock);
    if (rc) return cli_fail(rc, NULL);
    if (r.outcome == RVCIDX_INGEST_UNCHANGED)
        cli_logf(RVCIDX_LOG_INFO, "ingest: %s is up to date with its %zu shard(s); nothing written", store, r.files);
    cli_print_ingest_summary(store, &r, cli_now() - start);
    return CLI_EXIT_OK;
}
