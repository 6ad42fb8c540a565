/* rvcidx/plan.h — before a long build: how big it is and whether it fits.
 *
 * Reads only the shards' headers (no data), resolves the parameters as a
 * build would, and predicts the sizes of the artifacts and the peak memory of
 * each stage, against this machine's available memory and the output
 * filesystem's free space. rvcidx_plan_build plans the build a
 * rvcidx_build_params describes in its mode (a budget, per speaker, split,
 * refine, index auto).
 *
 * What the plan counts on, memory: the smallest of MemAvailable, the
 * cgroup's memory.max and RVCIDX_MEMORY_LIMIT; disk: the output
 * filesystem's free space or RVCIDX_DISK_LIMIT when smaller. On cluster
 * filesystems and in some containers what a program sees is not what it can
 * use (either way): `assume_memory` / `assume_disk` (or RVCIDX_ASSUME_MEMORY /
 * RVCIDX_ASSUME_DISK; the parameter wins) replace those figures.
 */
#ifndef RVCIDX_PLAN_H
#define RVCIDX_PLAN_H

#include "rvcidx/export.h"

#include <stddef.h>
#include <stdint.h>

#include "rvcidx/eval.h"
#include "rvcidx/index.h"
#include "rvcidx/ingest.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rvcidx_plan_result {
    uint64_t rows;
    int dim;
    size_t files, speakers;
    int64_t nlist;           /* of the largest index (per speaker, or under a budget, fewer than for all rows) */
    uint64_t train_rows;     /* the largest index's k-means sample */
    uint64_t store_bytes, centroids_bytes, index_bytes; /* predicted file sizes (per speaker: all indexes together) */
    uint64_t disk_needed;    /* all outputs, plus the temporary copies a rebuild writes beside the old files */
    uint64_t disk_available; /* free space on the output filesystem (or what `assume_disk` says) */
    uint64_t ram_ingest, ram_train, ram_encode, ram_eval; /* predicted peak bytes per stage */
    uint64_t ram_peak;
    uint64_t ram_available;  /* MemAvailable, memory.max, RVCIDX_MEMORY_LIMIT (or what `assume_memory` says) */
    int fits_ram, fits_disk;
    /* the build's mode */
    size_t indexes;          /* indexes built: 1, or one per speaker with rows */
    int per_speaker;         /* 1: one index per speaker */
    unsigned split;          /* parts of a split build; 0: not split */
    int budget_set;          /* 1: `max_vectors` or `max_app_memory` is set (it may keep every row) */
    uint64_t budget;         /* vectors the largest index keeps under the budget; 0: no reduction */
    uint64_t index_rows;     /* rows of the largest index, the budget applied */
    uint64_t eval_rows;      /* rows of the index the tuning measures (all but a held-out speaker) */
    uint64_t largest_index_bytes; /* the largest index file */
    uint64_t reduced_bytes;  /* reduced.h5, the kept vectors of the largest reduction (0: none) */
    uint64_t ram_reduce;     /* peak of the reduction (0: no reduction) */
    uint64_t ram_merge;      /* peak of a split build's merge of its parts (0: not split) */
    int ram_assumed, disk_assumed; /* 1: ram_available / disk_available are the assumed figures */
    uint64_t ram_seen, disk_seen;  /* what this machine shows, counted in their place when assumed */
} rvcidx_plan_result;

struct rvcidx_build_params;

/* Plans the build p describes (rvcidx/build.h): its sources into its
 * outdir (which need not exist yet), in its mode: `max_vectors` /
 * `max_app_memory`, `per_speaker`, `split`, the index type and refine, and
 * its `assume_memory` / `assume_disk`. What rvcidx_build checks first. */
RVCIDX_API int rvcidx_plan_build(const struct rvcidx_build_params *p, rvcidx_plan_result *out);

/* What does not fit, as words for a message ("0.04 GiB of disk (0.0 free)",
 * memory and disk joined by "and"); "" when it all fits. */
RVCIDX_API void rvcidx_plan_shortfall(const rvcidx_plan_result *plan, char *buf, size_t n);

/* What would help a plan that does not fit, as words for a message: the
 * modes not in use that make it smaller, free space, and the overrides,
 * parameters in backquotes ("use a bigger machine, fewer vectors
 * (`max_vectors`) ..."); never the mode already in use. */
RVCIDX_API void rvcidx_plan_advice(const rvcidx_plan_result *plan, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
