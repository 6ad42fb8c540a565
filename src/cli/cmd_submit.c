/* cmd_submit.c — `rvcidx submit --slurm`: builds as Slurm jobs.
 *
 * rvcidx writes one job script and calls sbatch; Slurm schedules. Two shapes:
 *  - many models (ROOT, a folder of model directories): one job array, one
 *    task per model whose build is not current (rvcidx__build_is_current:
 *    no shard read on the login node), each task running the `rvcidx build`
 *    a user would run for that model;
 *  - one large index (--split N): a prepare job (ingest, train once), an
 *    N-task array encoding one part each (afterok), a finish job merging,
 *    tuning and publishing (afterok), all running the same script with the
 *    stage as its argument.
 * Scripts, logs and submit.json (the job ids `rvcidx status` reads) go to
 * OUTDIR/.rvcidx-submit/. Tasks get SIGTERM --signal-time seconds before
 * their time limit (sbatch --signal=B:TERM@S; the script execs rvcidx, so
 * the signal reaches it): the build stops cleanly, leaves no half-written
 * file, and a resubmission does only what is missing.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd_build.h"

static const char submit_usage[] =
    "usage: rvcidx submit --slurm -o OUTDIR [submit options] [build options] ROOT\n"
    "       rvcidx submit --slurm -o OUTDIR --split N [submit options] [build options] SRC...\n\n"
    "Writes a job script to OUTDIR/.rvcidx-submit/ and submits it with sbatch.\n"
    "ROOT (a folder of model directories): one job array, one task per model whose build\n"
    "is not current (judged by its manifest and the shards' sizes and mtimes; --force\n"
    "submits all), each running 'rvcidx build -o OUTDIR/<model> ... ROOT/<model>'.\n"
    "--split N: one index of SRC... built by a prepare job (ingest, train once), an N-task\n"
    "array (one row range each, after prepare) and a finish job (merge, tune, publish).\n\n"
    "submit options:\n"
    "      --slurm            submit to Slurm (the one engine rvcidx writes jobs for)\n"
    "      --dry-run          print the script and the sbatch commands; submit nothing\n"
    "      --max-running N    at most N array tasks at once (--array=...%N)\n"
    "      --models-per-task N  each array task builds N models in a row (default 1): one\n"
    "                         scheduler round trip for N small models, and N times fewer\n"
    "                         tasks than Slurm's MaxArraySize (1001 by default) must hold\n"
    "      --sbatch ARG       pass ARG to sbatch, e.g. --sbatch=--qos=low (repeatable)\n"
    "      --partition P, --time T, --account A, --gpus G, --cpus-per-task C, --mem M, --qos Q\n"
    "                         the same as --sbatch=--partition=P and so on\n"
    "      --prepare-sbatch ARG  sbatch ARG for the split prepare job only (e.g. --gpus=1:\n"
    "                         k-means on a GPU node, encoding on CPU nodes)\n"
    "      --signal-time S    SIGTERM S seconds before the time limit (default 120)\n"
    "      --force            submit models whose build is current too\n"
    "      --container IMAGE  run each task's rvcidx inside IMAGE with Apptainer (or Singularity):\n"
    "                         'apptainer exec --bind DIR ... IMAGE rvcidx build ...', binding the\n"
    "                         working directory, OUTDIR, each SRC and what a list file names;\n"
    "                         --nv when the job asks for GPUs; IMAGE e.g. rvcidx.sif from\n"
    "                         'apptainer build rvcidx.sif docker-daemon://rvcidx:cpu' (README: Docker)\n"
    "      --status           show OUTDIR's builds and jobs instead ('rvcidx status OUTDIR')\n"
    "Every other option goes to 'rvcidx build' (see 'rvcidx build --help').\n" CLI_COMMON_HELP;

enum { MAX_SBATCH = 64 };

enum { MAX_BINDS = 256 };
typedef struct binds {
    char *paths[MAX_BINDS];
    int n;
} binds;

typedef struct submit_args {
    int dry_run, force, status, max_running, signal_time;
    int models_per_task; /* models one array task builds in a row (default 1) */
    const char *container; /* --container IMAGE: tasks run rvcidx through apptainer exec */
    binds binds;           /* --container: the paths bound into it (binds_free) */
    const char *sbatch[MAX_SBATCH], *prepare[MAX_SBATCH];
    int n_sbatch, n_prepare;
    char *build_argv[512];
    int build_argc;
    build_args build;
    char sbatch_storage[MAX_SBATCH][128];
} submit_args;

