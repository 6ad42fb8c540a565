/* cmd_build.h — private to `build` and `submit` (cmd_build.c, cmd_submit.c):
 * build's parsed command line, which submit passes on to its tasks. */
#ifndef RVCIDX_CMD_BUILD_H
#define RVCIDX_CMD_BUILD_H

#include "cli.h"

/* The command's own options, beside the library's parameters. */
enum { OPT_PER_MODEL = 1300, OPT_JOBS, OPT_PLAN };

typedef struct build_args {
    rvcidx_build_params p; /* the library's parameters, set by name from the options (the table's) */
    int per_model, jobs, plan_only;
    char **srcs;
    int n_srcs;
} build_args;


/* The library's parameters for the build a describes (no callbacks). */
rvcidx_build_params build_params_of(const build_args *a);

/* Parses build's command line into a (argv[0] is the command name); -1 after
 * --help, else an exit code. */
int build_parse_args(int argc, char **argv, build_args *a);

/* A --per-model child's "up to date", never seen by users. */
enum { BUILD_EXIT_UNCHANGED = 100 };

#endif
