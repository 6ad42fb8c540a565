/* run_context.c — one run's context (see run_context.h). */
#include <string.h>

#include "backend/run_context.h"
#include "base/internal.h"

void rvcidx__ctx_open(rvcidx__ctx *c, const rvcidx_run *run) {
    memset(c, 0, sizeof *c);
    c->run = run ? *run : rvcidx_run_default();
    c->threads_before = rvcidx__threads_get();
    rvcidx__set_threads(c->run.threads);
}

int rvcidx__ctx_device(rvcidx__ctx *c, rvcidx__backend **out) {
    if (!c->backend) RVCIDX__TRY(rvcidx__backend_acquire(c->run.gpu, c->run.gpu_device, &c->backend));
    *out = c->backend;
    return 0;
}

void rvcidx__ctx_close(rvcidx__ctx *c) {
    rvcidx__backend_release(c->backend);
    c->backend = NULL;
    rvcidx__threads_restore(c->threads_before);
}