/* ---- command line ------------------------------------------------------- */

/* "--name VALUE" or "--name=VALUE": 1 and *value when argv[*i] is it. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return 0;
    if (argv[*i][n] == '=') return *value = argv[*i] + n + 1, 1;
    if (argv[*i][n] != '\0') return 0;
    if (*i + 1 >= argc) return *value = NULL, 1;
    return *value = argv[++*i], 1;
}

static int add_sbatch(submit_args *s, const char *flag, const char *value) {
    if (s->n_sbatch >= MAX_SBATCH) return CLI_EXIT_USAGE;
    char *slot = s->sbatch_storage[s->n_sbatch];
    if (flag) snprintf(slot, sizeof s->sbatch_storage[0], "--%s=%s", flag, value);
    s->sbatch[s->n_sbatch++] = flag ? slot : value;
    return 0;
}

static int parse_submit_option(submit_args *s, int argc, char **argv, int *i) {
    static const char *const shortcuts[] = {"partition", "time", "account", "gpus", "cpus-per-task", "mem", "qos"};
    const char *v = NULL, *a = argv[*i];
    char name[64];
    if (!strcmp(a, "--slurm")) return 0;
    if (!strcmp(a, "--dry-run")) return s->dry_run = 1, 0;
    if (!strcmp(a, "--force")) return s->force = 1, 0;
    if (!strcmp(a, "--status")) return s->status = 1, 0;
    long n = 0;
    if (option_value(argc, argv, i, "--max-running", &v))
        return v && !cli_parse_int("--max-running", v, 1, 100000, &n) ? (s->max_running = (int)n, 0) : CLI_EXIT_USAGE;
    if (option_value(argc, argv, i, "--models-per-task", &v))
        return v && !cli_parse_int("--models-per-task", v, 1, 100000, &n) ? (s->models_per_task = (int)n, 0)
                                                                           : CLI_EXIT_USAGE;
    if (option_value(argc, argv, i, "--signal-time", &v))
        return v && !cli_parse_int("--signal-time", v, 0, 65535, &n) ? (s->signal_time = (int)n, 0) : CLI_EXIT_USAGE;
    if (option_value(argc, argv, i, "--sbatch", &v)) return v ? add_sbatch(s, NULL, v) : CLI_EXIT_USAGE;
    if (option_value(argc, argv, i, "--container", &v)) return v && v[0] ? (s->container = v, 0) : CLI_EXIT_USAGE;
    if (option_value(argc, argv, i, "--prepare-sbatch", &v)) {
        if (!v || s->n_prepare >= MAX_SBATCH) return CLI_EXIT_USAGE;
        return s->prepare[s->n_prepare++] = v, 0;
    }
    for (size_t k = 0; k < sizeof shortcuts / sizeof *shortcuts; k++) {
        snprintf(name, sizeof name, "--%s", shortcuts[k]);
        if (option_value(argc, argv, i, name, &v)) return v ? add_sbatch(s, shortcuts[k], v) : CLI_EXIT_USAGE;
    }
    return -1;
}

static int parse_submit_args(int argc, char **argv, submit_args *s) {
    s->signal_time = 120;
    s->build_argv[s->build_argc++] = (char *)"build";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return fputs(submit_usage, stdout), -1;
        int rc = parse_submit_option(s, argc, argv, &i);
        if (rc > 0) {
            cli_logf(RVCIDX_LOG_ERROR, "submit: %s: missing or bad value; see 'rvcidx submit --help'", argv[i]);
            return rc;
        }
        if (rc < 0 && s->build_argc < 510) s->build_argv[s->build_argc++] = argv[i];
    }
    s->build_argv[s->build_argc] = NULL;
    if (s->status) return 0;
    int rc = build_parse_args(s->build_argc, s->build_argv, &s->build);
    if (rc) return rc;
    if (s->build.p.stage || s->build.p.part >= 0 || s->build.plan_only) {
        cli_logf(RVCIDX_LOG_ERROR, "submit: --stage, --part and --plan are chosen by submit, not given");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- script ------------------------------------------------------------- */

