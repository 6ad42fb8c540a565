/* build_params.c — the whole build's parameters: the CLI's defaults, and
 * setting them by name from text (for bindings, and behind the CLI's own
 * options), with the same values and checks as `rvcidx build`'s options. */
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#include "base/param_text.h"
#include "rvcidx/app.h"
#include "rvcidx/build.h"
#include "pipeline/split.h"

rvcidx_build_params rvcidx_build_default_params(void) {
    rvcidx_build_params p;
    memset(&p, 0, sizeof p);
    p.part = -1;
    p.check_fit = 1;
    p.ingest = rvcidx_ingest_default_params();
    p.index = rvcidx_index_default_params();
    p.reduce = rvcidx_reduce_default_params();
    p.eval = rvcidx_eval_default_params();
    p.run = rvcidx_run_default();
    return p;
}

rvcidx_build_params *rvcidx_build_params_create(void) {
    rvcidx_build_params *p = malloc(sizeof *p);
    if (!p) {
        rvcidx__fail(RVCIDX_ENOMEM, "rvcidx_build_params_create: out of memory");
        return NULL;
    }
    *p = rvcidx_build_default_params();
    return p;
}

void rvcidx_build_params_free(rvcidx_build_params *p) { free(p); }

/* `for`: kept, and applied by rvcidx_build_params_resolve after every other
 * parameter, so the order they were set in does not matter. */
static int set_app(rvcidx_build_params *p, const char *value) {
    rvcidx_app app = RVCIDX_APP_NONE;
    if (rvcidx_app_from_name(value, &app)) /* its message names the app list */
        return rvcidx__fail(RVCIDX_EINVAL, "for: %s", rvcidx_last_error());
    p->app = app;
    return 0;
}

/* The parameters `for` checks against, when set explicitly. */
static unsigned given_bit(const char *k) {
    return !strcmp(k, "index") ? RVCIDX_GIVEN_INDEX : !strcmp(k, "k") ? RVCIDX_GIVEN_K
           : !strcmp(k, "nprobe") ? RVCIDX_GIVEN_NPROBE : 0u;
}

/* 1 when k is not one of the build's own parameters. */
static int set_own(rvcidx_build_params *p, const char *k, const char *value) {
    static const char *const stages[] = {"all", "prepare", "part", "finish"};
    long v = 0;
    int choice = 0;
    if (!strcmp(k, "outdir")) return rvcidx__param_string(k, value, &p->outdir);
    if (!strcmp(k, "name")) {
        char check[512]; /* the name as the index file name will hold it: UTF-8, not too long */
        RVCIDX__TRY(rvcidx__param_string(k, value, &p->name));
        if (rvcidx_index_file_name(&p->index, 768, 1, value, check, sizeof check) != 0)
            return p->name = NULL, rvcidx__fail(RVCIDX_EINVAL, "name: %s", rvcidx_last_error());
        return 0;
    }
    if (!strcmp(k, "per_speaker")) return rvcidx__param_bool(k, value, &p->per_speaker);
    if (!strcmp(k, "check_fit")) return rvcidx__param_bool(k, value, &p->check_fit);
    if (!strcmp(k, "no_plan_check")) { /* the CLI's --no-plan-check, by its own name */
        int off = 0;
        RVCIDX__TRY(rvcidx__param_bool(k, value, &off));
        return p->check_fit = !off, 0;
    }
    if (!strcmp(k, "assume_memory")) return rvcidx__param_size(k, value, &p->assume_memory);
    if (!strcmp(k, "assume_disk")) return rvcidx__param_size(k, value, &p->assume_disk);
    if (!strcmp(k, "split")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, RVCIDX_SPLIT_MAX_PARTS, &v));
        p->split = (unsigned)v;
        return 0;
    }
    if (!strcmp(k, "part")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 0, RVCIDX_SPLIT_MAX_PARTS - 1, &v));
        p->part = v;
        return 0;
    }
    if (!strcmp(k, "stage")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, stages, 4, &choice));
        p->stage = (rvcidx_build_stage)choice;
        return 0;
    }
    if (!strcmp(k, "for")) return set_app(p, value);
    return 1;
}

int rvcidx_build_params_set(rvcidx_build_params *p, const char *key, const char *value) {
    char k[32];
    if (!p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_build_params_set: NULL params");
    RVCIDX__TRY(rvcidx__param_key(key, k, sizeof k));
    int rc = set_own(p, k, value);
    if (rc == 1) rc = rvcidx__ingest_param_set(&p->ingest, k, value);
    if (rc == 1) rc = rvcidx__run_param_set(&p->run, k, value);
    if (rc == 1) rc = rvcidx__index_param_set(&p->index, k, value);
    if (rc == 1) rc = rvcidx__reduce_param_set(&p->reduce, k, value);
    if (rc == 1) rc = rvcidx__eval_param_set(&p->eval, k, value);
    if (rc == 0) p->given |= given_bit(k);
    return rc == 1 ? rvcidx__fail(RVCIDX_EINVAL, "'%s' is not a build parameter", key) : rc;
}

void rvcidx_build_params_set_sources(rvcidx_build_params *p, const char *const *sources, int n) {
    if (!p) return;
    p->sources = sources;
    p->n_sources = n;
}

void rvcidx_build_params_set_frames(rvcidx_build_params *p, const rvcidx_frames *frames, size_t n) {
    if (!p) return;
    p->ingest.frames = frames;
    p->ingest.n_frames = n;
}

void rvcidx_build_params_set_progress(rvcidx_build_params *p, rvcidx_progress_fn fn, void *user) {
    if (!p) return;
    p->run.progress = fn;
    p->run.progress_user = user;
}

/* `for` against what was given explicitly: the app's calls fail, or its own
 * settings win, whichever order the parameters came in. */
int rvcidx__build_params_check_app(const rvcidx_build_params *p) {
    if (p->app == RVCIDX_APP_NONE) return 0;
    const rvcidx_app_profile *a = rvcidx_app_profile_get(p->app);
    if (!a) return rvcidx__fail(RVCIDX_EINVAL, "for: unknown app %d", (int)p->app);
    if ((p->given & RVCIDX_GIVEN_INDEX) && !rvcidx_app_accepts(p->app, p->index.type))
        return rvcidx__fail(RVCIDX_EINVAL, "`for` %s: the app sets index.nprobe = %d on the file it loads, and the "
                            "refine wrapper of `index` ivfpq4fs has no nprobe (faiss >= 1.13 raises): drop `index` "
                            "or use ivfflat", a->name, a->nprobe);
    if ((p->given & RVCIDX_GIVEN_K) && p->eval.k != a->k)
        return rvcidx__fail(RVCIDX_EINVAL, "`for` %s: the app searches with k=%d, not `k` %d: drop `k`", a->name, a->k,
                            p->eval.k);
    if ((p->given & RVCIDX_GIVEN_NPROBE) && a->nprobe)
        return rvcidx__fail(RVCIDX_EINVAL, "`for` %s: the app sets nprobe %d itself, whatever `nprobe` stores: drop "
                            "`nprobe`", a->name, a->nprobe);
    return 0;
}

int rvcidx_build_params_resolve(const rvcidx_build_params *p, rvcidx_build_params *out) {
    if (!p || !out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_build_params_resolve: NULL argument");
    RVCIDX__TRY(rvcidx__build_params_check_app(p));
    *out = *p;
    return rvcidx_app_apply(p->app, &out->index, &out->eval);
}
