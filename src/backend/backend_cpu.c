/* backend_cpu.c — the CPU backend: faiss's IndexFlat, OpenMP threads. */
#include <faiss/c_api/IndexFlat_c.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/backend.h"
#include "base/faiss_check.h"

static void cpu_describe(const rvcidx__backend *b, char *out, size_t n) {
    (void)b;
    int threads = omp_get_max_threads();
    snprintf(out, n, "cpu (%d thread%s)", threads, threads == 1 ? "" : "s");
}

static int cpu_new_flat(const rvcidx__backend *b, int d, int inner_product, FaissIndex **out) {
    (void)b;
    FaissIndexFlat *flat = NULL;
    RVCIDX__FAISS_CHECK(faiss_IndexFlat_new_with(&flat, d, inner_product ? METRIC_INNER_PRODUCT : METRIC_L2),
                        "IndexFlat_new_with");
    *out = (FaissIndex *)flat;
    return 0;
}

static void cpu_free_flat(const rvcidx__backend *b, FaissIndex *index) {
    (void)b;
    faiss_Index_free(index);
}

static void cpu_release(rvcidx__backend *b) { free(b); }

int rvcidx__backend_cpu_init(rvcidx__backend **out) {
    rvcidx__backend *b = calloc(1, sizeof *b);
    if (!b) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    b->name = "cpu";
    b->host_flat = 1;
    b->describe = cpu_describe;
    b->new_flat = cpu_new_flat;
    b->free_flat = cpu_free_flat;
    b->release = cpu_release;
    *out = b;
    return 0;
}
