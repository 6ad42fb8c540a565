/* cmd_build.h — private to `build` and its split-build and cluster parts
 * (cmd_build.c, cmd_build_split.c, cmd_submit.c): the parsed command line
 * and the steps they share. */
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
    int unchanged; /* set by run_build when there was nothing to do */
    int index_given, k_given, nprobe_given; /* set on the command line, not defaults: --for checks them */
    char **srcs;
    int n_srcs;
    rvcidx_ingest_params ingest;
    rvcidx_index_params index;
    rvcidx_eval_params eval;
} build_args;


/* The indexes a build makes: one for the store, or one per speaker. */
typedef struct build_plan {
    size_t n;
    char **names;        /* model or speaker names */
    char **dirs;         /* where each index goes */
    uint64_t *first_row, *rows;
    rvcidx_index_result *results;
} build_plan;

/* The build's one index, or one per speaker; free with build_plan_free. */
int build_plan_make(const build_args *a, const char *store, const char *model, build_plan *bp);
void build_plan_free(build_plan *bp);

/* mkdir OUTDIR unless it exists; an exit code. */
int build_ensure_dir(const char *dir);
/* Refuses (exit 3) a directory at a name rvcidx replaces in dir (top: OUTDIR's
 * names too, else an index folder's); an exit code. */
int build_check_replaceable(const char *dir, int top);
/* mkdir -p OUTDIR as named (a link the user chose is followed); an exit code. */
int build_ensure_outdir(const char *dir);
/* The first SRC's name, as RVC names models after their logs/<model> folder. */
void build_default_model_name(const char *src, char *out, size_t n);
/* The manifest's view of this build (bp NULL: the request part only). */
rvcidx_manifest_spec build_manifest_spec(const build_args *a, const char *store, const build_plan *bp);
/* 1 when OUTDIR's manifest has this request and all its outputs. */
int build_up_to_date(const build_args *a, const char *store);
void build_write_run_json(const build_args *a, const build_plan *bp, double ingest_s, double total_s);
/* train -> encode -> eval/tune -> publish for one row range; reports in dir; an exit code. */
int build_index(const build_args *a, const char *store, const char *dir, const char *model, uint64_t first_row,
                uint64_t rows, rvcidx_index_result *r);
/* Prints the published index's summary and writes its eval reports; an exit code. */
int build_report_index(const build_args *a, const char *dir, const char *model, int status, rvcidx_index_result *r);

typedef struct model_job {
    char name[256];
    pid_t pid;
    int status; /* exit code once done, -1 while running */
} model_job;

/* The model directories (with 3_feature768 or 3_feature256) under root,
 * sorted by name; *out is malloc'd (caller frees). */
size_t build_list_models(const char *root, model_job **out);
int build_is_model_dir(const char *root, const char *name);

/* Parses build's command line into a (argv[0] is the command name); -1 after
 * --help, else an exit code. */
int build_parse_args(int argc, char **argv, build_args *a);

/* A --per-model child's "up to date", never seen by users. */
enum { BUILD_EXIT_UNCHANGED = 100 };

/* What a build's exit code means, in a few words ("failed: bad input (exit 3)"). */
const char *build_exit_reason(int code);
/* OUTDIR/.rvcidx-failed.json (build_outcome.c): cleared when a build starts,
 * written when it fails, read by `rvcidx status`. */
void build_outcome_clear(const char *outdir);
void build_outcome_record(const char *outdir, int code);
/* The recorded failure's exit code (its reason and time into what), 0 when none. */
int build_outcome_read(const char *dir, char *what, size_t n);

/* --split N: the prepare / part / finish stages (cmd_build_split.c). */
int build_split(build_args *a);

#endif
