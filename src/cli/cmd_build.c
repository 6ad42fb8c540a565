/* cmd_build.c — `rvcidx build` and `rvcidx plan`: the command line of the
 * library's rvcidx_build (rvcidx/build.h), which does the whole build; here
 * only the options, the display of its events, the exit code, and
 * --per-model's one process per model (--jobs N at once).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd_build.h"

static const char build_usage_head[] =
    "usage: rvcidx build -o OUTDIR [options] SRC...\n\n"
    "Ingest -> train -> encode -> eval/tune -> manifest, for the RVC model directories,\n"
    "shard folders, folders of model directories or list files given as SRC.\n"
    "Writes OUTDIR/store.h5, OUTDIR/centroids.h5 and OUTDIR/added_IVF..._<name>_v2.index\n"
    "(with --per-speaker: OUTDIR/<speaker>/centroids.h5 and its index, per speaker).\n\n"
    "options:\n";

static const char build_usage_cli[] =
    "      --per-model          SRC is a folder of model directories: a separate build of each\n"
    "                           into OUTDIR/<model>/ (failures do not stop the others)\n"
    "      --jobs N             with --per-model: N builds at once, CPU threads split between them\n"
    "      --plan               print N, D, parameters, predicted sizes and peak memory, and\n"
    "                           whether they fit this machine; build nothing ('rvcidx plan' too)\n";

/* --help: the command's own options, then the library's parameters by group. */
static void print_build_usage(void) {
    fputs(build_usage_head, stdout);
    cli_print_param_help(stdout, "build", NULL);
    fputs(build_usage_cli, stdout);
    fputs("run options (where and on how many threads; not what is built):\n", stdout);
    cli_print_param_help(stdout, "run", NULL);
    fputs("budget (how many vectors each index keeps):\n", stdout);
    cli_print_param_help(stdout, "reduce", NULL);
    fputs("eval options (recall against exact search, tuning nprobe/k_factor):\n", stdout);
    cli_print_param_help(stdout, "eval", NULL);
    fputs("ingest options:\n", stdout);
    cli_print_param_help(stdout, "ingest", NULL);
    fputs("index options:\n", stdout);
    cli_print_param_help(stdout, "index", NULL);
    fputs(CLI_COMMON_HELP, stdout);
}

static void print_apps(void) {
    printf("rvcidx build --for APP: the index each app loads with every call succeeding, tuned as it searches\n\n");
    for (int app = RVCIDX_APP_NONE + 1; app < RVCIDX_APP_COUNT; app++) {
        const rvcidx_app_profile *p = rvcidx_app_profile_get((rvcidx_app)app);
        char forced[32] = "";
        if (p->nprobe) snprintf(forced, sizeof forced, ", nprobe %d forced", p->nprobe);
        printf("  %-16s %s\n  %-16s index %s, k %d%s%s; tested with %s\n", p->name, p->summary, "",
               p->type == RVCIDX_INDEX_IVFFLAT ? "IVF,Flat" : "IVF,PQx4fs,RFlat", p->k, forced,
               p->block_frames ? ", timed per block of frames" : "", p->faiss);
    }
}

/* --for and the parameters it checks, whatever their order: resolved by the
 * library (rvcidx_build_params_resolve) as the build will; the command keeps
 * the applied values for what it prints and passes on. */
static int resolve_app(build_args *a) {
    rvcidx_build_params resolved;
    int rc = rvcidx_build_params_resolve(&a->p, &resolved);
    if (rc) return cli_fail(rc, NULL);
    a->p.index = resolved.index;
    a->p.eval = resolved.eval;
    return 0;
}

static int set_build(void *p, const char *key, const char *value) { return rvcidx_build_params_set(p, key, value); }

/* --for APP: the apps' list for "help"; an unknown app's message points at it. -1 after help. */
static int parse_for(build_args *a, const char *app) {
    if (!strcmp(app, "help")) return print_apps(), -1;
    if (rvcidx_build_params_set(&a->p, "for", app) == 0) return 0;
    const char *why = rvcidx_last_error(); /* "for: 'x' is not an app ..." */
    cli_logf(RVCIDX_LOG_ERROR, "--for %s: %s; see 'rvcidx build --for help'", app, strncmp(why, "for: ", 5) ? why : why + 5);
    return CLI_EXIT_USAGE;
}

