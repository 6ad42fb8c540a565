/* rng.h — private: a small seeded generator with the same output everywhere.
 *
 * xoshiro256** seeded through splitmix64: the C library's rand() differs
 * between platforms, and reproducible artifacts need the same stream on every
 * machine for the same seed.
 */
#ifndef RVCIDX_RNG_H
#define RVCIDX_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct rvcidx__rng {
    uint64_t s[4];
} rvcidx__rng;

static inline uint64_t rvcidx__splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Independent streams: one per (seed, stream) pair. */
static inline void rvcidx__rng_init(rvcidx__rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
    for (int i = 0; i < 4; i++) r->s[i] = rvcidx__splitmix64(&x);
}

static inline uint64_t rvcidx__rng_next(rvcidx__rng *r) {
    uint64_t *s = r->s;
    uint64_t t = s[1] << 17;
    uint64_t v = s[1] * 5;
    uint64_t out = ((v << 7) | (v >> 57)) * 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return out;
}

/* Uniform in [0, 1). */
static inline double rvcidx__rng_uniform(rvcidx__rng *r) {
    return (double)(rvcidx__rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n); n > 0. */
static inline uint64_t rvcidx__rng_below(rvcidx__rng *r, uint64_t n) {
    return (uint64_t)(rvcidx__rng_uniform(r) * (double)n);
}

/* Standard normal (Box-Muller; one value per call keeps the stream simple). */
static inline double rvcidx__rng_normal(rvcidx__rng *r) {
    double u1 = 1.0 - rvcidx__rng_uniform(r); /* (0, 1]: log(0) never happens */
    double u2 = rvcidx__rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
