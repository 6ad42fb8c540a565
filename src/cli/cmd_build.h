/* cmd_build.h — private to `build` and `submit` (cmd_build.c, cmd_submit.c):
 * build's parsed command line, which submit passes on to its tasks. */
#ifndef RVCIDX_CMD_BUILD_H
#define RVCIDX_CMD_BUILD_H

#include "cli.h"

enum build_stage { STAGE_ALL = 0, STAGE_PREPARE, STAGE_PART, STAGE_FINISH };

typedef struct build_args {
    const char *outdir, *name;
    int per_speaker, per_model, jobs, plan_only;
    unsigned split;   /* --split N: N parts (0: not a split build) */
    int stage;        /* enum build_stage */
    long part;        /* --part I, -1: $SLURM_ARRAY_TASK_ID */
    int index_given, k_given, nprobe_given; /* set on the command line, not defaults: --for checks them */
    rvcidx_app app;                         /* --for (RVCIDX_APP_NONE: none) */
    uint64_t assume_memory, assume_disk;    /* --assume-memory, --assume-disk: 0 none */
    int no_plan_check;                      /* --no-plan-check */
    char **srcs;
    int n_srcs;
    rvcidx_ingest_params ingest;
    rvcidx_index_params index;
    rvcidx_reduce_params reduce;
    rvcidx_eval_params eval;
} build_args;


/* The library's parameters for the build a describes (no callbacks). */
rvcidx_build_params build_params_of(const build_args *a);

/* Parses build's command line into a (argv[0] is the command name); -1 after
 * --help, else an exit code. */
int build_parse_args(int argc, char **argv, build_args *a);

/* A --per-model child's "up to date", never seen by users. */
enum { BUILD_EXIT_UNCHANGED = 100 };

#endif
