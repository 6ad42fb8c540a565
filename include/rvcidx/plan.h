/* rvcidx/plan.h — before a long build: how big it is and whether it fits.
 *
 * Reads only the shards' headers (no data), resolves the parameters as a
 * build would, and predicts the sizes of the artifacts and the peak memory of
 * each stage, against this machine's available memory and the output
 * filesystem's free space.
 */
#ifndef RVCIDX_PLAN_H
#define RVCIDX_PLAN_H

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
    int64_t nlist;           /* for the whole store (per speaker it is smaller) */
    uint64_t train_rows;
    uint64_t store_bytes, centroids_bytes, index_bytes; /* predicted file sizes */
    uint64_t disk_needed;    /* all outputs, plus the temporary copy a rebuild writes beside the old files */
    uint64_t disk_available; /* free space on the output filesystem */
    uint64_t ram_ingest, ram_train, ram_encode, ram_eval; /* predicted peak bytes per stage */
    uint64_t ram_peak;
    uint64_t ram_available;  /* MemAvailable */
    int fits_ram, fits_disk;
} rvcidx_plan_result;

/* Plans a build of srcs into outdir (which need not exist yet). */
int rvcidx_plan(const char *const *srcs, int n_srcs, const char *outdir, const rvcidx_ingest_params *ingest,
                const rvcidx_index_params *index, const rvcidx_eval_params *eval, rvcidx_plan_result *out);

/* What does not fit, as words for a message ("0.04 GiB of disk (0.0 free)",
 * memory and disk joined by "and"); "" when it all fits. */
void rvcidx_plan_shortfall(const rvcidx_plan_result *plan, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
