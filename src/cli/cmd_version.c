/* cmd_version.c — `rvcidx version` / `--version` and `rvcidx gpu`. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static int parse_common_only(int argc, char **argv, const char *usage) {
    static const struct option longopts[] = {CLI_COMMON_LONG, {0, 0, 0, 0}};
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\noptions:\n" CLI_COMMON_HELP, usage);
            return -1;
        }
        if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    if (optind < argc) {
        cli_logf(RVCIDX_LOG_ERROR, "unexpected argument '%s'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cmd_version(int argc, char **argv) {
    int rc = parse_common_only(argc, argv, "usage: rvcidx version");
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    rvcidx_runtime_versions v;
    rc = rvcidx_get_runtime_versions(&v);
    if (rc) return cli_fail(rc, NULL);
    printf("rvcidx %s\n", rvcidx_version());
    printf("faiss  %s (%s, C API)\n", v.faiss, v.faiss_simd);
    printf("hdf5   %s\n", v.hdf5);
    printf("blas   %s\n", v.blas);
    printf("gpu    %s\n", v.gpu);
    return CLI_EXIT_OK;
}

int cmd_gpu(int argc, char **argv) {
    int rc = parse_common_only(argc, argv,
                               "usage: rvcidx gpu\n\nExits 0 when a usable GPU is present, 6 otherwise.");
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    rvcidx_gpu_info info;
    if (rvcidx_gpu_probe(&info) != 0) {
        printf("no GPU: %s\n", info.reason);
        return CLI_EXIT_NO_GPU;
    }
    printf("%d GPU(s); device 0: %s, %.1f GiB\n", info.count, info.name,
           (double)info.memory_bytes / (1024.0 * 1024.0 * 1024.0));
    return CLI_EXIT_OK;
}
