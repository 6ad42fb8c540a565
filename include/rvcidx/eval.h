/* rvcidx/eval.h — stage 4: recall against exact search, and tuning.
 *
 * Ground truth is exact k-NN by brute force over ALL indexed vectors with the
 * index's metric (a flat index; on the GPU when present). Queries must not
 * find themselves, as at RVC conversion time: by default a seeded sample of
 * stored vectors, each searched for k+1 neighbours with its own id removed
 * from both answers (leave-one-out); a seeded sample of the store's OTHER
 * rows (other speakers' frames: RVC's real use, where the voice being
 * converted is not the model's); or an external store of queries.
 *
 * For each setting of a sweep (nprobe x k_factor) it reports 1-recall@1,
 * k-recall@k, the share of empty result slots (-1), the RVC blend error (the
 * 1/d^2-weighted blend of the k results against that of the exact k,
 * relative to the exact blend's norm: what RVC users hear) and queries/s.
 * Tuning picks the cheapest setting reaching the target recall with no empty
 * slot (an RVC realtime app skips retrieval when any label is -1; w-okada's
 * reads big_npy[-1]), by a deterministic cost model (so the same data always
 * ship the same setting); measured queries/s are reported beside it.
 *
 * Built for an app (rvcidx/app.h), eval measures the index as that app uses
 * it: its k, the nprobe it forces (only that setting can be chosen), and for
 * realtime apps its blocks of frames searched one call at a time, timed per
 * block on one thread and on the app's threads.
 *
 * Under a time budget (max_block_ms) every setting that can be chosen is
 * timed per block on the budget's threads, and tuning picks the highest
 * recall among those reaching the target whose p99 fits: the choice then
 * depends on this machine's speed, so the stored setting (and the index
 * bytes) can differ between machines or runs. Without a budget the stored
 * and chosen settings are still timed per block (16 frames, one thread) for
 * the report, but nothing timed decides anything.
 */
#ifndef RVCIDX_EVAL_H
#define RVCIDX_EVAL_H

#include "rvcidx/export.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rvcidx/app.h"
#include "rvcidx/index.h"
#include "rvcidx/progress.h"
#include "rvcidx/run.h"
#include "rvcidx/reduce.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rvcidx_queries_from {
    RVCIDX_QUERIES_AUTO = 0,  /* rvcidx_build_index: other speakers when the store has them, else
                                 leave-one-out; rvcidx_eval: leave-one-out */
    RVCIDX_QUERIES_SELF = 1,  /* leave-one-out */
    RVCIDX_QUERIES_OTHER = 2  /* store rows outside the index's rows */
} rvcidx_queries_from;

typedef struct rvcidx_eval_params { /* from rvcidx_eval_default_params() */
    int k;                     /* neighbours, RVC's 8 */
    uint64_t queries;          /* leave-one-out sample size (default 1000) */
    uint64_t seed;             /* query sample seed (default 4321) */
    const char *queries_store; /* optional external queries (a store path): overrides queries_from */
    rvcidx_queries_from queries_from;
    double target_recall;      /* k-recall@k to reach (default 0.95) */
    int tune;                  /* 1: sweep and choose; 0: only the index's stored setting */
    int measure_speed;         /* 1: time each setting (single thread and all threads) */
    rvcidx_app app;            /* the app the index is for (RVCIDX_APP_NONE: none named) */
    int fixed_nprobe;          /* > 0: the app sets this nprobe itself: only it can be chosen */
    int block_frames;          /* > 0: time searches of this many frames a call (realtime apps);
                                  0: unset (an app profile or max_block_ms fills it in) */
    int search_threads;        /* with block_frames: the chosen setting is also timed on this many
                                  OpenMP threads, the BLAS on one (the realtime app's own setting);
                                  0: on every core, as an app that sets none; -1 (default): unset */
    double max_block_ms;       /* > 0: a time budget: only settings whose measured p99 time per
                                  block (block_frames frames, default 16) fits on one thread and on
                                  search_threads threads can be chosen, and among those the highest
                                  recall wins; 0 (default): none */
    int budget_cheapest;       /* with max_block_ms: 1: among the settings that fit, the cheapest
                                  reaching the target wins (a realtime app's own limit, set by
                                  rvcidx_app_apply); 0 (default): the highest recall */
} rvcidx_eval_params;

RVCIDX_API rvcidx_eval_params rvcidx_eval_default_params(void);

/* Sets one parameter from text, by the name of the CLI's option without its
 * dashes, '-' or '_' alike: k, eval_queries (the sample size), queries (a
 * store of external queries, kept by pointer), queries_from
 * (auto|self|other-speakers), target_recall (0..1), no_tune and no_timing
 * (1/0, true/false, yes/no), max_block_ms (milliseconds, > 0), block_frames
 * (1..65536) and search_threads (0..4096, 0: all cores). RVCIDX_EINVAL for an unknown name or a bad
 * value, the message starting with the name. */
