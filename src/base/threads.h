/* threads.h — private: how many threads faiss's work runs on. */
#ifndef RVCIDX_THREADS_H
#define RVCIDX_THREADS_H

typedef struct rvcidx__thread_counts {
    int openmp, blas; /* blas 0: the BLAS is not OpenBLAS, its threads are its own */
} rvcidx__thread_counts;

/* n > 0: faiss runs on n threads, OpenMP's and the BLAS's; 0 keeps all cores. */
void rvcidx__set_threads(int n);

rvcidx__thread_counts rvcidx__threads_get(void);
void rvcidx__threads_restore(rvcidx__thread_counts saved);

#endif