/* text as one single-quoted shell word. */
static void put_quoted(FILE *f, const char *text) {
    fputc('\'', f);
    for (const char *c = text; *c; c++) {
        if (*c == '\'') fputs("'\\''", f);
        else fputc(*c, f);
    }
    fputc('\'', f);
}

#define DEPENDENCY_ON "--dependency=afterok:"

/* text as a shell word safe to paste: single-quoted, as the script's words
 * are (a path's $(...) or quote stays text). The dry run's job-id
 * placeholders, DEPENDENCY_ON "$PREPARE_JOB" and "$PART_JOBS" (made by
 * submit_split, never from user text), keep "$VAR" expandable. */
static void put_word(FILE *f, const char *text) {
    size_t lead = strlen(DEPENDENCY_ON);
    if (!strncmp(text, DEPENDENCY_ON, lead) && (!strcmp(text + lead, "$PREPARE_JOB") || !strcmp(text + lead, "$PART_JOBS")))
        put_quoted(f, DEPENDENCY_ON), fprintf(f, "\"%s\"", text + lead);
    else
        put_quoted(f, text);
}

/* The build options as typed (--per-model aside). Per-model tasks append
 * their own -o and --name after these: getopt keeps the last value. */
static void put_build_options(FILE *f, const submit_args *s) {
    int first_src = s->build_argc - s->build.n_srcs;
    for (int i = 1; i < first_src; i++) {
        if (!strcmp(s->build_argv[i], "--per-model")) continue;
        fputc(' ', f);
        put_quoted(f, s->build_argv[i]);
    }
}

static void put_header(FILE *f, const submit_args *s, const char *logdir, const char *what) {
    time_t now = time(NULL);
    char stamp[64];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S %z", localtime(&now));
    fprintf(f, "#!/bin/bash\n# Written by 'rvcidx submit' (rvcidx %s) on %s: %s.\n"
               "# Rerun 'rvcidx submit' with the same options to resubmit only what is missing.\n",
            rvcidx_version(), stamp, what);
    fputs("#SBATCH --job-name=rvcidx\n#SBATCH --open-mode=append\n", f);
    (void)logdir; /* --output goes on sbatch's command line, where a path may hold spaces */
    if (s->signal_time > 0) fprintf(f, "#SBATCH --signal=B:TERM@%d\n", s->signal_time);
    fputs("set -euo pipefail\n", f);
    /* rvcidx serialises its own writers (OUTDIR lock, atomic renames); HDF5's
     * file locks only fail on shared filesystems that lack them */
    fputs("export HDF5_USE_FILE_LOCKING=${HDF5_USE_FILE_LOCKING:-FALSE}\n", f);
}

static void put_threads(FILE *f, const submit_args *s) {
    int threads_given = 0;
    for (int i = 1; i < s->build_argc; i++) threads_given |= !strncmp(s->build_argv[i], "--threads", 9);
    if (!threads_given) /* the CPUs Slurm gave the task, not the node's */
        fputs("threads=()\nif [ -n \"${SLURM_CPUS_PER_TASK:-}\" ]; then threads=(--threads \"$SLURM_CPUS_PER_TASK\"); fi\n", f);
    else fputs("threads=()\n", f);
}

/* Whether any sbatch option asks for GPUs (--gpus, --gres=gpu..., -G): the
 * container then needs the host's driver (apptainer --nv). */
static int asks_gpu(const char *opt) {
    return strstr(opt, "gpus") || strstr(opt, "gres=gpu") || !strncmp(opt, "-G", 2);
}

static int wants_gpu(const submit_args *s) {
    for (int i = 0; i < s->n_sbatch; i++)
        if (asks_gpu(s->sbatch[i])) return 1;
    for (int i = 0; i < s->n_prepare; i++)
        if (asks_gpu(s->prepare[i])) return 1;
    return 0;
}

/* ---- --container: what the task reads and writes, bound at the same place ---- */

static void binds_free(binds *b) {
    for (int i = 0; i < b->n; i++) free(b->paths[i]);
    b->n = 0;
}

