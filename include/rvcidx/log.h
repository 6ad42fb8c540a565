/* rvcidx/log.h — where the library's log messages go.
 *
 * The library never prints: it hands each message to the sink set here (none
 * by default, so an embedding program stays silent unless it asks).
 */
#ifndef RVCIDX_LOG_H
#define RVCIDX_LOG_H

#include "rvcidx/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rvcidx_log_level {
    RVCIDX_LOG_ERROR = 0,
    RVCIDX_LOG_WARN = 1,
    RVCIDX_LOG_INFO = 2,
    RVCIDX_LOG_DEBUG = 3
} rvcidx_log_level;

/* msg is one line without a trailing newline, owned by the library and valid
 * only during the call. */
typedef void (*rvcidx_log_fn)(rvcidx_log_level level, const char *msg, void *user);

/* Sends messages at or below max_level to fn (NULL: discard everything).
 * Process-wide; set it before starting any work. */
RVCIDX_API void rvcidx_log_set_sink(rvcidx_log_fn fn, void *user, rvcidx_log_level max_level);

/* Lower-case name of a level ("warn"); never NULL. */
RVCIDX_API const char *rvcidx_log_level_name(rvcidx_log_level level);

#ifdef __cplusplus
}
#endif
#endif
