/* rvcidx/build.h — the whole build of one OUTDIR, as `rvcidx build` runs it:
 *
 *   plan check -> lock OUTDIR -> ingest (incremental) -> nothing to do when
 *   the manifest's request is today's and its outputs are there -> per index
 *   (one, or one per speaker): train -> encode -> eval/tune -> publish and
 *   reports -> run.json -> manifest.json, written last: its presence marks a
 *   complete build.
 *
 * A split build (split > 0) runs the same work in stages that separate
 * processes may run: prepare, each part, finish (docs/scale.md).
 *
 * The library never prints and never forks: what happens is told through
 * the progress callback (bars), the log sink (rvcidx/log.h) and the event
 * callback (one call per finished step, for a display like the CLI's). A
 * plain build that fails after taking OUTDIR's lock leaves
 * OUTDIR/.rvcidx-failed.json for `rvcidx status` (r->started tells; a
 * refusal before it, by the plan check or the parameters, writes nothing in
 * OUTDIR; split stages leave no note). It returns the status, with
 * rvcidx_last_error() saying what to do next; rvcidx_exit_code() gives the
 * exit code the command would use.
 *
 * Builds of different OUTDIRs may run at once in threads of one process.
 */
#ifndef RVCIDX_BUILD_H
#define RVCIDX_BUILD_H

#include "rvcidx/export.h"

#include <stddef.h>

#include "rvcidx/eval.h"
#include "rvcidx/index.h"
#include "rvcidx/index_build.h"
#include "rvcidx/ingest.h"
#include "rvcidx/app.h"
#include "rvcidx/plan.h"
#include "rvcidx/progress.h"
#include "rvcidx/reduce.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `split`: at most this many parts. */
enum { RVCIDX_SPLIT_MAX_PARTS = 4096 };

typedef enum rvcidx_build_stage {
    RVCIDX_STAGE_ALL = 0, /* every stage, here */
    RVCIDX_STAGE_PREPARE, /* split: ingest, reduce (with a budget) and train once (locks OUTDIR) */
    RVCIDX_STAGE_PART,    /* split: encode one part (no lock) */
    RVCIDX_STAGE_FINISH   /* split: merge, tune, publish, manifest (locks OUTDIR) */
} rvcidx_build_stage;

typedef enum rvcidx_build_event_kind {
    RVCIDX_EVENT_PLAN_REFUSED,   /* plan: the build does not fit (then RVCIDX_ETOOBIG) */
    RVCIDX_EVENT_INGESTED,       /* ingest, seconds, path (the store) */
    RVCIDX_EVENT_UP_TO_DATE,     /* nothing to do; seconds since the start; part >= 0: a part stage */
    RVCIDX_EVENT_INDEX_DONE,     /* index published: index, name, dir */
    RVCIDX_EVENT_INDEX_MISSED,   /* no setting reached the target: index (its eval), name, dir */
    RVCIDX_EVENT_SPLIT_PREPARED, /* parts, reused, seconds */
    RVCIDX_EVENT_PART_DONE,      /* part, parts, reused, seconds */
    RVCIDX_EVENT_MANIFEST        /* path: the manifest written */
} rvcidx_build_event_kind;

/* Everything an event points to is the library's, valid during the call. */
typedef struct rvcidx_build_event {
    rvcidx_build_event_kind kind;
    const char *outdir;
    const char *path;
    const char *name, *dir;
    const rvcidx_plan_result *plan;
    const rvcidx_ingest_result *ingest;
    const rvcidx_index_result *index;
    long part;
    unsigned parts;
    int reused;
    double seconds;
} rvcidx_build_event;

typedef void (*rvcidx_build_event_fn)(const rvcidx_build_event *event, void *user);

/* Draws report.svg (recall against speed) at svg_path; 0 when drawn. The
 * library writes no plot itself: drawing one means running a program
 * (the CLI runs gnuplot), which a library must not do inside its host. */
typedef int (*rvcidx_plot_fn)(const rvcidx_eval_report *report, const char *svg_path, void *user);

typedef struct rvcidx_build_params { /* from rvcidx_build_default_params() */
    const char *outdir;               /* required */
    const char *const *sources;       /* required (or ingest.frames): model directories, shard folders,
                                         list files */
    int n_sources;
    const char *name;                 /* model name in the index file name; NULL: the first source's
                                         ("frames" for frames in memory) */
    int per_speaker;                  /* 1: one index per speaker, in OUTDIR/<speaker>/ */
    unsigned split;                   /* > 0: one index encoded in this many parts */
    rvcidx_build_stage stage;         /* split builds: which stage to run */
    long part;                        /* STAGE_PART: the part (0-based); -1 (default): $SLURM_ARRAY_TASK_ID */
    int check_fit;                    /* 1 (default): refuse, before any work, a build that does not
                                         fit this machine's memory or disk (RVCIDX_ETOOBIG); 0
                                         (`no_plan_check`): skip the check, logging a warning */
    uint64_t assume_memory;           /* bytes, > 0: the plan check counts on this much memory instead
                                         of what it sees (MemAvailable, memory.max,
                                         RVCIDX_MEMORY_LIMIT), logging both; 0: RVCIDX_ASSUME_MEMORY,
                                         else what it sees */
    uint64_t assume_disk;             /* the same for the output filesystem's free space
                                         (RVCIDX_ASSUME_DISK, RVCIDX_DISK_LIMIT) */
    rvcidx_ingest_params ingest;
    rvcidx_index_params index;
    rvcidx_reduce_params reduce;      /* a budget: how many vectors each index keeps, and how chosen */
    rvcidx_eval_params eval;
    rvcidx_app app;                   /* `for`: the app that loads the index (RVCIDX_APP_NONE: none); its needs
                                         are applied by rvcidx_build over index and eval, whatever order the
                                         parameters were set in */
    unsigned given;                   /* RVCIDX_GIVEN_* bits: set explicitly, so `for` may not override them
                                         (rvcidx_build_params_set keeps it; a struct filled by hand sets it) */
    rvcidx_run run;                   /* the device, threads and progress callback: acquired once for
                                         every stage (rvcidx/run.h) */
    rvcidx_build_event_fn on_event;   /* optional */
    void *event_user;
    rvcidx_plot_fn plot;              /* optional: report.svg */
    void *plot_user;
} rvcidx_build_params;