static void binds_add_one(binds *b, const char *path) {
    if (!strcmp(path, "/") || b->n >= MAX_BINDS) return;
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->paths[i], path)) return;
    char *copy = strdup(path);
    if (copy) b->paths[b->n++] = copy;
}

/* The path as typed (made absolute against base) and, when it differs, where
 * it leads: a symlinked folder needs both inside the container. */
static void binds_add(binds *b, const char *path, const char *base) {
    char abs[PATH_MAX], real[PATH_MAX];
    snprintf(abs, sizeof abs, "%s%s%s", path[0] == '/' ? "" : base, path[0] == '/' ? "" : "/", path);
    binds_add_one(b, abs);
    if (realpath(abs, real)) binds_add_one(b, real);
}

/* A list file SRC names shard folders elsewhere (relative to the list's folder). */
static void binds_add_list_entries(binds *b, const char *list, const char *cwd) {
    char abs[PATH_MAX], dir[PATH_MAX], line[PATH_MAX];
    snprintf(abs, sizeof abs, "%s%s%s", list[0] == '/' ? "" : cwd, list[0] == '/' ? "" : "/", list);
    snprintf(dir, sizeof dir, "%s", abs);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    char *text = NULL;
    if (rvcidx_read_file(abs, 0, &text, NULL) != 0) return; /* a FIFO: refused here too, never waited on */
    for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        snprintf(line, sizeof line, "%s", ln);
        line[strcspn(line, "\r")] = '\0';
        char *t = line + strspn(line, " \t");
        if (*t && *t != '#') binds_add(b, t, dir);
    }
    free(text);
}

/* Every path a task touches: the working directory, OUTDIR, each SRC (and
 * a list file's entries), the --queries store's folder. Apptainer splits
 * --bind on ',' and ':', so such paths are refused here, not there. */
static int container_binds(submit_args *s, const char *cwd, const char *outdir) {
    binds *b = &s->binds;
    binds_free(b);
    binds_add_one(b, cwd);
    binds_add(b, outdir, cwd);
    for (int i = s->build_argc - s->build.n_srcs; i < s->build_argc; i++) {
        const char *src = s->build_argv[i];
        struct stat st;
        binds_add(b, src, cwd);
        if (stat(src, &st) == 0 && S_ISREG(st.st_mode)) binds_add_list_entries(b, src, cwd);
    }
    if (s->build.p.eval.queries_store) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", s->build.p.eval.queries_store);
        char *slash = strrchr(dir, '/');
        binds_add(b, slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".", cwd);
    }
    for (int i = 0; i < b->n; i++)
        if (strpbrk(b->paths[i], ",:")) {
            cli_logf(RVCIDX_LOG_ERROR, "submit: --container: %s holds ',' or ':', which apptainer --bind cannot take; "
                     "rename it or run without --container", b->paths[i]);
            binds_free(b);
            return CLI_EXIT_USAGE;
        }
    return 0;
}

/* "exec rvcidx": the binary that submitted, or, with --container, the image's
 * rvcidx through Apptainer (Singularity's newer name; either is on most
 * clusters) with every path the task touches bound. */
static void put_exec(FILE *f, const submit_args *s, const char *exe, int replace_shell) {
    const binds *b = &s->binds;
    if (!s->container) {
        if (replace_shell) fputs("exec ", f);
        put_quoted(f, exe);
        return;
    }
    fputs("runtime=$(command -v apptainer || command -v singularity) || { echo \"rvcidx task: neither apptainer "
          "nor singularity on PATH on $(hostname)\" >&2; exit 127; }\n", f);
    fputs(replace_shell ? "exec \"$runtime\" exec" : "\"$runtime\" exec", f);
    if (wants_gpu(s)) fputs(" --nv", f);
    for (int i = 0; i < b->n; i++) fputs(" --bind ", f), put_quoted(f, b->paths[i]);
    fputc(' ', f), put_quoted(f, s->container), fputs(" rvcidx", f);
}

