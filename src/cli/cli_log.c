/* cli_log.c — the command's one logger: text or JSON lines on stderr. */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

cli_log g_cli_log = {NULL, 0, RVCIDX_LOG_INFO};

int cli_exit_code(int status) {
    switch (status) {
    case RVCIDX_OK: return CLI_EXIT_OK;
    case RVCIDX_EINVAL: return CLI_EXIT_USAGE;
    case RVCIDX_EINPUT: return CLI_EXIT_BAD_INPUT;
    case RVCIDX_EIO:
    case RVCIDX_EHDF5: return CLI_EXIT_IO;
    case RVCIDX_ENOTIMPL: return CLI_EXIT_NOT_IMPLEMENTED;
    case RVCIDX_ENOGPU: return CLI_EXIT_NO_GPU;
    case RVCIDX_ETARGET: return CLI_EXIT_TARGET;
    case RVCIDX_ENOMEM:
    case RVCIDX_ETOOBIG: return CLI_EXIT_TOO_BIG;
    case RVCIDX_ELOCKED: return CLI_EXIT_LOCKED;
    case RVCIDX_EINTR: return CLI_EXIT_INTERRUPTED;
    case RVCIDX_EVERIFY: return CLI_EXIT_VERIFY;
    default: return CLI_EXIT_INTERNAL;
    }
}

static void emit_json(rvcidx_log_level level, const char *msg) {
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *obj = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", rvcidx_log_level_name(level), "msg", msg);
    char *line = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (line) fprintf(g_cli_log.out, "%s\n", line);
    free(line);
    json_decref(obj);
}

static void cli_sink(rvcidx_log_level level, const char *msg, void *user) {
    (void)user;
    if (level > g_cli_log.level) return;
    if (g_cli_log.json) {
        emit_json(level, msg);
        return;
    }
    if (level <= RVCIDX_LOG_WARN)
        fprintf(g_cli_log.out, "rvcidx: %s: %s\n", rvcidx_log_level_name(level), msg);
    else
        fprintf(g_cli_log.out, "rvcidx: %s\n", msg);
}

void cli_log_install(void) {
    if (!g_cli_log.out) g_cli_log.out = stderr;
    rvcidx_log_set_sink(cli_sink, NULL, g_cli_log.level);
}

void cli_logf(rvcidx_log_level level, const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (!g_cli_log.out) g_cli_log.out = stderr;
    cli_sink(level, line, NULL);
}

int cli_fail(int status, const char *what) {
    const char *msg = rvcidx_last_error();
    cli_logf(RVCIDX_LOG_ERROR, "%s", msg[0] ? msg : (what ? what : rvcidx_strerror(status)));
    return cli_exit_code(status);
}
