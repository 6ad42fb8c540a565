/* cli_index_options.c — the index options shared by train, encode and build.
 * The values are parsed by the library (rvcidx_index_params_set): one parser
 * for the options and for bindings. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_parse_index_option(int opt, const char *arg, rvcidx_index_params *p) {
    static const char *const keys[] = {"index", "metric", "nlist", "seed", "iterations",
                                       "train_rows", "threads", "gpu", "nprobe", "k_factor", "refine",
                                       "max_index_size"};
    if (opt < CLI_OPT_INDEX || opt > CLI_OPT_MAX_INDEX_SIZE) return -1;
    const char *key = keys[opt - CLI_OPT_INDEX];
    return rvcidx_index_params_set(p, key, arg) ? cli_param_fail(key) : 0;
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