RVCIDX_API int rvcidx_eval_params_set(rvcidx_eval_params *p, const char *key, const char *value);

/* Held-out speakers a build's tuning measures apart, at most. */
#define RVCIDX_EVAL_MAX_GROUPS 3

typedef struct rvcidx_eval_point {
    int nprobe, k_factor;     /* k_factor 0 for ivfflat */
    double recall_1;          /* 1-recall@1 */
    double recall_k;          /* k-recall@k */
    double empty_share;       /* result slots that were -1 */
    double blend_error_mean, blend_error_p95;
    double cost;              /* the cost model's estimate, per query */
    double qps_1thread, qps_all; /* 0 when not measured */
    double block_ms_p50, block_ms_p99;         /* per block_frames search, 1 thread; 0 when not measured */
    double app_block_ms_p50, app_block_ms_p99; /* the same on search_threads (chosen and stored only) */
    double recall_k_bound;    /* the lower confidence bound tuning compares with the target (rvcidx_eval_report's
                                 bound_method); recall_k when none was computed */
    double recall_k_groups[RVCIDX_EVAL_MAX_GROUPS]; /* k-recall@k of each query group (held-out speaker) */
    int reaches_target;       /* recall_k_bound >= target with no empty slot (and the forced nprobe, if any) */
    int reaches_mean;         /* the same with recall_k in place of the bound */
} rvcidx_eval_point;

/* One refine storage a build with `max_index_size` considered. */
typedef struct rvcidx_refine_candidate {
    rvcidx_refine refine;
    uint64_t predicted_bytes; /* rvcidx_index_predict_bytes: never under the file */
    uint64_t file_bytes;      /* the file built, 0 when not built */
    int built;                /* 1: encoded and measured (the report's points are its) */
    int fits;                 /* 1: its file (or, unbuilt, its prediction) fits the budget */
} rvcidx_refine_candidate;

/* One index `index=auto` considered (rvcidx/index_build.h): built, tuned and
 * timed, or, over `max_index_size` by prediction, listed unbuilt. */
typedef struct rvcidx_auto_candidate {
    char factory[96];         /* e.g. "IVF1277,PQ384x4fsr,RFlat" */
    int built;                /* 0: predicted over max_index_size, not built */
    int reaches_target;       /* a setting reached the target with no empty slot (within max_block_ms) */
    int fits;                 /* its file (unbuilt: its prediction) fits max_index_size, or none given */
    int chosen;               /* 1: the shipped index */
    int nprobe, k_factor;     /* its chosen setting; the best-recall one when none reached the target */
    double recall_k, blend_error_mean, blend_error_p95;
    double block_ms_p50, block_ms_p99; /* per block at that setting, on the threads compared; 0: not timed */
    double cost;              /* the cost model's estimate at that setting (compared under no_timing) */
    uint64_t file_bytes;      /* the file; unbuilt: the predicted size */
    uint64_t app_memory_bytes; /* the file plus N*D*4 (what an app holds) */
    int over_memory;          /* 1: not built because its tuning would hold every vector in memory (IVF-Flat
                                 past RVCIDX_ROWS_IN_MEMORY), not for max_index_size */
} rvcidx_auto_candidate;

#define RVCIDX_AUTO_MAX_CANDIDATES 8

/* Recall under ties: a returned vector whose distance to the query (in
 * double, from the stored floats) is within this share of the k-th exact
 * neighbour's counts as exact, whichever of the tied vectors it is. */
#define RVCIDX_EVAL_TIE_TOLERANCE 1e-6
#define RVCIDX_EVAL_TIE_RULE "a returned vector counts as exact when it is one of the exact k, or its distance " \
    "(in double, from the stored floats) is within 1e-6 (relative) of the k-th exact distance: under ties any of " \
    "the tied vectors is an exact neighbour"