/* The command's own options (not library parameters); -1 when opt is not one. */
static int parse_cli_option(int opt, const char *arg, build_args *a) {
    long v = 0;
    switch (opt) {
    case OPT_PER_MODEL: return a->per_model = 1, 0;
    case OPT_PLAN: return a->plan_only = 1, 0;
    case OPT_JOBS:
        if (cli_parse_int("--jobs", arg, 1, 256, &v)) return CLI_EXIT_USAGE;
        return a->jobs = (int)v, 0;
    case 'o': /* an empty one is as none: the required-arguments message says what to give */
        return arg[0] ? cli_option_set(rvcidx_params_find("outdir"), arg, set_build, &a->p) : (a->p.outdir = NULL, 0);
    default: return -1;
    }
}

int build_parse_args(int argc, char **argv, build_args *a) {
    cli_options o = {.n = 0};
    cli_options_add(&o, "output", required_argument, 'o');
    cli_options_add(&o, "per-model", no_argument, OPT_PER_MODEL);
    cli_options_add(&o, "jobs", required_argument, OPT_JOBS);
    cli_options_add(&o, "plan", no_argument, OPT_PLAN);
    cli_options_params(&o, "build run reduce eval ingest index", NULL);
    cli_options_common(&o);
    memset(a, 0, sizeof *a);
    a->p = rvcidx_build_default_params();
    int opt, rc;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, o.longopts, NULL)) != -1) {
        const rvcidx_param_info *row = cli_option_param(opt);
        if (opt == 'h') return print_build_usage(), -1;
        if (row && !strcmp(row->name, "for")) {
            if ((rc = parse_for(a, optarg)) != 0) return rc;
        } else if (row) {
            if ((rc = cli_option_set(row, optarg, set_build, &a->p)) != 0) return rc;
        } else if ((rc = parse_cli_option(opt, optarg, a)) >= 0) {
            if (rc) return rc;
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    if ((rc = resolve_app(a)) != 0) return rc;
    if (!a->p.outdir || !a->p.outdir[0] || optind >= argc) {
        cli_logf(RVCIDX_LOG_ERROR, "build: -o OUTDIR and at least one SRC are required; see 'rvcidx build --help'");
        return CLI_EXIT_USAGE;
    }
    a->srcs = argv + optind;
    a->n_srcs = argc - optind;
    return 0;
}

rvcidx_build_params build_params_of(const build_args *a) {
    rvcidx_build_params p = a->p;
    p.sources = (const char *const *)a->srcs;
    p.n_sources = a->n_srcs;
    return p;
}

/* What the recall line measured: the shipped index, or (one index of several
 * speakers) the tuning index without the held-out speaker, whose figure
 * the shipped index, holding more rows, does not exactly repeat. */
static void print_measured_on(const rvcidx_index_result *r) {
    const rvcidx_eval_report *e = r->eval;
    if (e->ntotal != r->encode.ntotal)
        printf("         measured on the tuning index (%llu of the %llu vectors), not the shipped one, with %llu "
               "queries: %s\n", (unsigned long long)e->ntotal, (unsigned long long)r->encode.ntotal,
               (unsigned long long)e->queries, e->queries_desc);
    else
        printf("         measured on the shipped index with %llu queries: %s\n", (unsigned long long)e->queries,
               e->queries_desc);
}

/* Under `--max-vectors` the recall line measures the index against the
 * vectors it keeps; what RVC users hear is the blend against all frames. */
static void print_reduction(const rvcidx_eval_report *e) {
    const rvcidx_reduce_result *rd = &e->reduce;
    if (!rd->applied) return;
    char how[200] = "";
    size_t len = 0;
    for (size_t i = 0; rd->requested == RVCIDX_REDUCE_AUTO && i < rd->n_trials && len < sizeof how; i++) {
        const rvcidx_reduce_trial *t = &rd->trials[i];
        char fig[32] = "not measured";
        if (t->measured) snprintf(fig, sizeof fig, "%.2f%%", 100.0 * t->blend_error_mean);
        len += (size_t)snprintf(how + len, sizeof how - len, "%s%s %s", i ? ", " : "; chosen by auto: ",
                                rvcidx_reduce_method_name(t->method), fig);
    }
    printf("reduced  %llu of %llu vectors kept (%s, seed %llu%s): the recall line above is against the kept vectors;",
           (unsigned long long)rd->kept, (unsigned long long)rd->input_rows, rvcidx_reduce_method_name(rd->method),
           (unsigned long long)rd->seed, how);
    if (rd->measured)
        printf(" against ALL frames, RVC blend error %.2f%% (p95 %.2f%%), measured on %s\n", 100.0 * rd->blend_error_mean,
               100.0 * rd->blend_error_p95, rd->measured_on);
    else
        printf(" the blend error against all frames was not measured\n");
}

/* --index auto: what the shipped index was compared with, one line. */
static void print_auto(const rvcidx_eval_report *e) {
    if (!e->n_auto_candidates) return;
    printf("auto     chosen by measurement (%s):", e->auto_rule);
    for (size_t i = 0; i < e->n_auto_candidates; i++) {
        const rvcidx_auto_candidate *c = &e->auto_candidates[i];
        printf("%s %s ", i ? ";" : "", c->factory);
        if (!c->built) printf(c->over_memory ? "not built (holds every vector in memory)" : "not built (over the size budget)");
        else if (c->block_ms_p99 > 0) printf("recall %.4f, p99 %.3f ms/block, %.0f MiB", c->recall_k, c->block_ms_p99, (double)c->file_bytes / 1048576.0);
        else printf("recall %.4f, %.0f MiB", c->recall_k, (double)c->file_bytes / 1048576.0);
        if (c->chosen) printf(" [shipped]");
        else if (c->built && !c->reaches_target) printf(" [misses the target]");
    }
    printf("\n");
}

static void print_index(const rvcidx_index_result *r, const char *dir) {
    printf("index    %s\n         %s, %llu vectors, nprobe %d, k_factor %d\n", r->index_path, r->encode.factory,
           (unsigned long long)r->encode.ntotal, r->nprobe, r->k_factor);
    if (r->eval) {
        const rvcidx_eval_point *c = &r->eval->points[r->eval->chosen >= 0 ? r->eval->chosen : 0];
        char recall[96] = "";
        if (r->eval->k > 1)
            snprintf(recall, sizeof recall, "%d-recall@%d %.4f (lower bound %.4f), ", r->eval->k, r->eval->k,
                     c->recall_k, c->recall_k_bound);
        char qps[48];
        cli_format_qps(c->qps_1thread, qps, sizeof qps);
        printf("recall   %s1-recall@1 %.4f, empty slots %.2f%%, RVC blend error %.2f%% (p95 %.2f%%), "
               "%s; report %s/report.md\n", recall, c->recall_1,
               100 * c->empty_share, 100 * c->blend_error_mean, 100 * c->blend_error_p95, qps, dir);
        print_measured_on(r);
        if (r->eval->no_margin)
            printf("margin   none: no setting's lower bound reached %.2f, so this one reaches it on the mean only; "
                   "a voice unlike the held-out ones may get less\n", r->eval->target_recall);
        print_auto(r->eval);
        print_reduction(r->eval);
        rvcidx_eval_report_format_block_times(r->eval, c, "block    ", stdout);
    }
    printf("time     train %.1f s (k-means on %s), encode %.1f s, eval %.1f s\n", r->train_seconds, r->train.device,
           r->encode_seconds, r->eval_seconds);
}

static double gib(uint64_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

/* "23.4 GiB available" or "64.0 GiB assumed (23.4 available)". */
static void describe_room(uint64_t counted, int assumed, uint64_t seen, const char *word, char *out, size_t n) {
    if (assumed) snprintf(out, n, "%.1f GiB assumed (%.1f %s)", gib(counted), gib(seen), word);
    else snprintf(out, n, "%.1f GiB %s", gib(counted), word);
}

/* What the mode adds to the plan: the budget, the indexes, the parts. */
static void print_plan_mode(const rvcidx_plan_result *p) {
    if (p->budget)
        printf("budget   %s keeps %llu vectors (--max-vectors, --max-app-memory): reduction peak %.2f GiB, "
               "reduced.h5 %.2f GiB\n", p->per_speaker ? "the largest speaker's index" : "the index",
               (unsigned long long)p->budget, gib(p->ram_reduce), gib(p->reduced_bytes));
    else if (p->budget_set)
        printf("budget   every vector fits the budget: nothing reduced\n");
    if (p->indexes > 1)
        printf("indexes  %zu, the largest of %llu rows (%.2f GiB); the stage peaks below are its own\n", p->indexes,
               (unsigned long long)p->index_rows, gib(p->largest_index_bytes));
    if (p->split)
        printf("split    %u parts of about %llu rows, merged into one index (merge peak %.2f GiB)\n", p->split,
               (unsigned long long)((p->index_rows + p->split - 1) / p->split), gib(p->ram_merge));
}

static void print_plan(const build_args *a, const rvcidx_plan_result *p) {
    char factory[96] = "(measured: PQx4fs, PQx4fsr or IVF,Flat)";
    if (a->p.index.type != RVCIDX_INDEX_AUTO) rvcidx_index_describe(&a->p.index, p->dim, p->nlist, factory, sizeof factory);
    printf("plan     %llu rows x %d (%s), %zu file(s), %zu speaker(s)%s\n", (unsigned long long)p->rows, p->dim,
           p->dim == 256 ? "RVC v1" : "RVC v2", p->files, p->speakers, a->p.per_speaker ? ": one index each" : "");
    print_plan_mode(p);
    printf("index    %s, k-means on %llu sampled rows, %d iterations, seed %llu; nprobe/k_factor tuned to %d-recall@%d >= %.2f\n",
           factory, (unsigned long long)p->train_rows, a->p.index.iterations, (unsigned long long)a->p.index.seed,
           a->p.eval.k, a->p.eval.k, a->p.eval.target_recall);
    printf("sizes    store %.2f GiB, centroids %.3f GiB, index %.2f GiB%s; tuned on an index of %llu rows\n",
           gib(p->store_bytes), gib(p->centroids_bytes), gib(p->index_bytes), p->indexes > 1 ? " (all of them)" : "",
           (unsigned long long)p->eval_rows);
    char room[96];
    describe_room(p->disk_available, p->disk_assumed, p->disk_seen, "free", room, sizeof room);
    printf("disk     %.2f GiB needed (at its peak, with the temporary copies a rebuild keeps), %s: %s\n", gib(p->disk_needed), room,
           p->fits_disk ? "fits" : "DOES NOT FIT");
    char extra[96] = "";
    if (p->ram_reduce) snprintf(extra, sizeof extra, ", reduce %.2f", gib(p->ram_reduce));
    if (p->ram_merge) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", merge %.2f", gib(p->ram_merge));
    describe_room(p->ram_available, p->ram_assumed, p->ram_seen, "available", room, sizeof room);
    printf("memory   peak %.2f GiB (ingest %.2f, train %.2f, encode %.2f, eval %.2f%s), %s: %s\n", gib(p->ram_peak),
           gib(p->ram_ingest), gib(p->ram_train), gib(p->ram_encode), gib(p->ram_eval), extra, room,
           p->fits_ram ? "fits" : "DOES NOT FIT");
}

/* The library tells each finished step; the command shows it. */
static void on_event(const rvcidx_build_event *e, void *user) {
    const build_args *a = user;
    switch (e->kind) {
    case RVCIDX_EVENT_PLAN_REFUSED: print_plan(a, e->plan); break;
    case RVCIDX_EVENT_INGESTED: cli_print_ingest_summary(e->path, e->ingest, e->seconds); break;
    case RVCIDX_EVENT_UP_TO_DATE:
        if (e->part >= 0) printf("status   up to date: the split build is finished; part %ld not needed\n", e->part);
        else if (e->seconds >= 0) printf("status   up to date: nothing rebuilt (%.1f s)\n", e->seconds);
        else printf("status   up to date: nothing rebuilt\n");
        break;
    case RVCIDX_EVENT_INDEX_DONE: print_index(e->index, e->dir); break;
    case RVCIDX_EVENT_INDEX_MISSED: cli_eval_missed_target(e->index->eval); break;
    case RVCIDX_EVENT_SPLIT_PREPARED:
        printf("split    %s/%s: %u parts, %s (%.1f s)\n", e->outdir, rvcidx_output_name(RVCIDX_OUT_SPLIT), e->parts,
               e->reused ? "already prepared" : "trained and ready", e->seconds);
        break;
    case RVCIDX_EVENT_PART_DONE:
        printf("part     %ld of %u: %s (%.1f s)\n", e->part, e->parts, e->reused ? "already done" : "encoded", e->seconds);
        break;
    case RVCIDX_EVENT_MANIFEST: printf("manifest %s\n", e->path); break;
    }
}

/* --plan: the plan of the build these options describe, printed (exit 8
 * when it does not fit, as the build would be refused; 0 under
 * --no-plan-check, with which the build would go ahead), nothing built. */
static int print_plan_only(const build_args *a, rvcidx_plan_result *out) {
    rvcidx_plan_result p;
    rvcidx_build_params bp = build_params_of(a);
    int rc = rvcidx_plan_build(&bp, &p);
    if (rc) return cli_fail(rc, NULL);
    print_plan(a, &p);
    if (out) *out = p;
    if (p.fits_ram && p.fits_disk) return CLI_EXIT_OK;
    char shortfall[224], advice[768];
    rvcidx_plan_shortfall(&p, shortfall, sizeof shortfall);
    if (!a->p.check_fit) {
        cli_logf(RVCIDX_LOG_WARN, "plan: the build needs %s, but with `no_plan_check` it would go ahead", shortfall);
        return CLI_EXIT_OK;
    }
    rvcidx_plan_advice(&p, advice, sizeof advice);
    cli_logf(RVCIDX_LOG_ERROR, "plan: does not fit this machine: the build needs %s; %s", shortfall, advice);
    return CLI_EXIT_TOO_BIG;
}

/* One build of one OUTDIR, by the library; *unchanged set when it was up to
 * date, *started once it held OUTDIR's lock (optional both). */
static int run_one(build_args *a, cli_progress *cp, int *unchanged, int *started) {
    rvcidx_build_params p = build_params_of(a);
    p.run.progress = cli_progress_cb;
    p.run.progress_user = cp;
    p.on_event = on_event;
    p.event_user = a;
    p.plot = cli_plot_eval;
    rvcidx_build_result r;
    int rc = rvcidx_build(&p, &r);
    if (unchanged) *unchanged = r.unchanged;
    if (started) *started = r.started;
    rvcidx_build_result_clear(&r);
    return rc ? cli_fail(rc, NULL) : CLI_EXIT_OK;
}

/* What a --per-model build's exit code means, in a few words. */
static const char *model_result(int code) {
    return code == BUILD_EXIT_UNCHANGED ? "unchanged" : rvcidx_exit_reason(code);
}

/* ---- --per-model: a separate build of every model directory under ROOT ---- */

typedef struct model_job {
    char *name;
    pid_t pid;
    int status; /* exit code once done, -1 while running or not started */
} model_job;

/* The model directories under root as jobs, sorted; 0 (said why) when none. */
static size_t list_models_or_fail(const char *root, model_job **out) {
    char **names = NULL;
    size_t n = 0;
    *out = NULL;
    if (rvcidx_list_model_dirs(root, &names, &n) != 0) n = 0;
    model_job *jobs = n ? calloc(n, sizeof *jobs) : NULL;
    if (!jobs) rvcidx_names_free(names, n), names = NULL, n = 0;
    for (size_t i = 0; i < n; i++) jobs[i] = (model_job){names[i], 0, -1};
    free(names); /* the strings now belong to the jobs */
    if (n == 0)
        cli_logf(RVCIDX_LOG_ERROR, "build: %s: no model directories (with 3_feature768 or 3_feature256) under it", root);
    *out = jobs;
    return n;
}

static void jobs_free(model_job *jobs, size_t n) {
    for (size_t i = 0; i < n; i++) free(jobs[i].name);
    free(jobs);
}

/* One model's build arguments: ROOT/<model> into OUTDIR/<model>, named after it. */
static void model_args(const build_args *a, const char *root, const char *name, build_args *child, char *outdir,
                       char *src, char **srcs) {
    *child = *a;
    snprintf(outdir, PATH_MAX, "%s/%s", a->p.outdir, name);
    snprintf(src, PATH_MAX, "%s/%s", root, name);
    child->p.outdir = outdir;
    child->srcs = srcs;
    child->n_srcs = 1;
    child->per_model = 0;
    child->p.name = name;
}

/* The fork stays in the command: a library must not fork inside its host. */
static pid_t start_model(const build_args *a, const char *root, model_job *job, cli_progress *cp) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0) return pid;
    build_args child;
    char outdir[PATH_MAX], src[PATH_MAX];
    char *srcs[1] = {src};
    model_args(a, root, job->name, &child, outdir, src, srcs);
    int unchanged = 0, started = 0;
    int rc = rvcidx_outdir_make_own(outdir); /* OUTDIR/<model> is rvcidx's: never a link */
    if (rc) rc = cli_fail(rc, NULL);
    else if ((rc = run_one(&child, cp, &unchanged, &started)) != 0 && !started && rc != CLI_EXIT_LOCKED &&
             rvcidx_outdir_record_failure(outdir, rc, NULL) != 0) /* refused before it began: status lists it */
        cli_logf(RVCIDX_LOG_WARN, "build: cannot record the failure in %s: %s", outdir, rvcidx_last_error());
    fflush(stdout);
    _exit(rc == 0 && unchanged ? BUILD_EXIT_UNCHANGED : rc);
}

