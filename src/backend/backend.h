/* backend.h — private: the device interface the pipeline runs on.
 *
 * Stages ask a backend for the flat (exact) index that k-means assigns
 * points with; the CPU backend gives faiss's IndexFlat, the CUDA backend a
 * GpuIndexFlat on the run's device. Everything else stays the same on both, so a
 * GPU build differs from a CPU build only where the backend is used.
 */
#ifndef RVCIDX_BACKEND_H
#define RVCIDX_BACKEND_H

#include <faiss/c_api/Index_c.h>
#include <stddef.h>

#include "rvcidx/run.h"

typedef struct rvcidx__backend {
    const char *name; /* "cpu" or "cuda" */
    /* 1: new_flat gives faiss's CPU IndexFlat, in host memory, so a CPU
     * IndexFlat that already holds the vectors (an RFlat index's exact copy)
     * searches as fast: eval's ground truth uses it instead of a new copy.
     * 0: the backend's flat index is faster than that (the GPU's). */
    int host_flat;
    /* One line describing the device, for logs and manifests. Required. */
    void (*describe)(const struct rvcidx__backend *b, char *out, size_t n);
    /* An exact flat index of dimension d for the metric (L2 or inner
     * product), empty. The caller releases it with free_flat. Required. */
    int (*new_flat)(const struct rvcidx__backend *b, int d, int inner_product, FaissIndex **out);
    void (*free_flat)(const struct rvcidx__backend *b, FaissIndex *index);
    /* Frees the backend itself with what it owns (GPU resources). Required. */
    void (*release)(struct rvcidx__backend *b);
    void *state; /* backend-owned (GPU resources) */
} rvcidx__backend;

/* Picks the backend for mode: the CUDA one on device when built with it and
 * that GPU is usable (RVCIDX_GPU_ON without one fails with RVCIDX_ENOGPU),
 * else the CPU one. Logs which and why. Release with rvcidx__backend_release.
 * Stages get theirs from the run's context (backend/run_context.h), which
 * acquires it once. */
int rvcidx__backend_acquire(rvcidx_gpu_mode mode, int device, rvcidx__backend **out);
void rvcidx__backend_release(rvcidx__backend *b);

/* The CPU backend (always available). */
int rvcidx__backend_cpu_init(rvcidx__backend **out);

#ifdef RVCIDX_USE_CUDA
/* The CUDA backend; call only after rvcidx_gpu_probe() succeeded. */
int rvcidx__backend_cuda_init(int device, rvcidx__backend **out);
#endif

#endif
