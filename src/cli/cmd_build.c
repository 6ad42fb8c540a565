/* cmd_build.c — `rvcidx build`: the whole pipeline in one command.
 *
 * Runs the stages that exist, in order, and stops with exit code 5 naming the
 * first stage that does not exist yet, so the README's main command always
 * goes as far as the code does and says what is missing.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static const char build_usage[] =
    "usage: rvcidx build -o OUTDIR SRC...\n\n"
    "Ingest -> train -> encode -> eval/tune -> manifest, for the RVC model directories,\n"
    "shard directories or list files given as SRC.\n\n"
    "options:\n"
    "  -o, --output OUTDIR  where the artifacts go\n" CLI_COMMON_HELP;

int cmd_build(int argc, char **argv) {
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'}, CLI_COMMON_LONG,
                                             {0, 0, 0, 0}};
    const char *outdir = NULL;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        if (opt == 'o')
            outdir = optarg;
        else if (opt == 'h') {
            fputs(build_usage, stdout);
            return CLI_EXIT_OK;
        } else if (!cli_common_option(opt))
            return CLI_EXIT_USAGE;
    }
    if (!outdir || optind >= argc) {
        cli_logf(RVCIDX_LOG_ERROR, "build: -o OUTDIR and at least one SRC are required; see 'rvcidx build --help'");
        return CLI_EXIT_USAGE;
    }
    cli_logf(RVCIDX_LOG_ERROR,
             "build: stopped before its first stage: ingest is not implemented yet (issue #3); "
             "then train/encode (#4), eval/tune (#5) and the manifest (#6)");
    return CLI_EXIT_NOT_IMPLEMENTED;
}
