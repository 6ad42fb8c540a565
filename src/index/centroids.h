/* centroids.h — private: the trained IVF centroids as their own artifact
 * (HDF5: /centroids [nlist, dim] float32 and the parameters that made them),
 * so encoding can rerun without retraining. Layout in docs/store-format.md. */
#ifndef RVCIDX_CENTROIDS_H
#define RVCIDX_CENTROIDS_H

#include <stdint.h>

typedef struct rvcidx__centroids {
    int dim;
    int64_t nlist;
    float *data;            /* nlist * dim, malloc'd */
    char metric[16];        /* "l2", "ip", "cosine" */
    uint64_t seed;
    int iterations;
    uint64_t train_rows;
    uint64_t first_row, rows; /* the store's row range they were trained on */
    char sample_sha256[65];
    char device[64];        /* "cpu" or "cuda": what computed them */
} rvcidx__centroids;

/* Writes c to path atomically (temporary name, fsync, rename). */
int rvcidx__centroids_write(const char *path, const rvcidx__centroids *c);
/* Reads path into *c (free with rvcidx__centroids_free). */
int rvcidx__centroids_read(const char *path, rvcidx__centroids *c);
void rvcidx__centroids_free(rvcidx__centroids *c);

#endif
