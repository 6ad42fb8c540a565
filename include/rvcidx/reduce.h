/* rvcidx/reduce.h — the reduce stage: an index of only as many vectors as a
 * budget allows (`max_vectors`, `max_app_memory`), chosen or summarised from
 * the store's rows by one of several methods, with the blend error that
 * costs measured against exact search over every row.
 *
 * rvcidx_build_index runs it before training when the budget is below the
 * index's rows (rvcidx/index_build.h); a split build's prepare runs it once.
 */
#ifndef RVCIDX_REDUCE_H
#define RVCIDX_REDUCE_H

#include "rvcidx/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The default of rvcidx_reduce_params.measure_rows: up to a million
 * input rows the methods are measured on all of them; past it their cost
 * stays that of a million, whatever the input's size. */
#define RVCIDX_REDUCE_MEASURE_ROWS 1000000ull

/* How the vectors kept are chosen (bench/reduce.sh). */
typedef enum rvcidx_reduce_method {
    RVCIDX_REDUCE_KMEANS = 0,     /* faiss k-means centres */
    RVCIDX_REDUCE_STRATIFIED,     /* a seeded subsample of each speaker's rows, by its share */
    RVCIDX_REDUCE_RANDOM,         /* a seeded uniform subsample */
    RVCIDX_REDUCE_AUTO,           /* default: kmeans, stratified and (with 3+ speakers) hubs, each
                                     measured on the held-out speaker's frames against all frames;
                                     the lowest mean blend error is kept */
    RVCIDX_REDUCE_HUBS            /* the frames most often among the 8 nearest of other speakers'
                                     probe frames (2+ speakers): what RVC's queries land on */
} rvcidx_reduce_method;

/* "kmeans", "stratified", "random", "auto", "hubs" ("?" for another value). */
RVCIDX_API const char *rvcidx_reduce_method_name(rvcidx_reduce_method method);

/* One method `auto` measured before choosing. */
typedef struct rvcidx_reduce_trial {
    rvcidx_reduce_method method;
    int measured;
    double blend_error_mean, blend_error_p95;
} rvcidx_reduce_trial;

/* What `max_vectors` / `max_app_memory` did (applied 0: nothing). */
typedef struct rvcidx_reduce_result {
    int applied;
    rvcidx_reduce_method method;    /* what made the kept vectors (never auto) */
    rvcidx_reduce_method requested; /* what was asked for (auto: method is its choice) */
    size_t n_trials;           /* auto: the methods measured, in trials (0 otherwise) */
    rvcidx_reduce_trial trials[3];
    uint64_t budget, input_rows, kept, seed;
    int measured;              /* 1: the blend error below was measured */
    uint64_t queries;
    double blend_error_mean, blend_error_p95; /* against exact search over all rows */
    char measured_on[256];
    double seconds;
} rvcidx_reduce_result;

/* The budget and how it is met; rvcidx_reduce_default_params() keeps every
 * vector. Per index: with `per_speaker`, each speaker's index gets it. */
typedef struct rvcidx_reduce_params {
    uint64_t max_vectors;         /* > 0: index at most this many vectors (0: all) */
    uint64_t max_app_memory;      /* bytes: > 0 caps the file plus an app's N*D*4 copy (0: no cap) */
    rvcidx_reduce_method method;  /* how, with a budget (default auto) */
    uint64_t measure_rows;        /* rows the reduction is measured on (auto's trials, the blend
                                     error recorded): above it, a seeded per-speaker sample of this
                                     many, the budget scaled alike; 0: RVCIDX_REDUCE_MEASURE_ROWS */
} rvcidx_reduce_params;

RVCIDX_API rvcidx_reduce_params rvcidx_reduce_default_params(void);

/* Sets one parameter from text, by the CLI option's name without its
 * dashes, '-' or '_' alike: max_vectors (N|all), max_app_memory (SIZE: 1G,
 * 512MiB; none), reduce (the method: auto|kmeans|stratified|hubs|random).
 * RVCIDX_EINVAL for an unknown name or a bad value, the message starting
 * with the name. */
RVCIDX_API int rvcidx_reduce_params_set(rvcidx_reduce_params *p, const char *key, const char *value);

#ifdef __cplusplus
}
#endif
#endif
