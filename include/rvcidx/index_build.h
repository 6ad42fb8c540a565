/* rvcidx/index_build.h — one index, start to finish: train -> encode -> eval/tune
 * -> publish. What rvcidx_build (rvcidx/build.h) runs once per index after ingest.
 *
 * The index is encoded under a temporary name in dir, measured, given the
 * chosen nprobe/k_factor, and only then renamed to its RVC-style name (which
 * carries nprobe); older indexes rvcidx wrote for the same model in dir are
 * removed after that, so RVC's list shows one. When no setting reaches the
 * target, nothing is published and RVCIDX_ETARGET is returned with the
 * report kept in the result.
 */
#ifndef RVCIDX_INDEX_BUILD_H
#define RVCIDX_INDEX_BUILD_H

#include "rvcidx/export.h"

#include "rvcidx/eval.h"
#include "rvcidx/index.h"
#include "rvcidx/reduce.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rvcidx_index_result {
    rvcidx_train_result train;
    rvcidx_encode_result encode;
    rvcidx_eval_report *eval; /* owned; NULL without eval; free with rvcidx_index_result_clear */
    char centroids_path[4096];
    char index_path[4096];    /* the published index; "" when none */
    char index_sha256[65];    /* its sha256, hashed once when published (the manifest reuses it) */
    int nprobe, k_factor;     /* stored in the published index */
    double train_seconds, encode_seconds, eval_seconds;
    rvcidx_reduce_result reduce;
} rvcidx_index_result;

/* Builds the index of the store rows given by ip (first_row, rows) in dir
 * (which must exist): dir/centroids.h5 and dir/added_..._<model>_<v>.index.
 * rp (NULL: every row) with a budget below those rows reduces them first
 * (rvcidx/reduce.h). ep NULL: no evaluation, ip's nprobe/k_factor are stored.
 * run (NULL: the defaults): the device, threads and progress callback. */
RVCIDX_API int rvcidx_build_index(const char *store_path, const char *dir, const char *model,
                                  const rvcidx_index_params *ip, const rvcidx_reduce_params *rp,
                                  const rvcidx_eval_params *ep, const rvcidx_run *run, rvcidx_index_result *result);

/* One index a whole build made (rvcidx/build.h). */
typedef struct rvcidx_built_index {
    char name[256];          /* model or speaker name */
    char dir[4096];          /* where it is */
    rvcidx_index_result result;
} rvcidx_built_index;

/* Frees what the result owns; the struct can be reused. */
RVCIDX_API void rvcidx_index_result_clear(rvcidx_index_result *result);

#ifdef __cplusplus
}
#endif
#endif