static void reap_one(const char *outdir, model_job *jobs, size_t n) {
    int status = 0;
    pid_t pid = wait(&status);
    for (size_t i = 0; i < n; i++)
        if (jobs[i].pid == pid) {
            jobs[i].status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (WIFSIGNALED(status)) { /* killed (the OOM killer...): the child could not say so itself */
                char dir[PATH_MAX];
                snprintf(dir, sizeof dir, "%s/%s", outdir, jobs[i].name);
                if (rvcidx_outdir_record_failure(dir, jobs[i].status, NULL) != 0)
                    cli_logf(RVCIDX_LOG_WARN, "build: cannot record the failure in %s: %s", dir, rvcidx_last_error());
            }
            const char *what = jobs[i].status == 0 ? "built" : jobs[i].status == BUILD_EXIT_UNCHANGED ? "unchanged" : "failed";
            cli_logf(jobs[i].status && jobs[i].status != BUILD_EXIT_UNCHANGED ? RVCIDX_LOG_ERROR : RVCIDX_LOG_INFO,
                     "build: model %s: %s (exit %d)", jobs[i].name, what, jobs[i].status == BUILD_EXIT_UNCHANGED ? 0 : jobs[i].status);
        }
}

/* What all of --per-model's models need together: their files stay on disk
 * one after the other, so the disk is every model's files plus the temporary
 * copies of the --jobs largest rebuilds at once; memory is the --jobs
 * largest peaks at once. */
