/* threads.c — how many threads faiss's work runs on.
 *
 * faiss parallelises with OpenMP, but hands its distance products to the
 * BLAS, and Debian's default OpenBLAS (the pthreads build) keeps a pool of
 * its own, one thread a core, that omp_set_num_threads does not reach. A
 * "1 thread" search timed with OpenMP alone ran its coarse-quantizer GEMM on
 * 2 cores here, and `--threads N` with several builds at once oversubscribed
 * the cores. OpenBLAS's controls are looked up at run time: the libblas.so.3
 * alternative that faiss loads is the machine's choice, and with another
 * BLAS there is nothing to set. */
#include <dlfcn.h>
#include <omp.h>

#include "base/threads.h"

typedef void (*set_fn)(int);
typedef int (*get_fn)(void);

static set_fn openblas_set(void) { return (set_fn)dlsym(RTLD_DEFAULT, "openblas_set_num_threads"); }
static get_fn openblas_get(void) { return (get_fn)dlsym(RTLD_DEFAULT, "openblas_get_num_threads"); }

static void set_blas_threads(int n) {
    set_fn set = openblas_set();
    if (set && n > 0) set(n);
}

void rvcidx__set_threads(int n) {
    if (n <= 0) return;
    omp_set_num_threads(n);
    set_blas_threads(n);
}

rvcidx__thread_counts rvcidx__threads_get(void) {
    get_fn get = openblas_get();
    return (rvcidx__thread_counts){.openmp = omp_get_max_threads(), .blas = get ? get() : 0};
}

void rvcidx__threads_restore(rvcidx__thread_counts saved) {
    omp_set_num_threads(saved.openmp);
    set_blas_threads(saved.blas);
}
