/* app.c — the RVC apps that load the index: what each one's calls need.
 *
 * The table is read from each app's own index code (README's "Which app"
 * table and tests/apps/ name the upstream files); tests/apps/ re-enacts
 * those calls under each app's pinned faiss and numpy on what --for builds.
 */
#include <string.h>

#include "base/internal.h"
#include "rvcidx/app.h"
#include "rvcidx/eval.h"

/* Realtime RVC searches the new frames of one 0.25 s block: 50 frames a
 * second gives about 16 (BRIEF §9); it sets OMP_NUM_THREADS=4 and
 * OPENBLAS_NUM_THREADS=1. Applio realtime sets nprobe 12 on whatever it
 * loads; its CPU fallback searches k=8 with it. w-okada searches each chunk's
 * frames at k=1 (how many its chunk and extra settings decide): timed as
 * RVC's 16-frame blocks, on every core as it leaves faiss.
 *
 * A realtime app that searches on the CPU gets a limit of 10 ms p99 per
 * block, 4% of a 0.25 s block: search time users watch (w-okada's "index
 * ratio") and that competes with the voice model for the same cores. The
 * build chooses the cheapest setting reaching the recall target within it.
 * Applio realtime has none: it searches exactly on the GPU, and its CPU
 * fallback's nprobe is its own. */
#define REALTIME_LIMIT_MS 10.0
static const rvcidx_app_profile profiles[] = {
    {RVCIDX_APP_RVC, "rvc", "RVC WebUI offline inference: search(k=8) of whole files, 1/d^2 blend",
     "faiss-cpu 1.15.1 + numpy 1.26.4 (main: >=1.13,<2 with numpy<2); 1.7.3 (branch 20240604)",
     "infer/vc/pipeline.py", RVCIDX_INDEX_IVFPQ4FS, 8, 0, 0, 0, 0},
    {RVCIDX_APP_RVC_REALTIME, "rvc-realtime",
     "RVC realtime GUI: search(k=8) of ~16 frames a 0.25 s block on 4 threads; any -1 label skips retrieval",
     "faiss-cpu 1.15.1 + numpy 1.26.4 (main); 1.7.3 (branch 20240604)", "infer/lib/rtrvc.py",
     RVCIDX_INDEX_IVFPQ4FS, 8, 0, 16, 4, REALTIME_LIMIT_MS},
    {RVCIDX_APP_APPLIO, "applio", "Applio offline inference: search(k=8) of whole files, 1/d^2 blend",
     "faiss-cpu 1.14.3 + numpy 2.4.6", "rvc/infer/pipeline.py", RVCIDX_INDEX_IVFPQ4FS, 8, 0, 0, 0, 0},
    {RVCIDX_APP_APPLIO_REALTIME, "applio-realtime",
     "Applio realtime: sets index.nprobe = 12 (an IVF index, no refine wrapper), exact top-8 over "
     "reconstruct_n, search(k=8) on the CPU as fallback",
     "faiss-cpu 1.14.3 + numpy 2.4.6", "rvc/realtime/utils/torch.py", RVCIDX_INDEX_IVFFLAT, 8, 12, 16, 0, 0},
    {RVCIDX_APP_ULTIMATE_RVC, "ultimate-rvc", "ultimate-rvc (Applio's pipeline): search(k=8) of whole files",
     "faiss-cpu 1.13.1 + numpy 2.3.5", "src/ultimate_rvc/rvc/infer/pipeline.py", RVCIDX_INDEX_IVFPQ4FS, 8, 0, 0, 0, 0},
    {RVCIDX_APP_W_OKADA, "w-okada", "w-okada voice changer (realtime): search(k=1) of each chunk's frames, "
     "big_npy[ix.squeeze()]", "faiss-cpu 1.7.3 + numpy 1.23.5", "server/voice_changer/RVC/pipeline/Pipeline.py",
     RVCIDX_INDEX_IVFPQ4FS, 1, 0, 16, 0, REALTIME_LIMIT_MS},
};

const rvcidx_app_profile *rvcidx_app_profile_get(rvcidx_app app) {
    for (size_t i = 0; i < sizeof profiles / sizeof *profiles; i++)
        if (profiles[i].app == app) return &profiles[i];
    return NULL;
}

int rvcidx_app_from_name(const char *name, rvcidx_app *out) {
    for (size_t i = 0; name && i < sizeof profiles / sizeof *profiles; i++)
        if (!strcmp(profiles[i].name, name)) return *out = profiles[i].app, 0;
    return rvcidx__fail(RVCIDX_EINVAL, "'%s' is not an app rvcidx knows (rvc, rvc-realtime, applio, applio-realtime, "
                        "ultimate-rvc, w-okada)", name ? name : "(null)");
}

/* An app that sets nprobe needs an IVF class at the top of the file: faiss
 * >= 1.13 raises on the refine wrapper, which has no nprobe. */
int rvcidx_app_accepts(rvcidx_app app, rvcidx_index_type type) {
    const rvcidx_app_profile *p = rvcidx_app_profile_get(app);
    if (!p || p->nprobe == 0) return 1;
    return type == RVCIDX_INDEX_IVFFLAT || type == RVCIDX_INDEX_AUTO;
}

int rvcidx_app_apply(rvcidx_app app, rvcidx_index_params *ip, struct rvcidx_eval_params *ep) {
    if (!ip || !ep) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_app_apply: NULL argument");
    if (app == RVCIDX_APP_NONE) return 0;
    const rvcidx_app_profile *p = rvcidx_app_profile_get(app);
    if (!p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_app_apply: unknown app %d", (int)app);
    if (p->nprobe > 0) ip->type = p->type; /* auto too: only one type is open to it */
    ep->app = app;
    ep->k = p->k;
    ep->fixed_nprobe = p->nprobe;
    if (ep->block_frames <= 0) ep->block_frames = p->block_frames; /* what the caller set wins */
    if (ep->search_threads < 0) ep->search_threads = p->threads;
    if (p->nprobe > 0) ip->nprobe = p->nprobe;
    if (p->max_block_ms > 0 && ep->max_block_ms <= 0 && ep->measure_speed) /* `no_timing`: nothing to keep it by */
        ep->max_block_ms = p->max_block_ms, ep->budget_cheapest = 1;
    return 0;
}