typedef struct models_total {
    uint64_t files, extra[256], peaks[256], disk_available, ram_available;
    size_t n;
} models_total;

static void keep_largest(uint64_t *top, int jobs, uint64_t v) {
    for (int i = 0; i < jobs; i++)
        if (v > top[i]) { uint64_t t = top[i]; top[i] = v; v = t; }
}

static void models_total_add(models_total *t, const rvcidx_plan_result *p, int jobs) {
    uint64_t files = p->store_bytes + p->centroids_bytes + p->index_bytes;
    t->files += files;
    keep_largest(t->extra, jobs, p->disk_needed > files ? p->disk_needed - files : 0);
    keep_largest(t->peaks, jobs, p->ram_peak);
    t->disk_available = p->disk_available, t->ram_available = p->ram_available;
    t->n++;
}

static int models_total_print(const models_total *t, int jobs) {
    uint64_t disk = t->files, ram = 0;
    for (int i = 0; i < jobs; i++) disk += t->extra[i], ram += t->peaks[i];
    int fits_disk = disk <= t->disk_available, fits_ram = ram <= t->ram_available;
    printf("\nall      %zu models: disk %.2f GiB needed (every model's files, which stay, and the temporary copies "
           "of %d rebuild%s at once), %.1f GiB free: %s; memory peak %.2f GiB (%d build%s at once), %.1f GiB "
           "available: %s\n", t->n, gib(disk), jobs, jobs == 1 ? "" : "s", gib(t->disk_available),
           fits_disk ? "fits" : "DOES NOT FIT", gib(ram), jobs, jobs == 1 ? "" : "s", gib(t->ram_available),
           fits_ram ? "fits" : "DOES NOT FIT");
    return fits_disk && fits_ram;
}

