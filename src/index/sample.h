/* sample.h — private: the rows k-means and PQ training see, and the
 * normalisation the cosine metric applies. */
#ifndef RVCIDX_SAMPLE_H
#define RVCIDX_SAMPLE_H

#include <stdint.h>

#include "rvcidx/progress.h"
#include "rvcidx/store.h"

/* Reads `want` rows chosen among [first, first+n) by a seeded draw
 * (selection sampling: each row kept with probability still-wanted /
 * still-left), in row order, streaming the range block by block. *out is
 * malloc'd (want*dim floats; caller frees); sha_hex (optional) receives the
 * sha256 of the sampled floats' bytes. */
int rvcidx__sample_rows(rvcidx_store *store, uint64_t first, uint64_t n, uint64_t want, uint64_t seed,
                        rvcidx_progress_fn progress, void *progress_user, float **out, char *sha_hex);

/* Receives n picked rows (n*dim floats, valid only during the call);
 * non-zero stops the sampling with that status. */
typedef int (*rvcidx__rows_fn)(const float *rows, uint64_t n, void *ctx);

/* rvcidx__sample_rows's draw, the rows handed to each a block at a time
 * instead of gathered: memory is two blocks whatever `want` is. */
int rvcidx__sample_rows_each(rvcidx_store *store, uint64_t first, uint64_t n, uint64_t want, uint64_t seed,
                             rvcidx_progress_fn progress, void *progress_user, rvcidx__rows_fn each, void *ctx);

/* x / max(eps, ||x||) for each of n rows of dim floats, in place. */
void rvcidx__normalize_rows(float *x, uint64_t n, int dim);

#endif
