/* rvcidx/error.h — status codes and the last-error message.
 *
 * Every rvcidx function that can fail returns an int: 0 on success, one of
 * the negative RVCIDX_E* codes below otherwise. The message that says what
 * went wrong (file, row, what to do next) stays readable through
 * rvcidx_last_error() until the next failing rvcidx call on the same thread.
 */
#ifndef RVCIDX_ERROR_H
#define RVCIDX_ERROR_H

#include "rvcidx/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, description): the one list every table is generated from. */
#define RVCIDX_ERRNO_MAP(X)                                                    \
    X(OK, 0, "success")                                                        \
    X(EINVAL, -1, "invalid argument")                                          \
    X(EINPUT, -2, "bad input data")                                            \
    X(EIO, -3, "I/O error")                                                    \
    X(ENOMEM, -4, "out of memory")                                             \
    X(EFAISS, -5, "faiss error")                                               \
    X(EHDF5, -6, "HDF5 error")                                                 \
    X(ENOGPU, -7, "no usable GPU")                                             \
    X(ENOTIMPL, -8, "not implemented yet")                                     \
    X(EINTR, -9, "interrupted")                                                \
    X(ELOCKED, -10, "locked by another process")                               \
    X(ETARGET, -11, "quality target not reached")                              \
    X(ETOOBIG, -12, "does not fit this machine")                              \
    X(EVERIFY, -13, "outputs do not match their manifest")

typedef enum rvcidx_errno {
#define RVCIDX_ERRNO_ENUM(name, value, desc) RVCIDX_##name = (value),
    RVCIDX_ERRNO_MAP(RVCIDX_ERRNO_ENUM)
#undef RVCIDX_ERRNO_ENUM
} rvcidx_errno;

/* Short description of a status code ("bad input data"); never NULL. */
RVCIDX_API const char *rvcidx_strerror(int code);

/* Symbolic name of a status code ("RVCIDX_EINPUT"); never NULL. */
RVCIDX_API const char *rvcidx_err_name(int code);

/* The message of the last failure on this thread, or "" if none.
 * Owned by the library; valid until the next failure on this thread. */
RVCIDX_API const char *rvcidx_last_error(void);

/* The exit code `rvcidx` uses for a status (docs/exit-codes.md): 0 ok, 2 bad
 * parameter, 3 bad input, 4 I/O, 6 no GPU, 7 target not reached, 8 does not
 * fit, 9 locked, 10 verify mismatch, 130 interrupted, 1 anything else. */
RVCIDX_API int rvcidx_exit_code(int status);

/* What an exit code means, in a few words ("failed: bad input (exit 3)"). */
RVCIDX_API const char *rvcidx_exit_reason(int exit_code);

#ifdef __cplusplus
}
#endif
#endif