typedef struct rvcidx_build_result {
    int unchanged;               /* 1: OUTDIR was up to date, nothing was rebuilt */
    int started;                 /* 1: OUTDIR's lock was taken: a failure after it left its note */
    char manifest_path[4096];    /* "" when no manifest was written (a prepare or part stage) */
    rvcidx_built_index *indexes; /* owned: free with rvcidx_build_result_clear; after a failure, the
                                    indexes not built have index_path "" */
    size_t n_indexes;
    rvcidx_plan_result plan;     /* when plan_checked */
    int plan_checked;
    double ingest_seconds, seconds;
} rvcidx_build_result;

/* rvcidx_build_params.given: the parameters `for` must not contradict. */
enum { RVCIDX_GIVEN_INDEX = 1u, RVCIDX_GIVEN_K = 2u, RVCIDX_GIVEN_NPROBE = 4u };

/* The CLI's defaults: the seed's IVF,PQx4fs,RFlat, tuned to 8-recall@8 >= 0.95. */
RVCIDX_API rvcidx_build_params rvcidx_build_default_params(void);

/* The checks rvcidx_build makes of p before any work (sources given, split
 * options consistent, a name usable in a file name, `for` not against an
 * index, k or nprobe given explicitly); RVCIDX_EINVAL with the parameter
 * named. Every check between parameters is here, whatever order they were
 * set in. */
RVCIDX_API int rvcidx_build_params_check(const rvcidx_build_params *p);

/* *out = p with `for`'s needs applied (index type, k, forced nprobe, the
 * app's query pattern): the parameters rvcidx_build runs with. */
RVCIDX_API int rvcidx_build_params_resolve(const rvcidx_build_params *p, rvcidx_build_params *out);

/* Runs the build p describes; r (may be NULL) receives what was made, also
 * after a failure (the indexes planned; those built have an index_path). */
RVCIDX_API int rvcidx_build(const rvcidx_build_params *p, rvcidx_build_result *r);

/* Frees what r owns; r can be reused. */
RVCIDX_API void rvcidx_build_result_clear(rvcidx_build_result *r);

/* *current = 1 when p->outdir holds a complete build of p's sources as they
 * are now with p's parameters, judged from sizes and mtimes without reading
 * any shard: what `rvcidx
 * submit` uses to leave built models out. */
RVCIDX_API int rvcidx_build_check_current(const rvcidx_build_params *p, int *current);

/* r as JSON text (indexes with paths, chosen settings and recall; times):
 * what bindings return. *json is malloc'd; the caller frees it (free, or
 * rvcidx_free from a binding). */
RVCIDX_API int rvcidx_build_result_json(const rvcidx_build_result *r, char **json);

/* ---- for bindings (ctypes, cffi): parameters by name, no struct layout --- */

/* A zeroed result on the heap, for rvcidx_build; free clears and frees it. */
RVCIDX_API rvcidx_build_result *rvcidx_build_result_create(void);
RVCIDX_API void rvcidx_build_result_free(rvcidx_build_result *r);

/* Frees memory the library allocated for the caller (rvcidx_build_result_json's text). */
RVCIDX_API void rvcidx_free(void *p);

/* A heap copy of the defaults; free with rvcidx_build_params_free. */
RVCIDX_API rvcidx_build_params *rvcidx_build_params_create(void);
RVCIDX_API void rvcidx_build_params_free(rvcidx_build_params *p);

/* Sets one parameter from text, by the name the CLI's option has without
 * its dashes, '-' or '_' alike ("nlist", "per_speaker", "target-recall",
 * "for", "assume_memory" (a size: 64G; 0 none), "no_plan_check" (a boolean,
 * check_fit's opposite)): the same values and checks as the option. Strings
 * (outdir, name, queries) are kept by pointer: they must outlive the build.
 * RVCIDX_EINVAL for an unknown name or a bad value, the message naming the
 * parameter. */
RVCIDX_API int rvcidx_build_params_set(rvcidx_build_params *p, const char *key, const char *value);

/* Sources by pointer (kept, not copied); callbacks. */
RVCIDX_API void rvcidx_build_params_set_sources(rvcidx_build_params *p, const char *const *sources, int n);
/* Frames in memory instead of sources (p->ingest.frames; borrowed: kept
 * unchanged and alive until rvcidx_build returns; see rvcidx_frames). The
 * model name defaults to "frames"; a build from frames always reads and
 * hashes them (no size-and-mtime shortcut), and is up to date, writing
 * nothing, when they and the parameters are those of OUTDIR's manifest. */
RVCIDX_API void rvcidx_build_params_set_frames(rvcidx_build_params *p, const rvcidx_frames *frames, size_t n);
RVCIDX_API void rvcidx_build_params_set_progress(rvcidx_build_params *p, rvcidx_progress_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif
