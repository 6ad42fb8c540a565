/* rvcidx/app.h — the RVC apps that load the index, and what each needs of it.
 *
 * Every app reads the file with faiss.read_index, keeps reconstruct_n(0,
 * ntotal) and searches it, but each with its own faiss, its own k, its own
 * batch of frames, and some set attributes on the index: since faiss 1.13
 * setting an attribute the loaded class lacks raises, so Applio realtime's
 * `index.nprobe = 12` fails on a refine wrapper. A profile says which index
 * type survives every call the app makes, the k it searches with, the nprobe
 * it forces, and its realtime query pattern; rvcidx_app_apply turns that into
 * build parameters, so tuning measures the index the way the app uses it.
 */
#ifndef RVCIDX_APP_H
#define RVCIDX_APP_H

#include "rvcidx/export.h"

#include "rvcidx/index.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rvcidx_app {
    RVCIDX_APP_NONE = 0,        /* no app named: the seed's index, k 8, whole-file batches */
    RVCIDX_APP_RVC,             /* RVC WebUI offline inference (main and 20240604) */
    RVCIDX_APP_RVC_REALTIME,    /* RVC's realtime GUI */
    RVCIDX_APP_APPLIO,          /* Applio offline inference */
    RVCIDX_APP_APPLIO_REALTIME, /* Applio realtime (IndexWrapper) */
    RVCIDX_APP_ULTIMATE_RVC,    /* ultimate-rvc (an Applio port) */
    RVCIDX_APP_W_OKADA,         /* w-okada's voice changer */
    RVCIDX_APP_COUNT
} rvcidx_app;

struct rvcidx_eval_params; /* rvcidx/eval.h */

typedef struct rvcidx_app_profile {
    rvcidx_app app;
    const char *name;        /* what `--for` takes, e.g. "applio-realtime" */
    const char *summary;     /* one line: the app and how it uses the index */
    const char *faiss;       /* the faiss-cpu (and numpy) it pins */
    const char *upstream;    /* the upstream file whose index calls this follows */
    rvcidx_index_type type;  /* an index type on which every call the app makes succeeds */
    int k;                   /* neighbours per search */
    int nprobe;              /* > 0: the app sets this nprobe itself, overriding the file's */
    int block_frames;        /* > 0: realtime, frames per search call; 0: whole files */
    int threads;             /* > 0: the OpenMP threads the app searches with (BLAS held to 1);
                                0: it sets none, faiss uses every core */
    double max_block_ms;     /* > 0: a realtime app's limit: the p99 search time per block, on one
                                thread and on its own threads, that a build for it must keep to
                                (rvcidx_app_apply: unless `max_block_ms` is given); 0: none */
} rvcidx_app_profile;

/* The profile of app (static storage, never freed); NULL for RVCIDX_APP_NONE
 * or an unknown value. */
RVCIDX_API const rvcidx_app_profile *rvcidx_app_profile_get(rvcidx_app app);

/* The app named name ("rvc", "rvc-realtime", "applio", "applio-realtime",
 * "ultimate-rvc", "w-okada"); RVCIDX_EINVAL for any other name. */
RVCIDX_API int rvcidx_app_from_name(const char *name, rvcidx_app *out);

/* 1 when every call app makes succeeds on an index of this type (for
 * RVCIDX_INDEX_AUTO: on whichever type auto picks). */
RVCIDX_API int rvcidx_app_accepts(rvcidx_app app, rvcidx_index_type type);

/* Sets what app needs into the build's parameters: ep->app, k, the forced
 * nprobe, the realtime query pattern (block frames and threads), and
 * ip->type when the app cannot use ip->type (Applio realtime: IVF-Flat, the
 * only type with an nprobe whose files hold every vector exactly).
 * RVCIDX_APP_NONE leaves both as they are. */
RVCIDX_API int rvcidx_app_apply(rvcidx_app app, rvcidx_index_params *ip, struct rvcidx_eval_params *ep);

#ifdef __cplusplus
}
#endif
#endif
