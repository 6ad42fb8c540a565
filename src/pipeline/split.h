/* split.h — private: one index built by many processes: what the tasks of a
 * cluster split build run (`rvcidx build --split N --stage ...`).
 *
 * The shared work lives in DIR/.rvcidx-split/ (hidden: not an output the manifest lists):
 *   split.json         parts, their row ranges, the request key, the training result
 *   trained.index      the trained empty index, written once
 *   part-KEY-NNNN-of-MMMM.index  one part's rows, written atomically by its task
 *   reduced.h5         with a budget (`max_vectors`, `max_app_memory`) below the
 *                      rows: the kept vectors, reduced once by prepare; the
 *                      parts encode its rows (removed with the rest by finish)
 * prepare: reduce when a budget asks, train once (centroids.h5) and write
 *          trained.index and split.json;
 * part:    encode one contiguous row range from trained.index;
 * finish:  merge the parts in row order, then measure, tune and publish as
 *          rvcidx_build_index does, and remove DIR/.rvcidx-split.
 * The published index is byte-identical to rvcidx_build_index's for the same
 * store and parameters. Every step skips what an earlier run with the same
 * key already completed, so a resubmitted build does only what is missing.
 * The key is the build's request (inputs and parameters, see manifest.h):
 * work prepared for another request is never reused (prepare starts over,
 * part and finish fail with RVCIDX_EINPUT).
 */
#ifndef RVCIDX_PIPELINE_SPLIT_H
#define RVCIDX_PIPELINE_SPLIT_H

#include "backend/run_context.h"
#include "rvcidx/build.h"
#include "rvcidx/index_build.h"

/* Reduces ip's row range when budget asks (into .rvcidx-split/reduced.h5),
 * trains (unless DIR/.rvcidx-split holds this request's training) and writes
 * the shared work for `parts` parts of the rows. *reused (optional): 1 when
 * nothing had to be done. */
int rvcidx__split_prepare(rvcidx__ctx *ctx, const char *store_path, const char *dir, const rvcidx_index_params *ip,
                          const rvcidx_reduce_params *budget, unsigned parts, const char *request, int *reused);

/* Encodes part `part` (0-based) into DIR/.rvcidx-split/part-KEY-NNNN-of-MMMM.index; *reused
 * (optional): 1 when that file was already there. */
int rvcidx__split_part(rvcidx__ctx *ctx, const char *store_path, const char *dir, const rvcidx_index_params *ip, unsigned part,
                       const char *request, int *reused);

/* The number of parts DIR/.rvcidx-split was prepared with (0 when not prepared). */
int rvcidx__split_parts(const char *dir, const char *request, unsigned *parts);

/* Merges every part (all must be there; together exactly the prepared rows),
 * measures, tunes and publishes the index in dir like rvcidx_build_index
 * (same result fields). DIR/.rvcidx-split stays until rvcidx__split_clear. */
int rvcidx__split_finish(rvcidx__ctx *ctx, const char *store_path, const char *dir, const char *model, const rvcidx_index_params *ip,
                         const rvcidx_eval_params *ep, const char *request, rvcidx_index_result *result);

/* Removes DIR/.rvcidx-split: call once the build is recorded (manifest written), so a
 * failure before that can still reuse the training and the parts. */
int rvcidx__split_clear(const char *dir);

#endif