/* --plan --per-model: each model's plan and all of them together, building
 * nothing; exit 8 when any, or all together, does not fit, else the first
 * other failure. */
static int plan_per_model(const build_args *a) {
    const char *root = a->srcs[0];
    model_job *jobs = NULL;
    size_t n = list_models_or_fail(root, &jobs);
    int rc = n ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT, at_once = a->jobs > 1 ? a->jobs : 1, planned = 0;
    models_total total;
    memset(&total, 0, sizeof total);
    for (size_t i = 0; i < n; i++) {
        build_args child;
        char outdir[PATH_MAX], src[PATH_MAX];
        char *srcs[1] = {src};
        rvcidx_plan_result p;
        model_args(a, root, jobs[i].name, &child, outdir, src, srcs);
        printf("%smodel    %s (%s)\n", i ? "\n" : "", jobs[i].name, outdir);
        int one = print_plan_only(&child, &p);
        if (one == CLI_EXIT_OK || one == CLI_EXIT_TOO_BIG) models_total_add(&total, &p, at_once), planned++;
        if (one == CLI_EXIT_TOO_BIG || (one && !rc)) rc = one;
    }
    if (planned > 1 && !models_total_print(&total, at_once) && !!a->p.check_fit) {
        cli_logf(RVCIDX_LOG_ERROR, "plan: the %d models together do not fit this machine: each one's files stay "
                 "on disk while the next builds; free disk, use fewer --jobs, or build them in batches", planned);
        rc = CLI_EXIT_TOO_BIG;
    }
    jobs_free(jobs, n);
    return rc;
}

