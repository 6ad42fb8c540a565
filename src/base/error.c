/* error.c — status code names and the per-thread last-error message. */
#include <stdio.h>
#include <string.h>

#include "base/internal.h"

static _Thread_local char last_error[2048];

const char *rvcidx_strerror(int code) {
    switch (code) {
#define RVCIDX_ERRNO_DESC(name, value, desc)                                   \
    case RVCIDX_##name:                                                        \
        return desc;
        RVCIDX_ERRNO_MAP(RVCIDX_ERRNO_DESC)
#undef RVCIDX_ERRNO_DESC
    }
    return "unknown error";
}

const char *rvcidx_err_name(int code) {
    switch (code) {
#define RVCIDX_ERRNO_NAME(name, value, desc)                                   \
    case RVCIDX_##name:                                                        \
        return "RVCIDX_" #name;
        RVCIDX_ERRNO_MAP(RVCIDX_ERRNO_NAME)
#undef RVCIDX_ERRNO_NAME
    }
    return "RVCIDX_UNKNOWN";
}

const char *rvcidx_last_error(void) { return last_error; }

/* Formatted aside first: callers often wrap the previous error
 * ("...: %s", rvcidx_last_error()), and formatting into the buffer an
 * argument points into garbles the line. */
int rvcidx__fail(int code, const char *fmt, ...) {
    char line[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    memcpy(last_error, line, sizeof line);
    return code;
}
