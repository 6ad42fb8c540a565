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

/* The command's exit codes live here, not in the CLI, so every front end
 * (the command, the Python package) classes a failure the same way. */
int rvcidx_exit_code(int status) {
    switch (status) {
    case RVCIDX_OK: return 0;
    case RVCIDX_EINVAL: return 2;
    case RVCIDX_EINPUT: return 3;
    case RVCIDX_EIO:
    case RVCIDX_EHDF5: return 4;
    case RVCIDX_ENOTIMPL: return 5;
    case RVCIDX_ENOGPU: return 6;
    case RVCIDX_ETARGET: return 7;
    case RVCIDX_ENOMEM:
    case RVCIDX_ETOOBIG: return 8;
    case RVCIDX_ELOCKED: return 9;
    case RVCIDX_EVERIFY: return 10;
    case RVCIDX_EINTR: return 130;
    default: return 1;
    }
}

const char *rvcidx_exit_reason(int code) {
    switch (code) {
    case 0: return "built";
    case 2: return "failed: bad option (exit 2)";
    case 3: return "failed: bad input (exit 3)";
    case 4: return "failed: I/O error (exit 4)";
    case 6: return "failed: no usable GPU (exit 6)";
    case 7: return "failed: recall target not reached (exit 7)";
    case 8: return "refused: does not fit this machine (exit 8)";
    case 9: return "failed: locked by another build (exit 9)";
    case 130: return "stopped: interrupted (exit 130)";
    default: return code > 128 ? "failed: killed by a signal (out of memory?)" : "failed (see the log)";
    }
}