static int build_per_model(build_args *a, cli_progress *cp) {
    const char *root = a->srcs[0];
    model_job *jobs = NULL;
    size_t n = list_models_or_fail(root, &jobs), running = 0, next = 0;
    if (n == 0) return CLI_EXIT_BAD_INPUT;
    int jobs_at_once = a->jobs > 0 ? a->jobs : 1;
    if (a->p.run.threads == 0 && jobs_at_once > 1) { /* split the cores between the builds */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        a->p.run.threads = cpus / jobs_at_once > 1 ? (int)(cpus / jobs_at_once) : 1;
    }
    int rc = rvcidx_outdir_make(a->p.outdir);
    if (rc) rc = cli_fail(rc, NULL);
    for (; rc == 0 && (next < n || running > 0);) {
        while (next < n && running < (size_t)jobs_at_once && !cli_interrupted()) {
            jobs[next].pid = start_model(a, root, &jobs[next], cp);
            if (jobs[next].pid < 0) jobs[next].status = CLI_EXIT_INTERNAL;
            else running++;
            next++;
        }
        if (running == 0) break;
        reap_one(a->p.outdir, jobs, n);
        running--;
    }
    size_t built = 0, unchanged = 0, failed = 0;
    printf("\n| model | result |\n|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        int code = jobs[i].status;
        printf("| %s | %s |\n", jobs[i].name, code < 0 ? "not started" : model_result(code));
        built += code == 0;
        unchanged += code == BUILD_EXIT_UNCHANGED;
        failed += code != 0 && code != BUILD_EXIT_UNCHANGED;
    }
    printf("\nmodels   %zu built, %zu unchanged, %zu failed or not started\n", built, unchanged, failed);
    jobs_free(jobs, n);
    return rc ? rc : failed ? CLI_EXIT_INTERNAL : CLI_EXIT_OK;
}

