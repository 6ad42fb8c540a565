/* cmd_verify.c — `rvcidx verify OUTDIR`: every output against the manifest. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static const char verify_usage[] =
    "usage: rvcidx verify OUTDIR\n\n"
    "Recomputes the sha256 of every output listed in OUTDIR/manifest.json (an index's\n"
    "before faiss reads it) and checks that each index loads with the recorded type,\n"
    "d and ntotal. Lists every mismatch; exit 0 when all match, 10 otherwise.\n\n"
    "options:\n" CLI_COMMON_HELP;

int cmd_verify(int argc, char **argv) {
    static const struct option longopts[] = {CLI_COMMON_LONG, {0, 0, 0, 0}};
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        if (opt == 'h') return fputs(verify_usage, stdout), CLI_EXIT_OK;
        if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    if (optind + 1 != argc) {
        cli_logf(RVCIDX_LOG_ERROR, "verify: exactly one OUTDIR is required; see 'rvcidx verify --help'");
        return CLI_EXIT_USAGE;
    }
    size_t bad = 0, checked = 0;
    int rc = rvcidx_verify(argv[optind], 0, &bad, &checked);
    if (rc) return cli_fail(rc, NULL);
    if (bad) {
        cli_logf(RVCIDX_LOG_ERROR, "verify: %zu mismatch(es) in %s (listed above); rebuild with 'rvcidx build'", bad,
                 argv[optind]);
        return CLI_EXIT_VERIFY;
    }
    printf("verified %zu outputs in %s: all match the manifest\n", checked, argv[optind]);
    return CLI_EXIT_OK;
}
