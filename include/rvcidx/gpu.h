/* rvcidx/gpu.h — is a usable GPU present?
 *
 * Asked through the CUDA runtime (cudaGetDeviceCount), never through faiss:
 * a GPU-enabled faiss aborts the whole process when no driver is present.
 * In a build without GPU support the probe reports that as the reason.
 */
#ifndef RVCIDX_GPU_H
#define RVCIDX_GPU_H

#include "rvcidx/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rvcidx_gpu_info {
    int count;               /* usable CUDA devices; 0 when none */
    int runtime_version;     /* e.g. 13000 for CUDA 13.0; 0 when unknown */
    int driver_version;      /* 0 when no driver */
    int device;              /* the device name and memory_bytes describe */
    char name[128];          /* its name, "" when none */
    unsigned long long memory_bytes; /* its total memory */
    char reason[160];        /* why count is 0, "" otherwise */
} rvcidx_gpu_info;

/* 1 when this library was built with GPU support (RVCIDX_GPU=ON). */
RVCIDX_API int rvcidx_gpu_compiled(void);

/* Fills *out. Returns 0 when a GPU is usable, RVCIDX_ENOGPU otherwise (out
 * then says why, as does rvcidx_last_error()), RVCIDX_EINVAL for NULL. */
RVCIDX_API int rvcidx_gpu_probe(rvcidx_gpu_info *out);

/* The same for CUDA device number device (0-based): RVCIDX_ENOGPU, said
 * why, when there is no such device. */
RVCIDX_API int rvcidx_gpu_probe_device(int device, rvcidx_gpu_info *out);

#ifdef __cplusplus
}
#endif
#endif