static const char plan_usage[] =
    "usage: rvcidx plan -o OUTDIR [build's options] SRC...\n\n"
    "What 'rvcidx build' with the same options would do, from the shards' headers only:\n"
    "rows and D, the index and its parameters, predicted file sizes, disk and peak memory\n"
    "against this machine's (RVCIDX_MEMORY_LIMIT, RVCIDX_DISK_LIMIT lower them). Builds\n"
    "nothing; exits 8 when the build would not fit (as build would refuse it), 3 when\n"
    "the inputs have too few frames.\n\n"
    "options: build's ('rvcidx build --help'); those that change the plan:\n"
    "  -o, --output OUTDIR  where the build would write (its filesystem's free space)\n"
    "      --per-speaker    one index per speaker\n"
    "      --per-model      SRC is a folder of model directories: one plan per model\n"
    "      --max-vectors, --max-app-memory  the budgeted index, and the reduction before it\n"
    "      --split N        a split build: its parts, their merge\n"
    "      --index, --refine, --nlist, --train-rows, --k, --eval-queries, --dim, --version, --for,\n"
    "      --threads        (x4fsr's search tables grow with the threads searching at once)\n"
    "      --assume-memory SIZE, --assume-disk SIZE  count on these instead of what this machine\n"
    "                       shows (or RVCIDX_ASSUME_MEMORY, RVCIDX_ASSUME_DISK)\n"
    "      --no-plan-check  exit 0 even when it does not fit, as the build would go ahead\n" CLI_COMMON_HELP;

