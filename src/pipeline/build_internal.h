/* build_internal.h — private: the end of rvcidx_build_index (measure, tune,
 * publish under the RVC name), shared with split builds (split.c). */
#ifndef RVCIDX_BUILD_INTERNAL_H
#define RVCIDX_BUILD_INTERNAL_H

#include "rvcidx/index_build.h"

/* work: the encoded index under a temporary name in dir. r->train and
 * r->encode must be filled. trained: the trained empty index when one is at
 * hand (split builds), else NULL. On failure work is removed. */
int rvcidx__build_finish(const char *store, const char *dir, const char *model, const char *trained, const char *work,
                         const rvcidx_index_params *p, const rvcidx_eval_params *ep, rvcidx_index_result *r);

#endif
