/* rvcidx/version.h — what rvcidx was built as and what it runs with. */
#ifndef RVCIDX_VERSION_H
#define RVCIDX_VERSION_H

#include "rvcidx/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0"; static storage. */
RVCIDX_API const char *rvcidx_version(void);

/* Versions of the libraries this process actually runs with.
 * Each field is a NUL-terminated string filled by rvcidx_runtime_versions(). */
typedef struct rvcidx_runtime_versions {
    char faiss[32]; /* version of the faiss headers built against, "1.7.3" */
    char faiss_simd[32]; /* SIMD level faiss was compiled for, "avx2" */
    char hdf5[32];  /* from H5get_libversion() */
    char blas[160]; /* the BLAS loaded in this process, from its own report */
    char gpu[200];  /* "CUDA runtime 13.0, driver 13.0, 1 GPU: NVIDIA H100 ..." or
                       "no GPU: <reason>", which ends "(built with GPU support, CUDA
                       runtime 13.0)" in a GPU build */
} rvcidx_runtime_versions;

/* Fills *out. Never aborts on a machine without a GPU driver. Returns 0, or
 * RVCIDX_EINVAL for a NULL argument. */
RVCIDX_API int rvcidx_get_runtime_versions(rvcidx_runtime_versions *out);

#ifdef __cplusplus
}
#endif
#endif
