/* run_context.h — private: one run's context, made once from its
 * rvcidx_run and handed to every stage it runs: the device, acquired once
 * (by the first stage that needs it, or up front by a build, so that
 * `gpu=on` without a GPU fails before any work), the CPU threads, set for
 * the run and put back after it, and the progress callback that also
 * cancels. */
#ifndef RVCIDX_RUN_CONTEXT_H
#define RVCIDX_RUN_CONTEXT_H

#include "backend/backend.h"
#include "base/threads.h"
#include "rvcidx/run.h"

typedef struct rvcidx__ctx {
    rvcidx_run run;            /* the caller's (NULL given: rvcidx_run_default()) */
    rvcidx__backend *backend;  /* the device, once acquired; NULL before */
    rvcidx__thread_counts threads_before; /* put back by rvcidx__ctx_close */
} rvcidx__ctx;

/* Starts a run: copies run (NULL: the defaults) and sets its threads. */
void rvcidx__ctx_open(rvcidx__ctx *c, const rvcidx_run *run);

/* The run's device: acquired on the first call (logged once), the same
 * backend after. RVCIDX_ENOGPU for `gpu=on` without that GPU. */
int rvcidx__ctx_device(rvcidx__ctx *c, rvcidx__backend **out);

/* Releases the device and puts the thread counts back. */
void rvcidx__ctx_close(rvcidx__ctx *c);

#endif
