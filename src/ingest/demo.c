/* demo.c — the built-in example: a deterministic tree of voice-like frames.
 *
 * The frames are drawn from a model fitted to real ContentVec frames
 * (voice_model.h; docs/demo.md): their mean, their top principal
 * directions with a tempered spectrum, and the per-dimension spread the
 * other directions leave. In the model's whitened coordinates a speaker
 * moves through phone-like segments of 4 to 8 frames. Each phone has a
 * centre and varies within along a few directions of its own, so neighbours
 * lie on low-dimensional pieces as real frames do; the within-phone
 * position and a noise shared by all phones change smoothly from frame to
 * frame. A speaker adds an offset and a per-phone accent: no multi-speaker
 * real frames were fitted, so their size is an assumption (docs/demo.md).
 * The structural constants below were chosen by a search scored by
 * bench/voice_stats.py against the real frames (scripts/fit-voice-model.py
 * mirrors this sampler). D=256 (RVC v1) frames are the model's first 256
 * dimensions.
 *
 * Every file draws from its own RNG stream keyed by (speaker, clip, slice), so
 * the bytes depend only on the parameters, never on the order of writing.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "base/rng.h"
#include "ingest/npy.h"
#include "ingest/voice_model.h"
#include "rvcidx/demo.h"

enum { FRAMES_PER_SECOND = 50, SLICE_FRAMES = 185 };

/* Shares of each whitened direction's unit variance: between phone centres,
 * within a phone (along WITHIN_RANK directions of its own), in noise shared
 * by every phone (the rest). Frame-to-frame correlations of the within-phone
 * position and of the shared noise; segment lengths in frames; popularity
 * of the i-th phone as 1/i^PHONE_ZIPF. A speaker's offset and per-phone
 * accent, in the same units. */
#define BETWEEN 0.48
#define SHARED 0.067
#define WITHIN_RANK 10
#define WITHIN_KEEP 0.76
#define SHARED_KEEP 0.68
#define SEGMENT_MIN 4
#define SEGMENT_MAX 8
#define PHONE_ZIPF 0.46
#define SPEAKER_VAR 0.10
#define ACCENT_VAR 0.04

rvcidx_demo_params rvcidx_demo_default_params(void) {
    rvcidx_demo_params p = {0};
    p.speakers = 4;
    p.minutes = 3.0;
    p.dim = 768;
    p.seed = 1234;
    p.phones = 192;
    p.speaker_prefix = "speaker";
    return p;
}

/* What every speaker shares: the fitted model and the phones' structure. */
typedef struct demo_shape {
    rvcidx__voice_model model;
    int dim, phones, rank;
    float *centres;    /* [phones][rank], whitened */
    float *within;     /* [phones][rank][WITHIN_RANK] */
    double *popularity; /* [phones] cumulative */
} demo_shape;

typedef struct demo_voice {
    const demo_shape *shape;
    float *centres; /* [phones][rank]: the shared centres + this speaker's offset and accent */
} demo_voice;

static void demo_shape_free(demo_shape *sh) {
    rvcidx__voice_model_free(&sh->model);
    free(sh->centres);
    free(sh->within);
    free(sh->popularity);
}

static int demo_shape_init(demo_shape *sh, const rvcidx_demo_params *p) {
    memset(sh, 0, sizeof *sh);
    RVCIDX__TRY(rvcidx__voice_model_load(&sh->model));
    sh->dim = p->dim, sh->phones = p->phones, sh->rank = sh->model.rank;
    size_t cells = (size_t)sh->phones * (size_t)sh->rank;
    sh->centres = malloc(sizeof(float) * cells);
    sh->within = malloc(sizeof(float) * cells * WITHIN_RANK);
    sh->popularity = malloc(sizeof(double) * (size_t)sh->phones);
    if (!sh->centres || !sh->within || !sh->popularity) {
        demo_shape_free(sh);
        return rvcidx__fail(RVCIDX_ENOMEM, "demo: out of memory for %d phones", p->phones);
    }
    rvcidx__rng shared;
    rvcidx__rng_init(&shared, p->seed, 0);
    double between = sqrt(BETWEEN), within = sqrt((1.0 - BETWEEN - SHARED) / WITHIN_RANK), cumulative = 0.0;
    for (size_t i = 0; i < cells; i++) sh->centres[i] = (float)(between * rvcidx__rng_normal(&shared));
    for (size_t i = 0; i < cells * WITHIN_RANK; i++) sh->within[i] = (float)(within * rvcidx__rng_normal(&shared));
    for (int ph = 0; ph < sh->phones; ph++) sh->popularity[ph] = cumulative += pow(ph + 1.0, -PHONE_ZIPF);
    for (int ph = 0; ph < sh->phones; ph++) sh->popularity[ph] /= cumulative;
    return 0;
}

static int demo_voice_init(demo_voice *v, const demo_shape *sh, const rvcidx_demo_params *p, int speaker) {
    size_t cells = (size_t)sh->phones * (size_t)sh->rank;
    v->shape = sh;
    v->centres = malloc(sizeof(float) * cells);
    if (!v->centres) return rvcidx__fail(RVCIDX_ENOMEM, "demo: out of memory for %d phones", p->phones);
    rvcidx__rng voice;
    rvcidx__rng_init(&voice, p->seed, 1000003ULL * (uint64_t)(speaker + 1));
    float offset[4096];
    for (int k = 0; k < sh->rank; k++) offset[k] = (float)(sqrt(SPEAKER_VAR) * rvcidx__rng_normal(&voice));
    for (size_t i = 0; i < cells; i++)
        v->centres[i] = sh->centres[i] + offset[i % (size_t)sh->rank] +
                        (float)(sqrt(ACCENT_VAR) * rvcidx__rng_normal(&voice));
    return 0;
}

