/* internal.h — private helpers shared by the library's sources (not installed).
 *
 * Failing: `return rvcidx__fail(RVCIDX_EIO, "%s: %s", path, strerror(errno));`
 * records the message for rvcidx_last_error() and returns the code, so every
 * error path is one line.
 *
 * Messages name parameters, never the CLI's flags: between backquotes, alone
 * or with a value ("pass `skip_bad`", "use `index=ivfflat`"), by the names
 * rvcidx_build_params_set takes; the CLI shows its options there (--skip-bad,
 * --index ivfflat; src/cli/cli_log.c).
 */
#ifndef RVCIDX_INTERNAL_H
#define RVCIDX_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "rvcidx/error.h"
#include "rvcidx/log.h"

#if defined(__GNUC__)
#define RVCIDX__PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define RVCIDX__PRINTF(fmt_idx, arg_idx)
#endif

/* Records the formatted message as this thread's last error; returns code. */
int rvcidx__fail(int code, const char *fmt, ...) RVCIDX__PRINTF(2, 3);

/* Sends one formatted line to the log sink, if any accepts this level. */
void rvcidx__log(rvcidx_log_level level, const char *fmt, ...) RVCIDX__PRINTF(2, 3);

/* Propagates a failing status: the callee has already set the message. */
#define RVCIDX__TRY(expr)                                                      \
    do {                                                                       \
        int rvcidx__rc = (expr);                                               \
        if (rvcidx__rc != 0) return rvcidx__rc;                                \
    } while (0)

/* 1 when s is valid UTF-8 (utf8.c). */
int rvcidx__utf8_valid(const char *s);

/* s as UTF-8 that gives s back: a byte outside a valid sequence becomes
 * \xNN and a backslash \\ (for text that is not UTF-8: callers escape
 * only then, and say so). Malloc'd (caller frees); NULL when out of memory. */
char *rvcidx__utf8_escape(const char *s);

#endif
