/* cli_index_options.c — the index options shared by train, encode and build. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int parse_choice(const char *opt, const char *arg, const char *const *names, int n, int *out) {
    for (int i = 0; i < n; i++)
        if (!strcmp(arg, names[i])) return *out = i, 0;
    cli_logf(RVCIDX_LOG_ERROR, "%s: '%s' is not one of the choices (see --help)", opt, arg);
    return CLI_EXIT_USAGE;
}

int cli_parse_index_option(int opt, const char *arg, rvcidx_index_params *p) {
    static const char *const types[] = {"ivfpq4fs", "ivfflat", "auto"};
    static const char *const metrics[] = {"l2", "ip", "cosine"};
    static const char *const gpu[] = {"auto", "on", "off"};
    long v = 0;
    int choice = 0;
    uint64_t u = 0;
    switch (opt) {
    case CLI_OPT_INDEX:
        if (parse_choice("--index", arg, types, 3, &choice)) return CLI_EXIT_USAGE;
        p->type = (rvcidx_index_type)choice;
        return 0;
    case CLI_OPT_METRIC:
        if (parse_choice("--metric", arg, metrics, 3, &choice)) return CLI_EXIT_USAGE;
        p->metric = (rvcidx_metric)choice;
        return 0;
    case CLI_OPT_GPU:
        if (parse_choice("--gpu", arg, gpu, 3, &choice)) return CLI_EXIT_USAGE;
        p->gpu = (rvcidx_gpu_mode)choice;
        return 0;
    case CLI_OPT_NLIST:
        if (!strcmp(arg, "auto")) return p->nlist = 0, 0;
        if (cli_parse_int("--nlist", arg, 1, 1 << 24, &v)) return CLI_EXIT_USAGE;
        p->nlist = v;
        return 0;
    case CLI_OPT_SEED:
        if (cli_parse_u64("--seed", arg, &u)) return CLI_EXIT_USAGE;
        p->seed = u;
        return 0;
    case CLI_OPT_ITERATIONS:
        if (cli_parse_int("--iterations", arg, 1, 1000, &v)) return CLI_EXIT_USAGE;
        p->iterations = (int)v;
        return 0;
    case CLI_OPT_TRAIN_ROWS:
        if (!strcmp(arg, "auto")) return p->train_rows = 0, 0;
        if (cli_parse_int("--train-rows", arg, 1, 1L << 40, &v)) return CLI_EXIT_USAGE;
        p->train_rows = v;
        return 0;
    case CLI_OPT_THREADS:
        if (cli_parse_int("--threads", arg, 0, 4096, &v)) return CLI_EXIT_USAGE;
        p->threads = (int)v;
        return 0;
    case CLI_OPT_NPROBE:
        if (cli_parse_int("--nprobe", arg, 1, 1 << 24, &v)) return CLI_EXIT_USAGE;
        p->nprobe = (int)v;
        return 0;
    case CLI_OPT_K_FACTOR:
        if (cli_parse_int("--k-factor", arg, 1, 1024, &v)) return CLI_EXIT_USAGE;
        p->k_factor = (int)v;
        return 0;
    default: return -1;
    }
}

/* --gpu on is checked before any work: without it the build would ingest
 * (hours on a big tree) and only fail when training asks for the GPU. */
int cli_require_gpu(rvcidx_gpu_mode mode) {
    if (mode != RVCIDX_GPU_ON) return CLI_EXIT_OK;
    rvcidx_gpu_info info;
    if (rvcidx_gpu_probe(&info) == 0) return CLI_EXIT_OK;
    cli_logf(RVCIDX_LOG_ERROR, "--gpu on, but no GPU is usable: %s; use --gpu auto or off ('rvcidx gpu' says more)",
             info.reason);
    return CLI_EXIT_NO_GPU;
}
