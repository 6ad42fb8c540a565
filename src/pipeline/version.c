/* version.c — rvcidx's version and the library versions it runs with. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/error_c.h>
#include <hdf5.h>

#include "store/h5util.h"
#include "base/internal.h"
#include "rvcidx/gpu.h"
#include "rvcidx/version.h"

#ifndef RVCIDX_VERSION_STRING
#error "RVCIDX_VERSION_STRING comes from CMake's project(VERSION)"
#endif

const char *rvcidx_version(void) { return RVCIDX_VERSION_STRING; }

/* The BLAS that faiss loaded into this process, asked at run time: which
 * libblas.so.3 alternative is active is the machine's choice, not ours. */
static void describe_blas(char *buf, size_t n) {
    char *(*openblas_config)(void) = (char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_config");
    if (openblas_config) {
        snprintf(buf, n, "%s", openblas_config());
        return;
    }
    snprintf(buf, n, "unknown (not OpenBLAS)");
}

static void describe_gpu(char *buf, size_t n) {
    rvcidx_gpu_info info;
    if (rvcidx_gpu_probe(&info) != 0 && rvcidx_gpu_compiled()) { /* say so: the binary is the GPU build */
        snprintf(buf, n, "no GPU: %.120s (built with GPU support, CUDA runtime %d.%d)", info.reason,
                 info.runtime_version / 1000, info.runtime_version % 1000 / 10);
        return;
    }
    if (info.count == 0) {
        snprintf(buf, n, "no GPU: %s", info.reason);
        return;
    }
    snprintf(buf, n, "CUDA runtime %d.%d, driver %d.%d, %d GPU%s: %s (%.0f GiB)",
             info.runtime_version / 1000, info.runtime_version % 1000 / 10,
             info.driver_version / 1000, info.driver_version % 1000 / 10, info.count,
             info.count == 1 ? "" : "s", info.name,
             (double)info.memory_bytes / (1024.0 * 1024.0 * 1024.0));
}

/* Creating a one-dimensional flat index proves the faiss C API library loads
 * and works here (and loads the BLAS that faiss links, for describe_blas). */
static int check_faiss_runs(void) {
    FaissIndexFlatL2 *index = NULL;
    if (faiss_IndexFlatL2_new_with(&index, 1) != 0 || !index)
        return rvcidx__fail(RVCIDX_EFAISS, "faiss C API does not work here: %s", faiss_get_last_error());
    faiss_IndexFlatL2_free(index);
    return 0;
}

int rvcidx_get_runtime_versions(rvcidx_runtime_versions *out) {
    if (!out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_get_runtime_versions: NULL argument");
    memset(out, 0, sizeof *out);
    RVCIDX__TRY(check_faiss_runs());
    snprintf(out->faiss, sizeof out->faiss, "%s", RVCIDX_FAISS_VERSION);
    snprintf(out->faiss_simd, sizeof out->faiss_simd, "%s", RVCIDX_FAISS_SIMD);
    unsigned maj = 0, min = 0, rel = 0;
    rvcidx__h5_init();
    if (H5get_libversion(&maj, &min, &rel) >= 0)
        snprintf(out->hdf5, sizeof out->hdf5, "%u.%u.%u", maj, min, rel);
    else
        snprintf(out->hdf5, sizeof out->hdf5, "unknown");
    describe_blas(out->blas, sizeof out->blas);
    describe_gpu(out->gpu, sizeof out->gpu);
    return 0;
}
