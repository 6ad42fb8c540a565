/* rvcidx/progress.h — progress reports from long-running stages.
 *
 * Stages call the caller's callback as work advances; drawing a bar, printing
 * log lines or ignoring it is the caller's choice (the CLI draws a bar with
 * rate and ETA on a terminal and plain lines otherwise).
 */
#ifndef RVCIDX_PROGRESS_H
#define RVCIDX_PROGRESS_H

#include "rvcidx/export.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rvcidx_progress {
    const char *stage; /* "demo", "ingest", "train", ... */
    const char *unit;  /* what done/total count: "rows", "files", "iterations" */
    uint64_t done;
    uint64_t total;    /* 0 when unknown */
    uint64_t bytes;    /* bytes processed so far, 0 when not meaningful */
    int finished;      /* 1 on the stage's last report */
} rvcidx_progress;

/* Return non-zero to ask the stage to stop; it then fails with RVCIDX_EINTR
 * and leaves nothing half-written. */
typedef int (*rvcidx_progress_fn)(const rvcidx_progress *p, void *user);

#ifdef __cplusplus
}
#endif
#endif
