/* rvcidx/demo.h — the built-in example: a deterministic RVC-like feature tree.
 *
 * Writes <root>/<speaker>/3_feature768/<clip>_<slice>.npy (3_feature256 for
 * D=256), float32 [T, D] with T around 185 frames per slice, as RVC's feature
 * extraction does. The frames are drawn from a model fitted to real
 * ContentVec frames (docs/demo.md): each speaker moves through shared
 * phone-like states with a voice of its own and frame-to-frame continuity,
 * and their neighbourhoods, spectrum, spread and smoothness measure as real
 * frames do (bench/voice_stats.py), so indexes, recall and benchmarks behave
 * as on real features.
 * The same parameters always give byte-identical files.
 */
#ifndef RVCIDX_DEMO_H
#define RVCIDX_DEMO_H

#include "rvcidx/export.h"

#include <stdint.h>

#include "rvcidx/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rvcidx_demo_params {
    int speakers;         /* model directories to write (default 4) */
    double minutes;       /* audio minutes per speaker (default 3.0): 50 frames/s */
    int dim;              /* 768 (RVC v2) or 256 (v1); default 768 */
    uint64_t seed;        /* default 1234 */
    int phones;           /* phone-like states the speakers share, 1..10000 (default 192) */
    const char *speaker_prefix; /* directory names: prefix + index (default "speaker") */
    int first_speaker;    /* index of the first speaker written (default 0) */
    rvcidx_progress_fn progress; /* optional */
    void *progress_user;
} rvcidx_demo_params;

/* Defaults as documented above. */
RVCIDX_API rvcidx_demo_params rvcidx_demo_default_params(void);

/* Writes the tree under root (created if missing). Existing files with the
 * same names are replaced; each file is written to a temporary name first.
 * On success *rows_out (optional) receives the total frames written. */
RVCIDX_API int rvcidx_demo_write(const char *root, const rvcidx_demo_params *params, uint64_t *rows_out);

#ifdef __cplusplus
}
#endif
#endif