static int demo_pick_phone(const demo_shape *sh, rvcidx__rng *r) {
    double u = rvcidx__rng_uniform(r);
    int lo = 0, hi = sh->phones - 1;
    while (lo < hi) { /* the first phone whose cumulative popularity reaches u */
        int mid = lo + (hi - lo) / 2;
        if (sh->popularity[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The sampler's state through one slice: the within-phone position, the
 * shared noise (whitened) and the per-dimension rest, each AR(1) with unit
 * variance. */
typedef struct demo_state {
    float within[WITHIN_RANK];
    float *shared; /* [rank] */
    float *rest;   /* [dim] */
    float *z;      /* [rank]: the frame, whitened and scaled */
} demo_state;

static void ar1_step(float *x, int n, double keep, rvcidx__rng *r) {
    double fresh = sqrt(1.0 - keep * keep);
    for (int i = 0; i < n; i++) x[i] = (float)(keep * x[i] + fresh * rvcidx__rng_normal(r));
}

static void normals(float *x, int n, rvcidx__rng *r) {
    for (int i = 0; i < n; i++) x[i] = (float)rvcidx__rng_normal(r);
}

/* One frame of phone ph into row: whitened, then through the fitted basis. */
static void demo_frame(const demo_voice *v, const demo_state *st, int ph, float *row) {
    const demo_shape *sh = v->shape;
    const rvcidx__voice_model *m = &sh->model;
    const float *centre = v->centres + (size_t)ph * (size_t)sh->rank;
    const float *within = sh->within + (size_t)ph * (size_t)sh->rank * WITHIN_RANK;
    const float shared = (float)sqrt(SHARED);
    for (int k = 0; k < sh->rank; k++) {
        float z = centre[k] + shared * st->shared[k];
        for (int i = 0; i < WITHIN_RANK; i++) z += within[k * WITHIN_RANK + i] * st->within[i];
        st->z[k] = z * m->scale[k];
    }
    for (int j = 0; j < sh->dim; j++) row[j] = m->mean[j] + m->resid[j] * st->rest[j];
    for (int k = 0; k < sh->rank; k++) {
        const float zk = st->z[k], *basis = m->basis + (size_t)k * (size_t)m->dim;
#pragma omp simd
        for (int j = 0; j < sh->dim; j++) row[j] += zk * basis[j];
    }
}

/* Fills frames [rows, dim] for one slice. */
static void demo_fill_slice(const demo_voice *v, rvcidx__rng *r, float *frames, int rows, demo_state *st) {
    const demo_shape *sh = v->shape;
    normals(st->within, WITHIN_RANK, r);
    normals(st->shared, sh->rank, r);
    normals(st->rest, sh->dim, r);
    int remaining = 0, ph = 0;
    for (int t = 0; t < rows; t++) {
        if (remaining == 0) {
            ph = demo_pick_phone(sh, r);
            remaining = SEGMENT_MIN + (int)rvcidx__rng_below(r, SEGMENT_MAX - SEGMENT_MIN + 1);
        }
        remaining--;
        ar1_step(st->within, WITHIN_RANK, WITHIN_KEEP, r);
        ar1_step(st->shared, sh->rank, SHARED_KEEP, r);
        ar1_step(st->rest, sh->dim, SHARED_KEEP, r);
        demo_frame(v, st, ph, frames + (size_t)t * (size_t)sh->dim);
    }
}

static int demo_write_slice(const char *path, const float *frames, int rows, int dim) {
    rvcidx__atomic_file f;
    RVCIDX__TRY(rvcidx__atomic_open(&f, path));
    int rc = rvcidx__npy_write_header_f32(&f, (uint64_t)rows, (uint64_t)dim);
    if (rc == 0) rc = rvcidx__atomic_write(&f, frames, sizeof(float) * (size_t)rows * (size_t)dim);
    if (rc == 0) return rvcidx__atomic_commit(&f);
    rvcidx__atomic_abort(&f);
    return rc;
}

typedef struct demo_run {
    const rvcidx_demo_params *p;
    uint64_t frames_per_speaker, rows_done, rows_total;
    demo_shape shape;
    demo_state state;
    float *frames;
} demo_run;

static int demo_report(demo_run *run, int finished) {
    if (!run->p->progress) return 0;
    rvcidx_progress pr = {"demo", "rows", run->rows_done, run->rows_total,
                          run->rows_done * (uint64_t)run->p->dim * sizeof(float), finished};
    if (run->p->progress(&pr, run->p->progress_user))
        return rvcidx__fail(RVCIDX_EINTR, "demo: stopped on request");
    return 0;
}

/* One speaker: clips of 3..10 slices, each ~185 frames, the clip's last shorter. */
static int demo_write_speaker(demo_run *run, const char *root, int speaker) {
    const rvcidx_demo_params *p = run->p;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/%s%d/3_feature%d", root, p->speaker_prefix, speaker, p->dim);
    RVCIDX__TRY(rvcidx__mkdir_p(dir));
    demo_voice voice;
    RVCIDX__TRY(demo_voice_init(&voice, &run->shape, p, speaker));
    int rc = 0;
    uint64_t written = 0;
    for (int clip = 0; rc == 0 && written < run->frames_per_speaker; clip++) {
        rvcidx__rng layout;
        rvcidx__rng_init(&layout, p->seed, ((uint64_t)speaker << 32) ^ (uint64_t)clip ^ 0xc11bULL);
        int slices = 3 + (int)rvcidx__rng_below(&layout, 8);
        for (int s = 0; rc == 0 && s < slices && written < run->frames_per_speaker; s++) {
            int rows = s + 1 < slices ? SLICE_FRAMES - 15 + (int)rvcidx__rng_below(&layout, 31)
                                      : 40 + (int)rvcidx__rng_below(&layout, SLICE_FRAMES - 40);
            if ((uint64_t)rows > run->frames_per_speaker - written)
                rows = (int)(run->frames_per_speaker - written);
            rvcidx__rng r;
            rvcidx__rng_init(&r, p->seed, ((uint64_t)speaker << 40) ^ ((uint64_t)clip << 16) ^ (uint64_t)s);
            demo_fill_slice(&voice, &r, run->frames, rows, &run->state);
            snprintf(path, sizeof path, "%s/%d_%d.npy", dir, clip, s);
            rc = demo_write_slice(path, run->frames, rows, p->dim);
            written += (uint64_t)rows;
            run->rows_done += (uint64_t)rows;
            if (rc == 0) rc = demo_report(run, 0);
        }
    }
    free(voice.centres);
    return rc;
}

static int demo_check_params(const char *root, const rvcidx_demo_params *p) {
    if (!root || !p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_demo_write: NULL argument");
    if (p->dim != 768 && p->dim != 256)
        return rvcidx__fail(RVCIDX_EINVAL, "demo: `dim` must be 768 (RVC v2) or 256 (v1), not %d", p->dim);
    if (p->speakers < 1 || p->speakers > 100000)
        return rvcidx__fail(RVCIDX_EINVAL, "demo: `speakers` must be 1..100000, not %d", p->speakers);
    if (!(p->minutes > 0.0) || p->minutes > 1.0e6)
        return rvcidx__fail(RVCIDX_EINVAL, "demo: `minutes` must be > 0 and at most 1e6");
    if (p->phones < 1 || p->phones > 10000)
        return rvcidx__fail(RVCIDX_EINVAL, "demo: phones must be 1..10000, not %d", p->phones);
    if (!p->speaker_prefix || strchr(p->speaker_prefix, '/'))
        return rvcidx__fail(RVCIDX_EINVAL, "demo: the speaker prefix must not contain '/'");
    return 0;
}

static void demo_run_free(demo_run *run) {
    demo_shape_free(&run->shape);
    free(run->state.shared);
    free(run->state.rest);
    free(run->state.z);
    free(run->frames);
}

static int demo_run_init(demo_run *run, const rvcidx_demo_params *p) {
    memset(run, 0, sizeof *run);
    run->p = p;
    run->frames_per_speaker = (uint64_t)llround(p->minutes * 60.0 * FRAMES_PER_SECOND);
    if (run->frames_per_speaker == 0) run->frames_per_speaker = 1;
    run->rows_total = run->frames_per_speaker * (uint64_t)p->speakers;
    RVCIDX__TRY(demo_shape_init(&run->shape, p));
    run->frames = malloc(sizeof(float) * SLICE_FRAMES * 2 * (size_t)p->dim);
    run->state.shared = malloc(sizeof(float) * (size_t)run->shape.rank);
    run->state.z = malloc(sizeof(float) * (size_t)run->shape.rank);
    run->state.rest = malloc(sizeof(float) * (size_t)p->dim);
    if (run->frames && run->state.shared && run->state.z && run->state.rest) return 0;
    demo_run_free(run);
    return rvcidx__fail(RVCIDX_ENOMEM, "demo: out of memory");
}

int rvcidx_demo_write(const char *root, const rvcidx_demo_params *p, uint64_t *rows_out) {
    RVCIDX__TRY(demo_check_params(root, p));
    demo_run run;
    RVCIDX__TRY(demo_run_init(&run, p));
    rvcidx__log(RVCIDX_LOG_INFO, "demo: writing %d speaker(s) x %.2f min (%llu frames of D=%d) under %s",
                p->speakers, p->minutes, (unsigned long long)run.rows_total, p->dim, root);
    int rc = 0;
    for (int s = 0; rc == 0 && s < p->speakers; s++) rc = demo_write_speaker(&run, root, p->first_speaker + s);
    if (rc == 0) rc = demo_report(&run, 1);
    uint64_t done = run.rows_done;
    demo_run_free(&run);
    if (rc == 0 && rows_out) *rows_out = done;
    return rc;
}