static void put_model_script(FILE *f, const submit_args *s, const char *exe, const char *cwd, const char *logdir,
                             const char *root, const char *outdir, char **models, size_t n) {
    int per_task = s->models_per_task > 1 ? s->models_per_task : 1;
    put_header(f, s, logdir, per_task > 1 ? "one 'rvcidx build' per model, task i builds models[i*N .. i*N+N-1] "
                                            "in a row" : "one 'rvcidx build' per model, task i builds models[i]");
    fputs("cd ", f), put_quoted(f, cwd), fputs("\nmodels=(", f);
    for (size_t i = 0; i < n; i++) fputc(' ', f), put_quoted(f, models[i]);
    fputs(" )\n", f);
    put_threads(f, s);
    /* N in a row: a failed model does not stop the rest, the task fails if any
     * did; the time limit's SIGTERM (sent to this shell, --signal=B:) is passed
     * to the build running, which records its failure, and no next one starts */
    if (per_task > 1)
        fprintf(f, "rc=0 stop=0 child=\ntrap 'stop=1; [ -z \"$child\" ] || kill -TERM \"$child\" 2>/dev/null' TERM\n"
                "for model in \"${models[@]:$((SLURM_ARRAY_TASK_ID * %d)):%d}\"; do\n[ \"$stop\" = 0 ] || { rc=143; break; }\n",
                per_task, per_task);
    else
        fputs("model=${models[$SLURM_ARRAY_TASK_ID]}\n", f);
    /* ${a[@]+...}: an empty array under set -u on bash < 4.4 */
    put_exec(f, s, exe, per_task == 1), fputs(" build ${threads[@]+\"${threads[@]}\"}", f);
    put_build_options(f, s);
    fputs(" -o ", f), put_quoted(f, outdir), fputs("/\"$model\" --name \"$model\" ", f);
    put_quoted(f, root), fputs("/\"$model\"", f);
    fputs(per_task > 1 ? " &\nchild=$!\nwhile :; do st=0; wait \"$child\" || st=$?; kill -0 \"$child\" 2>/dev/null || break; done\n"
                         "child=\n[ \"$st\" = 0 ] || rc=$st\ndone\nexit $rc\n" : "\n", f);
}

static void put_split_script(FILE *f, const submit_args *s, const char *exe, const char *cwd, const char *logdir) {
    put_header(f, s, logdir, "a split build; $1 is the stage (prepare, part or finish)");
    fputs("cd ", f), put_quoted(f, cwd), fputc('\n', f);
    put_threads(f, s);
    put_exec(f, s, exe, 1), fputs(" build ${threads[@]+\"${threads[@]}\"} --stage \"$1\"", f);
    put_build_options(f, s);
    for (int i = s->build_argc - s->build.n_srcs; i < s->build_argc; i++) fputc(' ', f), put_quoted(f, s->build_argv[i]);
    fputc('\n', f);
}

/* ---- sbatch -------------------------------------------------------------- */

typedef struct sbatch_call {
    const char *argv[MAX_SBATCH * 2 + 8];
    int argc;
} sbatch_call;

static void call_add(sbatch_call *c, const char *arg) {
    if (c->argc < (int)(sizeof c->argv / sizeof *c->argv) - 1) c->argv[c->argc++] = arg;
    c->argv[c->argc] = NULL;
}

static void print_call(const sbatch_call *c, const char *before, const char *after) {
    fputs(before, stdout);
    for (int i = 0; i < c->argc; i++) {
        if (i) fputc(' ', stdout);
        put_word(stdout, c->argv[i]);
    }
    printf("%s\n", after);
}

/* Runs sbatch --parsable; its job id into id. */
static int run_sbatch(const sbatch_call *c, char *id, size_t n) {
    char *cmd = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&cmd, &len);
    if (!f) return CLI_EXIT_INTERNAL;
    for (int i = 0; i < c->argc; i++) put_quoted(f, c->argv[i]), fputc(' ', f);
    fputs("2>&1", f);
    fclose(f);
    FILE *p = popen(cmd, "r");
    free(cmd);
    char out[4096] = "";
    size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[got] = '\0';
    int status = p ? pclose(p) : -1;
    char *jobid = NULL; /* the last line that is a job id: sites add warning lines */
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
        if (strspn(line, "0123456789") > 0) jobid = line;
    if (status != 0 || !jobid) {
        for (char *ch = out; ch < out + got; ch++) if (*ch == '\0') *ch = ' ';
        out[got] = '\0';
        out[strcspn(out, "\n")] = '\0';
        cli_logf(RVCIDX_LOG_ERROR, "submit: sbatch failed%s%s; check that Slurm's client commands work here "
                 "(sinfo) and the sbatch options", out[0] ? ": " : "", out);
        return CLI_EXIT_IO;
    }
    jobid[strspn(jobid, "0123456789")] = '\0'; /* "123;cluster" -> "123" */
    snprintf(id, n, "%s", jobid);
    return 0;
}