typedef struct rvcidx_eval_report {
    char index_path[4096];
    char factory[96];
    char metric[16];
    int dim, k;
    int64_t nlist;
    uint64_t ntotal, queries;
    int leave_one_out;
    char queries_desc[192];    /* where the queries came from, in words */
    double target_recall;
    int threads_all;
    char app[32];              /* the profile's name, "" when none */
    int fixed_nprobe, block_frames; /* as in the params */
    int search_threads;        /* the threads the app's timing ran on */
    double max_block_ms;       /* the time budget per block, 0 when none */
    int budget_cheapest;       /* as in the params: the budget was a limit, the choice the cheapest */
    char truth_device[160];
    rvcidx_eval_point *points; /* owned by the report */
    size_t n_points;
    int stored;                /* index of the setting stored in the file when evaluated */
    int chosen;                /* index of the chosen setting, -1 when none reached the target */
    uint64_t zero_norm_rows;   /* cosine: indexed vectors of norm 0, which tie with every query */
    char refine[8];            /* the refine storage, "flat", "fp16" or "sq8"; "" for ivfflat */
    uint64_t index_bytes;      /* the file's size (a build: the shipped file); 0 when unknown */
    uint64_t app_memory_bytes; /* what an app holds after loading it: the file plus N*D*4 bytes
                                  (reconstruct_n(0, ntotal), which every RVC app keeps) */
    uint64_t max_index_size;   /* the budget of a build with `max_index_size`, else 0 */
    rvcidx_refine_candidate candidates[3]; /* with max_index_size: in order of preference */
    size_t n_candidates;
    rvcidx_auto_candidate auto_candidates[RVCIDX_AUTO_MAX_CANDIDATES]; /* `index=auto`: every index considered */
    size_t n_auto_candidates;  /* 0 unless `index=auto` */
    char auto_rule[160];       /* how the winner was picked, in words */
    rvcidx_reduce_result reduce; /* `max_vectors`: what the build kept (applied 0: every row); the
                                    settings above then measure the index against its kept vectors */
    /* How recall_k_bound was computed, in words, and the query groups it
     * took the worst of (held-out speakers; 1 group: every query). */
    char bound_method[320];
    int groups;
    char group_names[RVCIDX_EVAL_MAX_GROUPS][64];
    uint64_t group_queries[RVCIDX_EVAL_MAX_GROUPS];
    int no_margin;             /* 1: no setting's bound reached the target, so the chosen one reaches it on
                                  the mean only (a time budget, or the sweep's end) */
} rvcidx_eval_report;

/* Evaluates the index at index_path whose vectors are rows [p->first_row,
 * +ntotal) of store_path (first_row from index_params; pass NULL for 0).
 * The exact search runs on run's device (NULL: the defaults). *out is
 * allocated; free with rvcidx_eval_report_free. Returns 0 even when no
 * setting reaches the target (chosen is then -1). */
RVCIDX_API int rvcidx_eval(const char *index_path, const char *store_path, const rvcidx_index_params *index_params,
                           const rvcidx_eval_params *params, const rvcidx_run *run, rvcidx_eval_report **out);

RVCIDX_API void rvcidx_eval_report_free(rvcidx_eval_report *report);

/* For an app that forces nprobe: the nlist at which that nprobe should
 * reach the target, read off this report's sweep (nlist * nprobe / p, p the
 * smallest nprobe that reached the target with no empty slot: about the same
 * share of the data scanned), at most nlist / 2 and at least 1; 0 when no
 * measured setting reached the target or nlist <= nprobe already. */
RVCIDX_API int64_t rvcidx_eval_nlist_for_nprobe(const rvcidx_eval_report *report, int nprobe);

/* Writes the report as JSON (every setting, the chosen one). with_speed 0
 * leaves out measured speeds, so the file is the same for the same data. */
RVCIDX_API int rvcidx_eval_report_write_json(const rvcidx_eval_report *report, const char *path, int with_speed);

/* Writes dir/report.json, dir/timings.json and dir/report.md (atomically),
 * and asks plot (optional) to draw dir/report.svg, which report.md then
 * shows. Creates dir when missing. */
RVCIDX_API int rvcidx_eval_report_write_outputs(
    const rvcidx_eval_report *report, const char *dir,
    int (*plot)(const rvcidx_eval_report *report, const char *svg_path, void *user), void *plot_user);

/* The settings as a Markdown table (all 0: only the chosen and stored ones). */
RVCIDX_API void rvcidx_eval_report_format_table(const rvcidx_eval_report *report, int all, FILE *out);
/* One line of per-block search times for setting p (realtime apps), after
 * lead; nothing when they were not measured. */
RVCIDX_API void rvcidx_eval_report_format_block_times(const rvcidx_eval_report *report, const rvcidx_eval_point *p,
                                                      const char *lead, FILE *out);

/* Why no setting reached the target and what to change, in one line naming
 * parameters (nlist, target_recall, metric); written into buf. */
RVCIDX_API void rvcidx_eval_missed_target_message(const rvcidx_eval_report *report, char *buf, size_t n);

/* Rewrites the index file at path with nprobe and k_factor stored in it
 * (atomically). k_factor is ignored for ivfflat. */
RVCIDX_API int rvcidx_index_set_search_params(const char *path, int nprobe, int k_factor);

#ifdef __cplusplus
}
#endif
#endif
