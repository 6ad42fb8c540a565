/* gpu_none.c — the GPU probe of a build without GPU support (RVCIDX_GPU=OFF). */
#include <stdio.h>
#include <string.h>

#include "base/internal.h"
#include "rvcidx/gpu.h"

int rvcidx_gpu_compiled(void) { return 0; }

int rvcidx_gpu_probe(rvcidx_gpu_info *out) { return rvcidx_gpu_probe_device(0, out); }

int rvcidx_gpu_probe_device(int device, rvcidx_gpu_info *out) {
    (void)device;
    if (!out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_gpu_probe: NULL argument");
    memset(out, 0, sizeof *out);
    snprintf(out->reason, sizeof out->reason,
             "built without GPU support (configure with -DRVCIDX_GPU=ON)");
    return rvcidx__fail(RVCIDX_ENOGPU, "%s", out->reason);
}
