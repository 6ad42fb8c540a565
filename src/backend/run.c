/* run.c — a run's device, threads and progress (rvcidx/run.h): defaults and
 * each setting from text, for the options and bindings. */
#include <string.h>

#include "base/internal.h"
#include "base/param_text.h"
#include "rvcidx/run.h"

rvcidx_run rvcidx_run_default(void) {
    rvcidx_run r;
    memset(&r, 0, sizeof r);
    r.gpu = RVCIDX_GPU_AUTO;
    return r;
}

/* k already in '_' form; 1 when k is not a run setting. */
int rvcidx__run_param_set(rvcidx_run *r, const char *k, const char *value) {
    static const char *const gpu[] = {"auto", "on", "off"};
    long v = 0;
    int choice = 0;
    if (!strcmp(k, "gpu")) {
        RVCIDX__TRY(rvcidx__param_choice(k, value, gpu, 3, &choice));
        r->gpu = (rvcidx_gpu_mode)choice;
    } else if (!strcmp(k, "gpu_device")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 0, 1023, &v));
        r->gpu_device = (int)v;
    } else if (!strcmp(k, "threads")) {
        RVCIDX__TRY(rvcidx__param_long(k, value, 0, 4096, &v));
        r->threads = (int)v;
    } else {
        return 1;
    }
    return 0;
}

int rvcidx_run_set(rvcidx_run *r, const char *key, const char *value) {
    char k[32];
    if (!r) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_run_set: NULL run");
    RVCIDX__TRY(rvcidx__param_key(key, k, sizeof k));
    int rc = rvcidx__run_param_set(r, k, value);
    return rc == 1 ? rvcidx__fail(RVCIDX_EINVAL, "'%s' is not a run setting", key) : rc;
}