static void sbatch_common(sbatch_call *c, const submit_args *s, const char *output) {
    call_add(c, "sbatch");
    call_add(c, "--parsable");
    call_add(c, "--kill-on-invalid-dep=yes");
    call_add(c, output);
    for (int i = 0; i < s->n_sbatch; i++) call_add(c, s->sbatch[i]);
}

static void array_spec(char *out, size_t n, size_t tasks, int max_running) {
    int len = snprintf(out, n, "--array=0-%zu", tasks - 1);
    if (max_running > 0) snprintf(out + len, n - (size_t)len, "%%%d", max_running);
}

/* ---- the record status reads ------------------------------------------- */

static int record_jobs(const char *subdir, const char *script, json_t *jobs) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/submit.json", subdir);
    char *text = NULL;
    json_t *doc = rvcidx_read_file(path, 1, &text, NULL) == 0 ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_pack("{s:s, s:[]}", "format", "rvcidx-submit", "submissions");
    }
    time_t now = time(NULL);
    json_array_append_new(json_object_get(doc, "submissions"),
                          json_pack("{s:I, s:s, s:o}", "time", (json_int_t)now, "script", script, "jobs", jobs));
    char *out = json_dumps(doc, JSON_INDENT(2)), *line = NULL;
    int rc = out && asprintf(&line, "%s\n", out) > 0 && rvcidx_outdir_write_file(path, line, strlen(line)) == 0
                 ? 0 : CLI_EXIT_IO;
    free(out);
    free(line);
    json_decref(doc);
    if (rc) cli_logf(RVCIDX_LOG_ERROR, "submit: %s: cannot write the job record", path);
    return rc;
}

/* ---- the two shapes -------------------------------------------------------- */

typedef struct submit_paths {
    char exe[PATH_MAX], cwd[PATH_MAX], outdir[PATH_MAX], subdir[PATH_MAX + 32], logdir[PATH_MAX + 64];
    char script[PATH_MAX + 160], output[2 * PATH_MAX + 160];
} submit_paths;

/* The absolute path of a directory that may not exist yet. */
static int absolute_dir(const char *dir, const char *cwd, char *out, size_t n) {
    if (realpath(dir, out)) return 0;
    int len = dir[0] == '/' ? snprintf(out, n, "%s", dir) : snprintf(out, n, "%s/%s", cwd, dir);
    return len > 0 && (size_t)len < n ? 0 : CLI_EXIT_USAGE;
}

static int make_paths(submit_args *s, const char *kind, submit_paths *p) {
    ssize_t n = readlink("/proc/self/exe", p->exe, sizeof p->exe - 1);
    if (n <= 0 || !getcwd(p->cwd, sizeof p->cwd)) return cli_fail(RVCIDX_EIO, "submit: cannot find rvcidx's own path");
    p->exe[n] = '\0';
    int rc = s->dry_run ? 0 : rvcidx_outdir_make(s->build.p.outdir); /* a dry run creates nothing */
    if (rc) return cli_fail(rc, NULL);
    if (absolute_dir(s->build.p.outdir, p->cwd, p->outdir, sizeof p->outdir) != 0) {
        cli_logf(RVCIDX_LOG_ERROR, "submit: %s: path too long", s->build.p.outdir);
        return CLI_EXIT_USAGE;
    }
    if (s->container && (rc = container_binds(s, p->cwd, p->outdir)) != 0) return rc;
    snprintf(p->subdir, sizeof p->subdir, "%s/%s", p->outdir, rvcidx_output_name(RVCIDX_OUT_SUBMIT));
    snprintf(p->logdir, sizeof p->logdir, "%s/logs", p->subdir);
    time_t now = time(NULL);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    snprintf(p->script, sizeof p->script, "%s/%s-%s-%d.sh", p->subdir, kind, stamp, (int)getpid());
    char *o = p->output + snprintf(p->output, sizeof p->output, "--output=");
    for (const char *c = p->logdir; *c && o < p->output + sizeof p->output - 40; c++) {
        if (*c == '%') *o++ = '%'; /* a literal % in a Slurm file name pattern */
        *o++ = *c;
    }
    snprintf(o, 40, "/%%x-%%A_%%a.log");
    if (!s->dry_run && ((rc = rvcidx_outdir_make_own(p->subdir)) || (rc = rvcidx_outdir_make_own(p->logdir))))
        return cli_fail(rc, NULL);
    return 0;
}

