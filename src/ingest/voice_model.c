/* voice_model.c — unpacks the compiled-in voice model (voice_model.h). The
 * bytes come from src/ingest/voice_model.bin, which CMake turns into an
 * array (src/CMakeLists.txt); the layout is scripts/fit-voice-model.py's. */
#include "ingest/voice_model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"

extern const unsigned char rvcidx__voice_model_bytes[];
extern const size_t rvcidx__voice_model_bytes_size;

static const char MAGIC[16] = "RVCIDX-VOICE-1\0";

static uint32_t read_u32_le(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Little-endian float32s: the byte order is the file's, not the machine's. */
static void read_floats(float *out, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = read_u32_le(p + 4 * i);
        memcpy(&out[i], &u, sizeof u);
    }
}

void rvcidx__voice_model_free(rvcidx__voice_model *m) {
    free(m->mean);
    free(m->resid);
    free(m->scale);
    free(m->basis);
    memset(m, 0, sizeof *m);
}

int rvcidx__voice_model_load(rvcidx__voice_model *m) {
    memset(m, 0, sizeof *m);
    const unsigned char *p = rvcidx__voice_model_bytes;
    size_t size = rvcidx__voice_model_bytes_size, head = sizeof MAGIC + 8;
    if (size < head || memcmp(p, MAGIC, sizeof MAGIC) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "demo: the compiled-in voice model is damaged; rebuild rvcidx");
    uint32_t dim = read_u32_le(p + 16), rank = read_u32_le(p + 20);
    if (dim < 1 || dim > 4096 || rank < 1 || rank > dim ||
        size != head + 4 * ((size_t)dim * 2 + rank + (size_t)rank * dim))
        return rvcidx__fail(RVCIDX_EINPUT, "demo: the compiled-in voice model has the wrong size; rebuild rvcidx");
    m->dim = (int)dim, m->rank = (int)rank;
    m->mean = malloc(sizeof(float) * dim);
    m->resid = malloc(sizeof(float) * dim);
    m->scale = malloc(sizeof(float) * rank);
    m->basis = malloc(sizeof(float) * rank * dim);
    if (!m->mean || !m->resid || !m->scale || !m->basis) {
        rvcidx__voice_model_free(m);
        return rvcidx__fail(RVCIDX_ENOMEM, "demo: out of memory for the voice model");
    }
    p += head;
    read_floats(m->mean, p, dim), p += 4 * (size_t)dim;
    read_floats(m->resid, p, dim), p += 4 * (size_t)dim;
    read_floats(m->scale, p, rank), p += 4 * (size_t)rank;
    read_floats(m->basis, p, (size_t)rank * dim);
    return 0;
}
