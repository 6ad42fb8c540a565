/* cmd_verify.c — `rvcidx verify OUTDIR`: every output against the manifest. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static const char verify_usage[] =
    "usage: rvcidx verify OUTDIR\n\n"
    "Recomputes the sha256 of every output listed in OUTDIR/manifest.json (an index's\n"
    "before faiss reads it) and checks that each index loads with the recorded type,\n"
    "d and ntotal. Lists every mismatch; exit 0 when all match, 10 otherwise.\n\n"
    "options:\n" CLI_COMMON_HELP;

static int verify_here(const char *outdir) {
    size_t bad = 0, checked = 0;
    int rc = rvcidx_verify(outdir, 0, &bad, &checked);
    if (rc) return cli_fail(rc, NULL);
    if (bad) {
        cli_logf(RVCIDX_LOG_ERROR, "verify: %zu mismatch(es) in %s (listed above); rebuild with 'rvcidx build'", bad,
                 outdir);
        return CLI_EXIT_VERIFY;
    }
    printf("verified %zu outputs in %s: all match the manifest\n", checked, outdir);
    return CLI_EXIT_OK;
}

/* faiss's reader trusts the file: an index crafted together with a manifest
 * that carries its hash can crash it. The check runs in a child process, so
 * such a file is reported as a mismatch instead of killing verify. */
static int verify_isolated(const char *outdir) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return verify_here(outdir); /* cannot isolate: check in this process */
    if (pid == 0) {
        int code = verify_here(outdir);
        fflush(stdout);
        _exit(code);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (sig == SIGINT || sig == SIGTERM) return CLI_EXIT_INTERRUPTED;
    cli_logf(RVCIDX_LOG_ERROR, "verify: %s: reading an index crashed faiss (%s): the file is damaged or crafted, and "
             "manifest.json was changed with it; do not load it; rebuild with 'rvcidx build'", outdir, strsignal(sig));
    return CLI_EXIT_VERIFY;
}

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
    return verify_isolated(argv[optind]);
}
