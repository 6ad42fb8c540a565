/* sources.h — private: turns the SRC arguments of ingest/build into the
 * ordered list of shard files, exactly in RVC's concatenation order. */
#ifndef RVCIDX_SOURCES_H
#define RVCIDX_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/npy.h"
#include "rvcidx/ingest.h"

typedef struct rvcidx__shard {
    char *speaker; /* the model directory's name */
    char *relpath; /* path relative to the model directory: "3_feature768/0_0.npy" */
    char *path;    /* path to open */
    uint64_t size;
    int64_t mtime_ns;
    const rvcidx_frames *frames; /* frames in memory (borrowed), or NULL for a file */
} rvcidx__shard;

typedef struct rvcidx__shard_list {
    rvcidx__shard *items;
    size_t count, cap;
    int dim; /* 256 or 768 when the folder names tell; 0 for bare shard folders */
} rvcidx__shard_list;

/* Expands each SRC: an RVC model directory (logs/<model>, with 3_feature768
 * or 3_feature256 in it), a directory of .npy shards, a root holding model
 * directories (one speaker each), or a text file listing any of these (one
 * per line, '#' comments, paths relative to the list file). Speakers are
 * ordered by the byte order of their names and files by the byte order of
 * theirs (Python's sorted(os.listdir())). dim (0, 256 or 768) picks the
 * feature folder when a model directory has both. Fails with RVCIDX_EINPUT
 * and a message naming the path when a SRC holds nothing to ingest. */
int rvcidx__sources_collect(const char *const *srcs, int n_srcs, int dim, rvcidx__shard_list *out);

/* The shards of frames in memory: one per speaker (relpath "frames.npy",
 * path "<speaker> (frames in memory)" for messages), in the byte order of
 * the speakers' names. RVCIDX_EINPUT for a bad or repeated name or a D
 * other than dim (when dim is not 0). */
int rvcidx__sources_from_frames(const rvcidx_frames *frames, size_t n, int dim, rvcidx__shard_list *out);

/* The shards an ingest reads: params->frames when given (srcs must then be
 * empty), else srcs, collected as above. */
int rvcidx__sources_gather(const char *const *srcs, int n_srcs, const rvcidx_ingest_params *params,
                           rvcidx__shard_list *out);

/* Opens a shard, file or frames in memory, for reading (rvcidx__npy_open). */
int rvcidx__shard_open(const rvcidx__shard *s, rvcidx__npy_reader *r);

/* The sha256 of a shard's bytes (as its .npy file has them), in hex;
 * *bytes_read (optional) grows by what was read. */
int rvcidx__shard_sha256(const rvcidx__shard *s, char out[65], uint64_t *bytes_read);

void rvcidx__shard_list_free(rvcidx__shard_list *list);

#endif
