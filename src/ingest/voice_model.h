/* voice_model.h — private: the model of real ContentVec frames that
 * `rvcidx demo` draws from, fitted by scripts/fit-voice-model.py and
 * compiled into the library (src/ingest/voice_model.bin; docs/demo.md says
 * where it comes from and how the demo uses it). */
#ifndef RVCIDX_VOICE_MODEL_H
#define RVCIDX_VOICE_MODEL_H

typedef struct rvcidx__voice_model {
    int dim;      /* 768 */
    int rank;     /* principal directions kept */
    float *mean;  /* [dim] */
    float *resid; /* [dim]: standard deviation the other directions leave */
    float *scale; /* [rank]: per direction, its (tempered) standard deviation */
    float *basis; /* [rank][dim], unit rows */
} rvcidx__voice_model;

/* Unpacks the compiled-in model into m (the caller frees it with
 * rvcidx__voice_model_free). RVCIDX_EINPUT if the compiled-in bytes are not a model (a broken build). */
int rvcidx__voice_model_load(rvcidx__voice_model *m);

void rvcidx__voice_model_free(rvcidx__voice_model *m);

#endif
