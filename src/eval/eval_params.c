/* eval_params.c — eval's parameters: the defaults and setting them by name. */
#include <string.h>

#include "base/internal.h"
#include "base/param_text.h"
#include "rvcidx/eval.h"

rvcidx_eval_params rvcidx_eval_default_params(void) {
    rvcidx_eval_params p;
    memset(&p, 0, sizeof p);
    p.k = 8;
    p.queries = 1000;
    p.seed = 4321;
    p.target_recall = 0.95;
    p.tune = 1;
    p.measure_speed = 1;
    p.search_threads = -1;
    return p;
}

int rvcidx__eval_param_set(rvcidx_eval_params *p, const char *k, const char *value) {
    static const char *const from[] = {"auto", "self", "other-speakers"};
    long v = 0;
    int choice = 0, flag = 0;
    if (!strcmp(k, "k")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 1024, &v));
        p->k = (int)v;
    } else if (!strcmp(k, "queries")) {
        RVCIDX__TRY(rvcidx__param_string(k, value, &p->queries_store));
    } else if (!strcmp(k, "eval_queries")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 1L << 40, &v));
        p->queries = (uint64_t)v;
    } else if (!strcmp(k, "target_recall")) {
        RVCIDX__TRY(rvcidx__param_double(k, value, 0.0, 1.0, &p->target_recall));
    } else if (!strcmp(k, "no_tune")) {
        RVCIDX__TRY(rvcidx__param_bool(k, value, &flag));
        p->tune = !flag;
    } else if (!strcmp(k, "no_timing")) {
        RVCIDX__TRY(rvcidx__param_bool(k, value, &flag));
        p->measure_speed = !flag;
    } else if (!strcmp(k, "max_block_ms")) {
        RVCIDX__TRY(rvcidx__param_double(k, value, 1e-3, 1e6, &p->max_block_ms));
    } else if (!strcmp(k, "block_frames")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 65536, &v));
        p->block_frames = (int)v;
    } else if (!strcmp(k, "search_threads")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 0, 4096, &v));
        p->search_threads = (int)v;
    } else if (!strcmp(k, "queries_from")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, from, 3, &choice));
        p->queries_from = choice == 0 ? RVCIDX_QUERIES_AUTO : choice == 1 ? RVCIDX_QUERIES_SELF : RVCIDX_QUERIES_OTHER;
    } else {
        return 1;
    }
    return 0;
}

int rvcidx_eval_params_set(rvcidx_eval_params *p, const char *key, const char *value) {
    char k[32];
    if (!p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_eval_params_set: NULL params");
    RVCIDX__TRY(rvcidx__param_key(key, k, sizeof k));
    int rc = rvcidx__eval_param_set(p, k, value);
    return rc == 1 ? rvcidx__fail(RVCIDX_EINVAL, "'%s' is not an eval parameter", key) : rc;
}
