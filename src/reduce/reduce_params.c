/* reduce_params.c — the reduce stage's parameters: defaults, the method
 * names, and each parameter from text (for the options and bindings). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#include "base/param_text.h"
#include "rvcidx/reduce.h"

static const char *const method_names[] = {"kmeans", "stratified", "random", "auto", "hubs"};

rvcidx_reduce_params rvcidx_reduce_default_params(void) {
    rvcidx_reduce_params p;
    memset(&p, 0, sizeof p);
    p.method = RVCIDX_REDUCE_AUTO;
    return p;
}

const char *rvcidx_reduce_method_name(rvcidx_reduce_method method) {
    return (int)method >= 0 && (int)method < 5 ? method_names[method] : "?";
}

/* SIZE: bytes, or a number with K, M, G or T (powers of 1024; "GiB", "G"
 * and "GB" alike), e.g. 1.5G. */
static int param_size(const char *k, const char *value, uint64_t *out) {
    char *end = NULL;
    double v = value ? strtod(value, &end) : -1;
    double mult = 1;
    if (end && *end) {
        const char *units = "KMGT";
        const char *u = strchr(units, toupper((unsigned char)*end));
        if (!u || !*u) end = NULL;
        else {
            for (const char *c = units; c <= u; c++) mult *= 1024;
            end++;
            if (*end == 'i' || *end == 'I') end++;
            if (*end == 'B' || *end == 'b') end++;
        }
    }
    if (!value || !end || *end || end == value || !(v > 0) || v * mult > 1e18)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: '%s' is not a size (bytes, or a number with K, M, G or T)", k,
                            value ? value : "");
    *out = (uint64_t)(v * mult);
    return 0;
}

/* k already in '_' form; 1 when k is not a reduce parameter. */
int rvcidx__reduce_param_set(rvcidx_reduce_params *p, const char *k, const char *value) {
    long v = 0;
    int choice = 0;
    if (!strcmp(k, "max_vectors")) {
        if (value && !strcmp(value, "all")) return p->max_vectors = 0, 0;
        RVCIDX__TRY(rvcidx__param_long(k, value, 1, 1L << 40, &v));
        p->max_vectors = (uint64_t)v;
    } else if (!strcmp(k, "max_app_memory")) {
        if (value && !strcmp(value, "none")) return p->max_app_memory = 0, 0;
        RVCIDX__TRY(param_size(k, value, &p->max_app_memory));
    } else if (!strcmp(k, "reduce")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, method_names, 5, &choice));
        p->method = (rvcidx_reduce_method)choice;
    } else {
        return 1;
    }
    return 0;
}

int rvcidx_reduce_params_set(rvcidx_reduce_params *p, const char *key, const char *value) {
    char k[32];
    if (!p) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_reduce_params_set: NULL params");
    RVCIDX__TRY(rvcidx__param_key(key, k, sizeof k));
    int rc = rvcidx__reduce_param_set(p, k, value);
    return rc == 1 ? rvcidx__fail(RVCIDX_EINVAL, "'%s' is not a reduce parameter", key) : rc;
}
