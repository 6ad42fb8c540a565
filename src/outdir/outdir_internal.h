/* outdir_internal.h — private: OUTDIR's checks and publication, which the
 * build stages share. */
#ifndef RVCIDX_OUTDIR_INTERNAL_H
#define RVCIDX_OUTDIR_INTERNAL_H

#include <stddef.h>

#include "rvcidx/index_build.h"

/* RVCIDX_EINPUT when a directory sits at a name rvcidx replaces in dir
 * (top: OUTDIR's names, else an index folder's). */
int rvcidx__outdir_check_replaceable(const char *dir, int top);

/* The index rvcidx last published in dir and its sha256 (name "" when none,
 * or when the record is not one of ours) (publish.c). */
void rvcidx__published_before(const char *dir, char *name, size_t n, char sha[65]);

/* Publishes work (a complete index under a temporary name in dir) as its
 * RVC-style name for model with r->nprobe, records it, removes the index
 * published before; r->index_path and r->index_sha256 are filled. */
int rvcidx__publish_index(const char *dir, const char *model, const char *work, const rvcidx_index_params *ip, int dim,
                          rvcidx_index_result *r);

#endif
