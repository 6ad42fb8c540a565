/* gpu_probe.c — finds usable CUDA devices through the CUDA runtime.
 *
 * Only the CUDA runtime is asked: it returns an error code on a machine
 * without a driver, where a GPU-enabled faiss would abort the process
 * (faiss_get_num_gpus, CUDA error 35). Every faiss GPU call in rvcidx comes
 * after this probe has said yes.
 */
#include <stdio.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "base/internal.h"
#include "rvcidx/gpu.h"

int rvcidx_gpu_compiled(void) { return 1; }

int rvcidx_gpu_probe(rvcidx_gpu_info *out) { return rvcidx_gpu_probe_device(0, out); }

int rvcidx_gpu_probe_device(int device, rvcidx_gpu_info *out) {
    if (!out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_gpu_probe: NULL argument");
    memset(out, 0, sizeof *out);
    cudaRuntimeGetVersion(&out->runtime_version);
    if (cudaDriverGetVersion(&out->driver_version) != cudaSuccess) out->driver_version = 0;

    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess || count <= 0) {
        snprintf(out->reason, sizeof out->reason, "cudaGetDeviceCount: %s",
                 err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
        cudaGetLastError(); /* clear the sticky error so later probes start clean */
        return rvcidx__fail(RVCIDX_ENOGPU, "no usable GPU: %s", out->reason);
    }
    if (device < 0 || device >= count) {
        snprintf(out->reason, sizeof out->reason, "no CUDA device %d: %d device(s), numbered from 0", device, count);
        return rvcidx__fail(RVCIDX_ENOGPU, "no usable GPU: %s; use `gpu_device` 0..%d", out->reason, count - 1);
    }
    struct cudaDeviceProp prop;
    err = cudaGetDeviceProperties(&prop, device);
    if (err != cudaSuccess) {
        snprintf(out->reason, sizeof out->reason, "cudaGetDeviceProperties: %s",
                 cudaGetErrorString(err));
        return rvcidx__fail(RVCIDX_ENOGPU, "no usable GPU: %s", out->reason);
    }
    out->count = count;
    out->device = device;
    snprintf(out->name, sizeof out->name, "%.127s", prop.name);
    out->memory_bytes = (unsigned long long)prop.totalGlobalMem;
    return 0;
}