static int write_script(const char *path, const char *text, int dry_run) {
    if (dry_run) {
        printf("---- %s ----\n%s---- end of script ----\n", path, text);
        return 0;
    }
    int ok = rvcidx_outdir_write_file(path, text, strlen(text)) == 0; /* atomic, never through a link */
    if (!ok || chmod(path, 0755) != 0) {
        cli_logf(RVCIDX_LOG_ERROR, "submit: %s: cannot write the job script: %s", path, strerror(errno));
        return CLI_EXIT_IO;
    }
    return 0;
}

/* Models under ROOT whose build is not current; a table of all on stdout. */
static size_t models_to_build(const submit_args *s, const char *root, const char *outdir, char ***out, size_t *total) {
    char **models = NULL;
    size_t n = 0, k = 0;
    if (rvcidx_list_model_dirs(root, &models, &n) != 0) n = 0;
    char **names = calloc(n ? n : 1, sizeof *names);
    printf("| model | state |\n|---|---|\n");
    for (size_t i = 0; names && i < n; i++) {
        char dir[PATH_MAX + 256], src[PATH_MAX + 256];
        snprintf(dir, sizeof dir, "%s/%s", outdir, models[i]);
        snprintf(src, sizeof src, "%s/%s", root, models[i]);
        build_args child = s->build;
        child.p.outdir = dir;
        child.per_model = 0;
        char *srcs[1] = {src};
        child.srcs = srcs;
        child.n_srcs = 1;
        rvcidx_build_params bp = build_params_of(&child);
        int current = 0;
        if (!s->force && rvcidx_build_check_current(&bp, &current) != 0) current = 0;
        printf("| %s | %s |\n", models[i], current ? "up to date: not submitted" : "to build");
        if (!current) names[k++] = strdup(models[i]);
    }
    rvcidx_names_free(models, n);
    *out = names;
    *total = n;
    return k;
}

static int submit_models(submit_args *s) {
    const char *root = s->build.srcs[0];
    if (s->build.n_srcs != 1 || !cli_is_directory(root)) {
        cli_logf(RVCIDX_LOG_ERROR, "submit: give one ROOT (a folder of model directories), or --split N for one index");
        return CLI_EXIT_USAGE;
    }
    char root_abs[PATH_MAX];
    submit_paths p;
    if (!realpath(root, root_abs)) {
        cli_logf(RVCIDX_LOG_ERROR, "submit: %s: cannot resolve the path: %s", root, strerror(errno));
        return CLI_EXIT_BAD_INPUT;
    }
    int rc = make_paths(s, "models", &p);
    if (rc) return rc;
    char **models = NULL;
    size_t total = 0, n = models_to_build(s, root_abs, p.outdir, &models, &total);
    if (total == 0) {
        free(models);
        cli_logf(RVCIDX_LOG_ERROR, "submit: %s: no model directories (with 3_feature768 or 3_feature256) under it", root);
        return CLI_EXIT_BAD_INPUT;
    }
    if (n == 0) {
        printf("submit   nothing to submit: all %zu models are up to date\n", total);
        free(models);
        return CLI_EXIT_OK;
    }
    char *text = NULL, array[64], id[64] = "";
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    put_model_script(f, s, p.exe, p.cwd, p.logdir, root_abs, p.outdir, models, n);
    fclose(f);
    sbatch_call c = {{0}, 0};
    sbatch_common(&c, s, p.output);
    size_t per_task = s->models_per_task > 1 ? (size_t)s->models_per_task : 1;
    array_spec(array, sizeof array, (n + per_task - 1) / per_task, s->max_running);
    call_add(&c, array);
    call_add(&c, p.script);
    rc = write_script(p.script, text, s->dry_run);
    if (rc == 0 && s->dry_run) printf("sbatch command:\n"), print_call(&c, "", "");
    if (rc == 0 && !s->dry_run) rc = run_sbatch(&c, id, sizeof id);
    if (rc == 0 && !s->dry_run) {
        json_t *names = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(names, json_string(models[i]));
        rc = record_jobs(p.subdir, p.script, json_pack("[{s:s, s:s, s:o}]", "id", id, "kind", "models", "models", names));
        printf("submit   job array %s: %zu of %zu models in %zu task(s) (script %s, logs %s)\n", id, n, total,
               (n + per_task - 1) / per_task, p.script, p.logdir);
    }
    for (size_t i = 0; i < n; i++) free(models[i]);
    free(models);
    free(text);
    return rc;
}

