/* rvcidx/run.h — how a run goes, apart from what it computes: the device
 * (GPU mode and CUDA device number), the CPU threads, and the progress
 * callback, which is also the way to cancel.
 *
 * Every stage takes one (NULL: rvcidx_run_default()). A whole build
 * (rvcidx_build) holds one in its parameters and acquires the device once,
 * before any work, for every stage and every index it runs. What a run
 * writes does not depend on it: the same inputs and parameters give the same
 * files on the GPU or the CPU and on any number of threads.
 */
#ifndef RVCIDX_RUN_H
#define RVCIDX_RUN_H

#include "rvcidx/export.h"

#include "rvcidx/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rvcidx_gpu_mode {
    RVCIDX_GPU_AUTO = 0, /* the GPU when one is usable, else the CPU (logged) */
    RVCIDX_GPU_ON = 1,   /* the GPU or fail with RVCIDX_ENOGPU */
    RVCIDX_GPU_OFF = 2
} rvcidx_gpu_mode;

typedef struct rvcidx_run { /* from rvcidx_run_default() */
    rvcidx_gpu_mode gpu;         /* where k-means and exact searches run (default auto) */
    int gpu_device;              /* the CUDA device they run on (default 0) */
    int threads;                 /* CPU threads (OpenMP's and the BLAS's), 0 (default): all cores */
    rvcidx_progress_fn progress; /* optional: every stage reports through it; returning non-zero
                                    stops the run cleanly (RVCIDX_EINTR) */
    void *progress_user;
} rvcidx_run;

RVCIDX_API rvcidx_run rvcidx_run_default(void);

/* Sets one of gpu (auto|on|off), gpu_device (0..1023) and threads
 * (0..4096) from text; RVCIDX_EINVAL for an unknown name or a bad value,
 * the message starting with the name. */
RVCIDX_API int rvcidx_run_set(rvcidx_run *run, const char *key, const char *value);

#ifdef __cplusplus
}
#endif
#endif
