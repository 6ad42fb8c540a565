/* cli_parse.c — strict number parsing for options: the whole text must be a
 * number in range, or the user gets a usage error naming the option. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"

int cli_parse_int(const char *opt, const char *text, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        cli_logf(RVCIDX_LOG_ERROR, "%s: '%s' is not an integer in %ld..%ld", opt, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *text, double min, double max, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= min && v <= max)) {
        cli_logf(RVCIDX_LOG_ERROR, "%s: '%s' is not a number in %g..%g", opt, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u64(const char *opt, const char *text, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-') {
        cli_logf(RVCIDX_LOG_ERROR, "%s: '%s' is not a non-negative integer", opt, text);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_lock_dir_of(const char *path, int *lock) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    const char *dir = dirname(buf);
    *lock = -1;
    if (!cli_is_directory(dir)) return CLI_EXIT_OK;
    int rc = rvcidx_outdir_lock(dir, lock);
    return rc ? cli_fail(rc, NULL) : CLI_EXIT_OK;
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
