/* backend.c — chooses between the CPU and CUDA backends. */

#include "backend/backend.h"
#include "base/internal.h"
#include "rvcidx/gpu.h"

int rvcidx__backend_acquire(rvcidx_gpu_mode mode, int device, rvcidx__backend **out) {
    *out = NULL;
    if (mode == RVCIDX_GPU_OFF) {
        rvcidx__log(RVCIDX_LOG_INFO, "device: cpu (`gpu=off`)");
        return rvcidx__backend_cpu_init(out);
    }
    rvcidx_gpu_info info;
    if (rvcidx_gpu_probe_device(device, &info) != 0) {
        if (mode == RVCIDX_GPU_ON)
            return rvcidx__fail(RVCIDX_ENOGPU, "`gpu=on`, but no GPU is usable: %s; use `gpu=auto` or `gpu=off` "
                                "('rvcidx gpu' says more)", info.reason);
        rvcidx__log(RVCIDX_LOG_INFO, "device: cpu (no GPU: %s)", info.reason);
        return rvcidx__backend_cpu_init(out);
    }
#ifdef RVCIDX_USE_CUDA
    rvcidx__log(RVCIDX_LOG_INFO, "device: cuda:%d %s (%s)", device, info.name,
                mode == RVCIDX_GPU_ON ? "`gpu=on`" : "GPU found");
    return rvcidx__backend_cuda_init(device, out);
#else
    return rvcidx__backend_cpu_init(out); /* unreachable: the probe fails without CUDA */
#endif
}

void rvcidx__backend_release(rvcidx__backend *b) {
    if (b) b->release(b);
}
