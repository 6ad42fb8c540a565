/* cmd_demo.c — `rvcidx demo`: writes the built-in example feature tree. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static const char demo_usage[] =
    "usage: rvcidx demo -o ROOT [options]\n\n"
    "Writes ROOT/<speaker>/3_feature768/<clip>_<slice>.npy: a deterministic multi-speaker\n"
    "tree of voice-like frames, drawn from a model fitted to real ContentVec frames\n"
    "(docs/demo.md), in RVC's layout (50 frames/s, ~185 frames per slice).\n\n"
    "options:\n"
    "  -o, --output ROOT    where to write (created if missing)\n"
    "      --speakers N     model directories to write (default 4)\n"
    "      --minutes M      audio minutes per speaker (default 3; 1 min = 3000 frames)\n"
    "      --dim D          768 (RVC v2, default) or 256 (v1)\n"
    "      --seed S         default 1234; the same options give the same bytes\n"
    "      --prefix NAME    speaker directory prefix (default 'speaker')\n"
    "      --first K        number of the first speaker (default 0)\n" CLI_COMMON_HELP;

int cmd_demo(int argc, char **argv) {
    enum { OPT_SPEAKERS = 1, OPT_MINUTES, OPT_DIM, OPT_SEED, OPT_PREFIX, OPT_FIRST };
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},   {"speakers", required_argument, 0, OPT_SPEAKERS},
        {"minutes", required_argument, 0, OPT_MINUTES}, {"dim", required_argument, 0, OPT_DIM},
        {"seed", required_argument, 0, OPT_SEED}, {"prefix", required_argument, 0, OPT_PREFIX},
        {"first", required_argument, 0, OPT_FIRST}, CLI_COMMON_LONG, {0, 0, 0, 0}};
    rvcidx_demo_params p = rvcidx_demo_default_params();
    const char *root = NULL;
    long v = 0;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': root = optarg; break;
        case OPT_SPEAKERS:
            if (cli_parse_int("--speakers", optarg, 1, 100000, &v)) return CLI_EXIT_USAGE;
            p.speakers = (int)v;
            break;
        case OPT_MINUTES:
            if (cli_parse_double("--minutes", optarg, 0.001, 1e6, &p.minutes)) return CLI_EXIT_USAGE;
            break;
        case OPT_DIM:
            if (cli_parse_int("--dim", optarg, 1, 65536, &v)) return CLI_EXIT_USAGE;
            p.dim = (int)v;
            break;
        case OPT_SEED:
            if (cli_parse_u64("--seed", optarg, &p.seed)) return CLI_EXIT_USAGE;
            break;
        case OPT_PREFIX: p.speaker_prefix = optarg; break;
        case OPT_FIRST:
            if (cli_parse_int("--first", optarg, 0, 1000000, &v)) return CLI_EXIT_USAGE;
            p.first_speaker = (int)v;
            break;
        case 'h': fputs(demo_usage, stdout); return CLI_EXIT_OK;
        default:
            if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
        }
    }
    if (!root || optind < argc) {
        cli_logf(RVCIDX_LOG_ERROR, "demo: %s; see 'rvcidx demo --help'",
                 root ? "unexpected argument" : "-o ROOT is required");
        return CLI_EXIT_USAGE;
    }
    cli_progress cp;
    cli_progress_init(&cp, stderr, 1);
    p.progress = cli_progress_cb;
    p.progress_user = &cp;
    uint64_t rows = 0;
    int rc = rvcidx_demo_write(root, &p, &rows);
    if (rc) return cli_fail(rc, NULL);
    cli_logf(RVCIDX_LOG_INFO, "demo: wrote %llu frames for %d speaker(s) under %s",
             (unsigned long long)rows, p.speakers, root);
    return CLI_EXIT_OK;
}
