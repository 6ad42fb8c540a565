/* log.c — forwards the library's log lines to the caller's sink. */
#include <stdio.h>

#include "base/internal.h"

static rvcidx_log_fn sink_fn;
static void *sink_user;
static rvcidx_log_level sink_max = RVCIDX_LOG_INFO;

void rvcidx_log_set_sink(rvcidx_log_fn fn, void *user, rvcidx_log_level max_level) {
    sink_fn = fn;
    sink_user = user;
    sink_max = max_level;
}

const char *rvcidx_log_level_name(rvcidx_log_level level) {
    static const char *const names[] = {"error", "warn", "info", "debug"};
    return (unsigned)level < 4 ? names[level] : "?";
}

void rvcidx__log(rvcidx_log_level level, const char *fmt, ...) {
    if (!sink_fn || level > sink_max) return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sink_fn(level, line, sink_user);
}
