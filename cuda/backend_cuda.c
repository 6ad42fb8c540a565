/* backend_cuda.c — the CUDA backend: faiss GPU flat indexes through the
 * faiss C API (GpuIndexFlat via faiss_index_cpu_to_gpu on the run's device,
 * `gpu_device`).
 *
 * k-means on the GPU: faiss's Clustering runs its iterations on the CPU but
 * assigns points through this index, which is where the N*nlist*D work is.
 * Only reached after rvcidx_gpu_probe() found a device (a GPU-enabled faiss
 * aborts the process when asked about GPUs on a machine without a driver).
 */
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/gpu/GpuAutoTune_c.h>
#include <faiss/c_api/gpu/StandardGpuResources_c.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/backend.h"
#include "base/faiss_check.h"
#include "rvcidx/gpu.h"

typedef struct cuda_state {
    FaissStandardGpuResources *resources;
    int number;          /* the CUDA device */
    char device[160];
} cuda_state;

static void cuda_describe(const rvcidx__backend *b, char *out, size_t n) {
    const cuda_state *s = b->state;
    snprintf(out, n, "%s", s->device);
}

static int cuda_new_flat(const rvcidx__backend *b, int d, int inner_product, FaissIndex **out) {
    cuda_state *s = b->state;
    FaissIndexFlat *cpu = NULL;
    RVCIDX__FAISS_CHECK(faiss_IndexFlat_new_with(&cpu, d, inner_product ? METRIC_INNER_PRODUCT : METRIC_L2),
                        "IndexFlat_new_with");
    FaissGpuIndex *gpu = NULL;
    int rc = faiss_index_cpu_to_gpu((FaissGpuResourcesProvider *)s->resources, s->number, (FaissIndex *)cpu, &gpu);
    faiss_Index_free((FaissIndex *)cpu);
    RVCIDX__FAISS_CHECK(rc, "index_cpu_to_gpu (flat)");
    *out = (FaissIndex *)gpu;
    return 0;
}

static void cuda_free_flat(const rvcidx__backend *b, FaissIndex *index) {
    (void)b;
    faiss_Index_free(index);
}

static void cuda_release(rvcidx__backend *b) {
    cuda_state *s = b->state;
    if (s) faiss_StandardGpuResources_free(s->resources);
    free(s);
    free(b);
}

int rvcidx__backend_cuda_init(int device, rvcidx__backend **out) {
    rvcidx__backend *b = calloc(1, sizeof *b);
    cuda_state *s = calloc(1, sizeof *s);
    if (!b || !s) {
        free(b);
        free(s);
        return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    }
    if (faiss_StandardGpuResources_new(&s->resources) != 0) {
        const char *msg = faiss_get_last_error();
        free(b);
        free(s);
        return rvcidx__fail(RVCIDX_ENOGPU, "faiss could not set up the GPU: %s", msg ? msg : "?");
    }
    rvcidx_gpu_info info;
    rvcidx_gpu_probe_device(device, &info);
    s->number = device;
    snprintf(s->device, sizeof s->device, "cuda:%d %.100s (%.0f GiB, CUDA runtime %d.%d)", device, info.name,
             (double)info.memory_bytes / (1024.0 * 1024.0 * 1024.0), info.runtime_version / 1000,
             info.runtime_version % 1000 / 10);
    b->name = "cuda";
    b->describe = cuda_describe;
    b->new_flat = cuda_new_flat;
    b->free_flat = cuda_free_flat;
    b->release = cuda_release;
    b->state = s;
    *out = b;
    return 0;
}
