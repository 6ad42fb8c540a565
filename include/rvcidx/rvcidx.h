/* rvcidx/rvcidx.h — the whole public API in one include. */
#ifndef RVCIDX_H
#define RVCIDX_H

#include "rvcidx/app.h"
#include "rvcidx/build.h"
#include "rvcidx/demo.h"
#include "rvcidx/error.h"
#include "rvcidx/eval.h"
#include "rvcidx/gpu.h"
#include "rvcidx/index.h"
#include "rvcidx/index_build.h"
#include "rvcidx/ingest.h"
#include "rvcidx/log.h"
#include "rvcidx/outdir.h"
#include "rvcidx/params.h"
#include "rvcidx/plan.h"
#include "rvcidx/progress.h"
#include "rvcidx/reduce.h"
#include "rvcidx/store.h"
#include "rvcidx/version.h"

#endif