/* `rvcidx plan ...` is `rvcidx build --plan ...`, with its own help. */
int cmd_plan(int argc, char **argv) {
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return fputs(plan_usage, stdout), CLI_EXIT_OK;
    char **args = calloc((size_t)argc + 2, sizeof *args); /* every SRC: a fixed array dropped those past 253 */
    if (!args) return CLI_EXIT_INTERNAL;
    args[0] = argv[0];
    args[1] = (char *)"--plan"; /* first: after a "--" it would be taken for a SRC */
    memcpy(args + 2, argv + 1, (size_t)(argc - 1) * sizeof *args);
    int rc = cmd_build(argc + 1, args);
    free(args);
    return rc;
}

int cmd_build(int argc, char **argv) {
    build_args a;
    memset(&a, 0, sizeof a);
    int rc = build_parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if (a.per_model && (a.n_srcs != 1 || a.p.per_speaker || a.p.name)) {
        cli_logf(RVCIDX_LOG_ERROR, "build: --per-model takes one ROOT (a folder of model directories) and no "
                 "--per-speaker or --name");
        return CLI_EXIT_USAGE;
    }
    if (a.p.split && (a.p.per_speaker || a.per_model || a.p.index.type == RVCIDX_INDEX_AUTO)) { /* --per-model is the command's */
        cli_logf(RVCIDX_LOG_ERROR, "build: --split builds one index of one type: no --per-speaker, --per-model or "
                 "--index auto");
        return CLI_EXIT_USAGE;
    }
    rvcidx_build_params checked = build_params_of(&a);
    if ((rc = rvcidx_build_params_check(&checked)) != 0) return cli_fail(rc, NULL);
    /* The library checks `gpu=on` before any work; for --per-model the command
     * says it once instead of each model's build. */
    if (a.per_model && !a.plan_only && (rc = cli_require_gpu(a.p.run.gpu)) != 0) return rc;
    if (a.plan_only && (a.p.stage == RVCIDX_STAGE_PART || a.p.stage == RVCIDX_STAGE_FINISH)) return CLI_EXIT_OK; /* nothing to plan */
    if (a.plan_only) return a.per_model ? plan_per_model(&a) : print_plan_only(&a, NULL);
    cli_progress cp;
    cli_progress_init(&cp, stderr, !a.per_model || a.jobs <= 1); /* parallel bars would interleave */
    return a.per_model ? build_per_model(&a, &cp) : run_one(&a, &cp, NULL, NULL);
}