static int submit_split(submit_args *s) {
    if (s->build.p.per_speaker || s->build.per_model || s->build.p.index.type == RVCIDX_INDEX_AUTO) {
        cli_logf(RVCIDX_LOG_ERROR, "submit: --split builds one index of one type: no --per-speaker, --per-model or "
                 "--index auto");
        return CLI_EXIT_USAGE;
    }
    submit_paths p;
    int rc = make_paths(s, "split", &p);
    if (rc) return rc;
    rvcidx_build_params bp = build_params_of(&s->build);
    int current = 0;
    if (!s->force && rvcidx_build_check_current(&bp, &current) == 0 && current) {
        printf("submit   nothing to submit: %s is up to date\n", s->build.p.outdir);
        return CLI_EXIT_OK;
    }
    char *text = NULL, array[64], ids[3][64] = {"$PREPARE_JOB", "$PART_JOBS", "$FINISH_JOB"}, dep[3][96];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    put_split_script(f, s, p.exe, p.cwd, p.logdir);
    fclose(f);
    if ((rc = write_script(p.script, text, s->dry_run)) != 0) return free(text), rc;
    free(text);
    static const char *stages[3] = {"prepare", "part", "finish"};
    array_spec(array, sizeof array, s->build.p.split, s->max_running);
    if (s->dry_run) printf("sbatch commands (each prints the job id the next depends on):\n");
    for (int k = 0; rc == 0 && k < 3; k++) {
        sbatch_call c = {{0}, 0};
        sbatch_common(&c, s, p.output);
        for (int i = 0; k == 0 && i < s->n_prepare; i++) call_add(&c, s->prepare[i]);
        if (k == 1) call_add(&c, array);
        if (k > 0) snprintf(dep[k], sizeof dep[k], DEPENDENCY_ON "%s", ids[k - 1]), call_add(&c, dep[k]);
        call_add(&c, p.script);
        call_add(&c, stages[k]);
        if (s->dry_run) print_call(&c, k == 0 ? "PREPARE_JOB=$(" : k == 1 ? "PART_JOBS=$(" : "FINISH_JOB=$(", ")");
        else rc = run_sbatch(&c, ids[k], sizeof ids[k]);
    }
    if (rc == 0 && !s->dry_run) {
        rc = record_jobs(p.subdir, p.script, json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "id", ids[0], "kind",
                                                       "prepare", "id", ids[1], "kind", "part", "id", ids[2], "kind", "finish"));
        printf("submit   split build of %s in %u parts: prepare job %s, part array %s, finish job %s (logs %s)\n",
               s->build.p.outdir, s->build.p.split, ids[0], ids[1], ids[2], p.logdir);
    }
    return rc;
}

int cmd_submit(int argc, char **argv) {
    static submit_args s; /* large: kept off the stack */
    memset(&s, 0, sizeof s);
    int rc = parse_submit_args(argc, argv, &s);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if (s.status) {
        char *args[3] = {(char *)"status", NULL, NULL};
        for (int i = 1; i < s.build_argc; i++)
            if (!strcmp(s.build_argv[i], "-o") && i + 1 < s.build_argc) args[1] = s.build_argv[i + 1];
        if (!args[1]) return cli_logf(RVCIDX_LOG_ERROR, "submit --status: needs -o OUTDIR"), CLI_EXIT_USAGE;
        return cmd_status(2, args);
    }
    rc = s.build.p.split ? submit_split(&s) : submit_models(&s);
    binds_free(&s.binds);
    return rc;
}
