/* error.c — status code names and the per-thread last-error message. */
#include <stdio.h>

#include "internal.h"

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

int rvcidx__fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}
