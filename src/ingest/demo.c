/* demo.c — the built-in example: a deterministic RVC-like feature tree.
 *
 * Model of the data (clustered, like HuBERT/ContentVec features):
 *  - P shared phone prototypes in R^D (the clusters an IVF index should find);
 *  - per speaker, a voice offset and a small per-phone accent, so speakers
 *    overlap but differ, as real multi-speaker sets do;
 *  - frames walk through phone segments of 3..14 frames, with AR(1) noise so
 *    neighbouring frames are correlated, and phone popularity uneven (Zipf),
 *    so clusters have unequal sizes.
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
#include "ingest/npy.h"
#include "base/rng.h"
#include "rvcidx/demo.h"

enum { FRAMES_PER_SECOND = 50, SLICE_FRAMES = 185 };

rvcidx_demo_params rvcidx_demo_default_params(void) {
    rvcidx_demo_params p = {0};
    p.speakers = 4;
    p.minutes = 3.0;
    p.dim = 768;
    p.seed = 1234;
    p.phones = 48;
    p.speaker_prefix = "speaker";
    return p;
}

typedef struct demo_voice {
    int dim, phones;
    float *phone_means; /* [phones, dim]: prototypes + this speaker's voice */
    double *popularity; /* [phones] cumulative, Zipf-like */
} demo_voice;

static void demo_voice_free(demo_voice *v) {
    free(v->phone_means);
    free(v->popularity);
}

/* Prototypes are shared by all speakers (stream 0); the voice is per speaker. */
static int demo_voice_init(demo_voice *v, const rvcidx_demo_params *p, int speaker) {
    memset(v, 0, sizeof *v);
    v->dim = p->dim;
    v->phones = p->phones;
    v->phone_means = malloc(sizeof(float) * (size_t)p->phones * (size_t)p->dim);
    v->popularity = malloc(sizeof(double) * (size_t)p->phones);
    float *offset = malloc(sizeof(float) * (size_t)p->dim);
    if (!v->phone_means || !v->popularity || !offset) {
        free(offset);
        demo_voice_free(v);
        return rvcidx__fail(RVCIDX_ENOMEM, "demo: out of memory for %d phones x %d dims", p->phones, p->dim);
    }
    rvcidx__rng shared, voice;
    rvcidx__rng_init(&shared, p->seed, 0);
    rvcidx__rng_init(&voice, p->seed, 1000003ULL * (uint64_t)(speaker + 1));
    for (int j = 0; j < p->dim; j++) offset[j] = (float)(0.5 * rvcidx__rng_normal(&voice));
    double cumulative = 0.0;
    for (int ph = 0; ph < p->phones; ph++) {
        float *mean = v->phone_means + (size_t)ph * (size_t)p->dim;
        for (int j = 0; j < p->dim; j++)
            mean[j] = (float)rvcidx__rng_normal(&shared) + offset[j] +
                      (float)(0.3 * rvcidx__rng_normal(&voice));
        cumulative += 1.0 / (ph + 1.0);
        v->popularity[ph] = cumulative;
    }
    for (int ph = 0; ph < p->phones; ph++) v->popularity[ph] /= cumulative;
    free(offset);
    return 0;
}

static int demo_pick_phone(const demo_voice *v, rvcidx__rng *r) {
    double u = rvcidx__rng_uniform(r);
    int ph = 0;
    while (ph < v->phones - 1 && v->popularity[ph] < u) ph++;
    return ph;
}

/* Fills frames [rows, dim] for one slice. */
static void demo_fill_slice(const demo_voice *v, rvcidx__rng *r, float *frames, int rows,
                            float *noise) {
    const double keep = 0.7, fresh = sqrt(1.0 - keep * keep), sigma = 0.6;
    for (int j = 0; j < v->dim; j++) noise[j] = (float)(sigma * rvcidx__rng_normal(r));
    int remaining = 0;
    const float *mean = NULL;
    for (int t = 0; t < rows; t++) {
        if (remaining == 0) {
            mean = v->phone_means + (size_t)demo_pick_phone(v, r) * (size_t)v->dim;
            remaining = 3 + (int)rvcidx__rng_below(r, 12);
        }
        remaining--;
        float *row = frames + (size_t)t * (size_t)v->dim;
        for (int j = 0; j < v->dim; j++) {
            noise[j] = (float)(keep * noise[j] + fresh * sigma * rvcidx__rng_normal(r));
            row[j] = mean[j] + noise[j];
        }
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
    float *frames, *noise;
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
    RVCIDX__TRY(demo_voice_init(&voice, p, speaker));
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
            demo_fill_slice(&voice, &r, run->frames, rows, run->noise);
            snprintf(path, sizeof path, "%s/%d_%d.npy", dir, clip, s);
            rc = demo_write_slice(path, run->frames, rows, p->dim);
            written += (uint64_t)rows;
            run->rows_done += (uint64_t)rows;
            if (rc == 0) rc = demo_report(run, 0);
        }
    }
    demo_voice_free(&voice);
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
    if (p->phones < 1 || p->phones > 1000000)
        return rvcidx__fail(RVCIDX_EINVAL, "demo: phones must be 1..1000000, not %d", p->phones);
    if (!p->speaker_prefix || strchr(p->speaker_prefix, '/'))
        return rvcidx__fail(RVCIDX_EINVAL, "demo: the speaker prefix must not contain '/'");
    return 0;
}

int rvcidx_demo_write(const char *root, const rvcidx_demo_params *p, uint64_t *rows_out) {
    RVCIDX__TRY(demo_check_params(root, p));
    demo_run run = {p, 0, 0, 0, NULL, NULL};
    run.frames_per_speaker = (uint64_t)llround(p->minutes * 60.0 * FRAMES_PER_SECOND);
    if (run.frames_per_speaker == 0) run.frames_per_speaker = 1;
    run.rows_total = run.frames_per_speaker * (uint64_t)p->speakers;
    run.frames = malloc(sizeof(float) * SLICE_FRAMES * 2 * (size_t)p->dim);
    run.noise = malloc(sizeof(float) * (size_t)p->dim);
    if (!run.frames || !run.noise) {
        free(run.frames);
        free(run.noise);
        return rvcidx__fail(RVCIDX_ENOMEM, "demo: out of memory");
    }
    rvcidx__log(RVCIDX_LOG_INFO, "demo: writing %d speaker(s) x %.2f min (%llu frames of D=%d) under %s",
                p->speakers, p->minutes, (unsigned long long)run.rows_total, p->dim, root);
    int rc = 0;
    for (int s = 0; rc == 0 && s < p->speakers; s++) rc = demo_write_speaker(&run, root, p->first_speaker + s);
    if (rc == 0) rc = demo_report(&run, 1);
    free(run.frames);
    free(run.noise);
    if (rc == 0 && rows_out) *rows_out = run.rows_done;
    return rc;
}
