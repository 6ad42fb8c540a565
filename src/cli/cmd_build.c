/* cmd_build.c — `rvcidx build`: the whole pipeline in one command.
 *
 * lock OUTDIR -> ingest (incremental) -> nothing to do if the manifest's
 * request (inputs and parameters) is today's and its outputs are there ->
 * otherwise, per index: train -> encode -> eval/tune -> publish, then
 * run.json (times, host) and manifest.json last: its presence marks a
 * complete build.
 */
#include <dirent.h>
#include <getopt.h>
#include <sys/wait.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fsutil.h" /* atomic publish, until the library writes these files (issue 17) */
#include "cmd_build.h"

static const char build_usage[] =
    "usage: rvcidx build -o OUTDIR [options] SRC...\n\n"
    "Ingest -> train -> encode -> eval/tune -> manifest, for the RVC model directories,\n"
    "shard folders, folders of model directories or list files given as SRC.\n"
    "Writes OUTDIR/store.h5, OUTDIR/centroids.h5 and OUTDIR/added_IVF..._<name>_v2.index\n"
    "(with --per-speaker: OUTDIR/<speaker>/centroids.h5 and its index, per speaker).\n\n"
    "options:\n"
    "  -o, --output OUTDIR  where the artifacts go\n"
    "      --name NAME      model name in the index file name (default: the first SRC's name)\n"
    "      --per-speaker    one index per speaker (model directory) instead of one for all\n"
    "      --per-model      SRC is a folder of model directories: a separate build of each\n"
    "                       into OUTDIR/<model>/ (failures do not stop the others)\n"
    "      --jobs N         with --per-model: N builds at once, CPU threads split between them\n"
    "      --plan           print N, D, parameters, predicted sizes and peak memory, and\n"
    "                       whether they fit this machine; build nothing ('rvcidx plan' too)\n"
    "split build (one index encoded in parts, e.g. by cluster tasks; see 'rvcidx submit'):\n"
    "      --split N        encode the rows in N contiguous parts and merge them in row order\n"
    "                       (the index is byte-identical to the build without --split)\n"
    "      --stage all|prepare|part|finish  run one stage (default all): prepare = ingest and\n"
    "                       train once; part = encode one part; finish = merge, tune, publish\n"
    "      --part I         the part for --stage part (default $SLURM_ARRAY_TASK_ID)\n"
    "      --for APP        build for the app that loads the index: rvc, rvc-realtime, applio,\n"
    "                       applio-realtime, ultimate-rvc, w-okada ('--for help' says what each\n"
    "                       needs): an index type every call of the app succeeds on, its k,\n"
    "                       tuning at its query pattern. Default: the seed's IVF,PQx4fs,RFlat\n"
    "                       at k 8, which serves rvc, applio and ultimate-rvc\n"
    "eval options (recall against exact search, tuning nprobe/k_factor):\n" CLI_EVAL_HELP
    "ingest options:\n"
    "      --dim 256|768    pick 3_feature256 (v1) or 3_feature768 (v2) when both exist\n"
    "      --version v1|v2  the same, by RVC version\n"
    "      --skip-bad       leave bad shards out instead of failing\n"
    "      --check hash|stat  recognise stored shards by sha256 (default) or size+mtime\n"
    "index options:\n"
    "      --index ivfpq4fs|ivfflat|auto (auto: build both, keep the cheaper one at the target),\n"
    "      --metric l2|ip|cosine, --nlist N|auto, --seed S,\n"
    "      --iterations N, --train-rows N|auto, --threads N, --gpu auto|on|off,\n"
    "      --nprobe N, --k-factor N   (see 'rvcidx train --help')\n" CLI_COMMON_HELP;

enum { OPT_NAME = 1300, OPT_PER_SPEAKER, OPT_PER_MODEL, OPT_JOBS, OPT_PLAN, OPT_SPLIT, OPT_STAGE, OPT_PART, OPT_FOR };

static int parse_split_option(int opt, const char *arg, build_args *a) {
    long v = 0;
    if (opt == OPT_SPLIT) {
        if (cli_parse_int("--split", arg, 1, RVCIDX_SPLIT_MAX_PARTS, &v)) return CLI_EXIT_USAGE;
        a->split = (unsigned)v;
    } else if (opt == OPT_PART) {
        if (cli_parse_int("--part", arg, 0, RVCIDX_SPLIT_MAX_PARTS - 1, &v)) return CLI_EXIT_USAGE;
        a->part = v;
    } else if (opt == OPT_STAGE) {
        static const char *names[] = {"all", "prepare", "part", "finish"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(arg, names[i])) return a->stage = i, 0;
        cli_logf(RVCIDX_LOG_ERROR, "--stage %s: expected all, prepare, part or finish", arg);
        return CLI_EXIT_USAGE;
    } else {
        return -1;
    }
    return 0;
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

/* --for APP after every other option: the app's needs, unless the command
 * line asked for something the app cannot use. */
static int apply_app(build_args *a, const char *name) {
    if (!name) return 0;
    rvcidx_app app = RVCIDX_APP_NONE;
    if (rvcidx_app_from_name(name, &app)) {
        cli_logf(RVCIDX_LOG_ERROR, "--for %s: %s; see 'rvcidx build --for help'", name, rvcidx_last_error());
        return CLI_EXIT_USAGE;
    }
    const rvcidx_app_profile *p = rvcidx_app_profile_get(app);
    if (a->index_given && !rvcidx_app_accepts(app, a->index.type)) {
        cli_logf(RVCIDX_LOG_ERROR, "--for %s: the app sets index.nprobe = %d on the file it loads, and the refine "
                 "wrapper of --index ivfpq4fs has no nprobe (faiss >= 1.13 raises): drop --index or use ivfflat",
                 name, p->nprobe);
        return CLI_EXIT_USAGE;
    }
    if (a->k_given && a->eval.k != p->k) {
        cli_logf(RVCIDX_LOG_ERROR, "--for %s: the app searches with k=%d, not --k %d: drop --k", name, p->k, a->eval.k);
        return CLI_EXIT_USAGE;
    }
    if (a->nprobe_given && p->nprobe) {
        cli_logf(RVCIDX_LOG_ERROR, "--for %s: the app sets nprobe %d itself, whatever --nprobe stores: drop --nprobe",
                 name, p->nprobe);
        return CLI_EXIT_USAGE;
    }
    return rvcidx_app_apply(app, &a->index, &a->eval) ? cli_fail(RVCIDX_EINVAL, NULL) : 0;
}

static void note_given(int opt, build_args *a) {
    a->index_given |= opt == CLI_OPT_INDEX;
    a->k_given |= opt == CLI_OPT_K;
    a->nprobe_given |= opt == CLI_OPT_NPROBE;
}

int build_parse_args(int argc, char **argv, build_args *a) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"name", required_argument, 0, OPT_NAME},
        {"per-speaker", no_argument, 0, OPT_PER_SPEAKER}, {"per-model", no_argument, 0, OPT_PER_MODEL},
        {"jobs", required_argument, 0, OPT_JOBS}, {"plan", no_argument, 0, OPT_PLAN},
        {"split", required_argument, 0, OPT_SPLIT}, {"stage", required_argument, 0, OPT_STAGE},
        {"part", required_argument, 0, OPT_PART}, {"for", required_argument, 0, OPT_FOR}, CLI_INGEST_LONG, CLI_INDEX_LONG,
        CLI_EVAL_LONG, CLI_COMMON_LONG, {0, 0, 0, 0}};
    a->ingest = rvcidx_ingest_default_params();
    a->index = rvcidx_index_default_params();
    a->eval = rvcidx_eval_default_params();
    a->part = -1;
    int opt, rc;
    const char *app = NULL;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        note_given(opt, a);
        if (opt == 'o') a->outdir = optarg;
        else if (opt == OPT_FOR && !strcmp(optarg, "help")) return print_apps(), -1;
        else if (opt == OPT_FOR) app = optarg;
        else if (opt == OPT_NAME) a->name = optarg;
        else if (opt == OPT_PER_SPEAKER) a->per_speaker = 1;
        else if (opt == OPT_PER_MODEL) a->per_model = 1;
        else if (opt == OPT_PLAN) a->plan_only = 1;
        else if (opt == OPT_JOBS) {
            long v = 0;
            if (cli_parse_int("--jobs", optarg, 1, 256, &v)) return CLI_EXIT_USAGE;
            a->jobs = (int)v;
        }
        else if (opt == 'h') return fputs(build_usage, stdout), -1;
        else if ((rc = parse_split_option(opt, optarg, a)) >= 0) {
            if (rc) return rc;
        } else if ((rc = cli_parse_ingest_option(opt, optarg, &a->ingest)) >= 0) {
            if (rc) return rc;
        } else if ((rc = cli_parse_index_option(opt, optarg, &a->index)) >= 0) {
            if (rc) return rc;
        } else if ((rc = cli_parse_eval_option(opt, optarg, &a->eval)) >= 0) {
            if (rc) return rc;
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    a->eval.gpu = a->index.gpu;
    a->eval.threads = a->index.threads;
    if ((rc = apply_app(a, app)) != 0) return rc;
    if (!a->outdir || !a->outdir[0] || optind >= argc) {
        cli_logf(RVCIDX_LOG_ERROR, "build: -o OUTDIR and at least one SRC are required; see 'rvcidx build --help'");
        return CLI_EXIT_USAGE;
    }
    char name_check[512];
    if (a->name && rvcidx_index_file_name(&a->index, 768, 1, a->name, name_check, sizeof name_check) != 0) {
        cli_logf(RVCIDX_LOG_ERROR, "--name: %s", rvcidx_last_error());
        return CLI_EXIT_USAGE;
    }
    a->srcs = argv + optind;
    a->n_srcs = argc - optind;
    return 0;
}

/* The first SRC's name, as RVC names models after their logs/<model> folder. */
void build_default_model_name(const char *src, char *out, size_t n) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", src);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
    snprintf(out, n, "%s", basename(buf));
}

/* A folder rvcidx makes inside OUTDIR (a speaker's, a model's, the submit
 * records'): a link planted there would send what is written and removed in
 * it outside OUTDIR. */
int build_ensure_dir(const char *dir) {
    int rc = rvcidx__own_dir(dir);
    return rc ? cli_fail(rc, NULL) : 0;
}

/* OUTDIR itself, as the user named it: a link they chose is followed. The
 * names rvcidx replaces there must not be directories: a rename cannot
 * replace one, and finding out at the end would leave the new index beside
 * no manifest. */
int build_ensure_outdir(const char *dir) {
    int rc = rvcidx__mkdir_p(dir);
    return rc ? cli_fail(rc, NULL) : 0;
}

int build_check_replaceable(const char *dir, int top) {
    static const char *const names[] = {"centroids.h5", "report.json", "timings.json", "report.md", "report.svg",
                                        ".rvcidx-published", "store.h5", "store.h5.stat.json", "manifest.json",
                                        "run.json", ".rvcidx-failed.json"};
    size_t n = top ? sizeof names / sizeof *names : 6; /* an index folder holds the first six */
    int rc = rvcidx__check_replaceable(dir, names, n);
    return rc ? cli_fail(rc, NULL) : 0;
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

/* train -> encode -> eval/tune -> publish for one row range, reports in dir.
 * On success *r holds the result (the caller clears it). */
int build_report_index(const build_args *a, const char *dir, const char *model, int rc, rvcidx_index_result *r) {
    (void)a;
    if (r->eval && (rc == 0 || rc == RVCIDX_ETARGET)) {
        int out = cli_write_eval_outputs(r->eval, dir);
        if (out && rc == 0) rc = RVCIDX_EIO;
    }
    if (rc == RVCIDX_ETARGET) {
        int code = cli_eval_missed_target(r->eval);
        cli_logf(RVCIDX_LOG_ERROR, "build: no index published for %s; the sweep is in %s/report.md", model, dir);
        return code;
    }
    if (rc) return cli_fail(rc, NULL);
    printf("index    %s\n         %s, %llu vectors, nprobe %d, k_factor %d\n", r->index_path, r->encode.factory,
           (unsigned long long)r->encode.ntotal, r->nprobe, r->k_factor);
    if (r->eval) {
        const rvcidx_eval_point *c = &r->eval->points[r->eval->chosen >= 0 ? r->eval->chosen : 0];
        char recall[64] = "";
        if (r->eval->k > 1) snprintf(recall, sizeof recall, "%d-recall@%d %.4f, ", r->eval->k, r->eval->k, c->recall_k);
        char qps[48];
        cli_format_qps(c->qps_1thread, qps, sizeof qps);
        printf("recall   %s1-recall@1 %.4f, empty slots %.2f%%, RVC blend error %.2f%% (p95 %.2f%%), "
               "%s; report %s/report.md\n", recall, c->recall_1,
               100 * c->empty_share, 100 * c->blend_error_mean, 100 * c->blend_error_p95, qps, dir);
        print_measured_on(r);
        cli_print_block_times(r->eval, c, "block    ", stdout);
    }
    printf("time     train %.1f s (k-means on %s), encode %.1f s, eval %.1f s\n", r->train_seconds, r->train.device,
           r->encode_seconds, r->eval_seconds);
    return CLI_EXIT_OK;
}

int build_index(const build_args *a, const char *store, const char *dir, const char *model, uint64_t first_row,
                uint64_t rows, rvcidx_index_result *r) {
    rvcidx_index_params p = a->index;
    p.first_row = first_row;
    p.rows = rows;
    int rc = rvcidx_build_index(store, dir, model, &p, &a->eval, r);
    return build_report_index(a, dir, model, rc, r);
}

void build_plan_free(build_plan *bp) {
    for (size_t i = 0; i < bp->n; i++) {
        free(bp->names[i]);
        free(bp->dirs[i]);
        rvcidx_index_result_clear(&bp->results[i]);
    }
    free(bp->names), free(bp->dirs), free(bp->first_row), free(bp->rows), free(bp->results);
    memset(bp, 0, sizeof *bp);
}

int build_plan_make(const build_args *a, const char *store, const char *model, build_plan *bp) {
    memset(bp, 0, sizeof *bp);
    rvcidx_store *st = NULL;
    int rc = rvcidx_store_open(store, &st);
    if (rc) return cli_fail(rc, NULL);
    size_t n = a->per_speaker ? rvcidx_store_speaker_count(st) : 1;
    bp->names = calloc(n, sizeof *bp->names);
    bp->dirs = calloc(n, sizeof *bp->dirs);
    bp->first_row = calloc(n, sizeof *bp->first_row);
    bp->rows = calloc(n, sizeof *bp->rows);
    bp->results = calloc(n, sizeof *bp->results);
    char dir[PATH_MAX];
    for (size_t i = 0; bp->results && i < n; i++) {
        rvcidx_store_speaker spk = {model, 0, 0};
        if (a->per_speaker) rvcidx_store_get_speaker(st, i, &spk);
        if (a->per_speaker && spk.rows == 0) {
            cli_logf(RVCIDX_LOG_WARN, "build: speaker %s has no rows; no index", spk.name);
            continue;
        }
        snprintf(dir, sizeof dir, "%s%s%s", a->outdir, a->per_speaker ? "/" : "", a->per_speaker ? spk.name : "");
        bp->names[bp->n] = strdup(spk.name);
        bp->dirs[bp->n] = strdup(dir);
        bp->first_row[bp->n] = spk.first_row;
        bp->rows[bp->n] = spk.rows;
        bp->n++;
    }
    rvcidx_store_close(st);
    return bp->results ? 0 : CLI_EXIT_TOO_BIG;
}

static int build_all(const build_args *a, const char *store, build_plan *bp) {
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < bp->n; i++) {
        int top = !strcmp(bp->dirs[i], a->outdir);
        rc = top ? 0 : build_ensure_dir(bp->dirs[i]);
        if (rc == 0 && !top) rc = build_check_replaceable(bp->dirs[i], 0);
        if (rc == 0) rc = build_index(a, store, bp->dirs[i], bp->names[i], bp->first_row[i], bp->rows[i], &bp->results[i]);
    }
    return rc;
}

rvcidx_manifest_spec build_manifest_spec(const build_args *a, const char *store, const build_plan *bp) {
    rvcidx_manifest_spec m;
    memset(&m, 0, sizeof m);
    m.outdir = a->outdir;
    m.store_path = store;
    m.ingest = &a->ingest;
    m.index = &a->index;
    m.eval = &a->eval;
    m.per_speaker = a->per_speaker;
    if (bp) {
        m.results = bp->results;
        m.n_results = bp->n;
        m.index_names = (const char *const *)bp->names;
    }
    return m;
}

/* Nothing to do when the manifest's request is today's and its outputs are all
 * there with their sizes: a nightly rebuild of unchanged data costs one
 * hashing pass over the inputs (ingest's check). */
int build_up_to_date(const build_args *a, const char *store) {
    char *stored = NULL, *now = NULL;
    rvcidx_manifest_spec m = build_manifest_spec(a, store, NULL);
    int same = rvcidx_manifest_read_request(a->outdir, &stored) == 0 && stored &&
               rvcidx_manifest_request(&m, &now) == 0 && !strcmp(stored, now);
    free(stored);
    free(now);
    size_t missing = 0;
    return same && rvcidx_verify(a->outdir, 1, &missing, NULL) == 0 && missing == 0;
}

/* Times, threads and host: what differs from run to run, kept out of the manifest. */
void build_write_run_json(const build_args *a, const build_plan *bp, double ingest_s, double total_s) {
    char path[PATH_MAX], host[256] = "";
    gethostname(host, sizeof host - 1);
    json_t *indexes = json_array();
    for (size_t i = 0; i < bp->n; i++) {
        const rvcidx_index_result *r = &bp->results[i];
        json_array_append_new(indexes, json_pack("{s:s, s:f, s:f, s:f, s:f, s:s}", "name", bp->names[i], "train_s",
                                                 r->train_seconds, "kmeans_s", r->train.kmeans_seconds, "encode_s",
                                                 r->encode_seconds, "eval_s", r->eval_seconds, "train_device", r->train.device));
    }
    rvcidx_runtime_versions v;
    if (rvcidx_get_runtime_versions(&v) != 0) snprintf(v.blas, sizeof v.blas, "unknown");
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:o}", "format", "rvcidx-run", "host", host, "blas", v.blas, "cpus",
                          (int)sysconf(_SC_NPROCESSORS_ONLN), "threads", a->index.threads, "ingest_s", ingest_s,
                          "total_s", total_s, "indexes", indexes);
    snprintf(path, sizeof path, "%s/run.json", a->outdir);
    if (rvcidx__write_json_file(path, o, 0) != 0) cli_logf(RVCIDX_LOG_WARN, "build: cannot write %s", path);
    json_decref(o);
}

static int run_build(build_args *a) {
    char store[PATH_MAX], model[256], manifest[PATH_MAX];
    snprintf(store, sizeof store, "%s/store.h5", a->outdir);
    snprintf(manifest, sizeof manifest, "%s/manifest.json", a->outdir);
    build_default_model_name(a->srcs[0], model, sizeof model);
    rvcidx_ingest_result r;
    double start = cli_now();
    int rc = rvcidx_ingest(store, (const char *const *)a->srcs, a->n_srcs, &a->ingest, &r);
    if (rc) return cli_fail(rc, NULL);
    double ingest_s = cli_now() - start;
    cli_print_ingest_summary(store, &r, ingest_s);
    if (r.outcome == RVCIDX_INGEST_UNCHANGED && build_up_to_date(a, store)) {
        cli_logf(RVCIDX_LOG_INFO, "build: %s is up to date (same inputs and parameters as its manifest); nothing to do",
                 a->outdir);
        printf("status   up to date: nothing rebuilt (%.1f s)\n", cli_now() - start);
        a->unchanged = 1;
        return CLI_EXIT_OK;
    }
    unlink(manifest); /* until the new one is written, this is not a complete build */
    build_plan bp;
    rc = build_plan_make(a, store, a->name ? a->name : model, &bp);
    if (rc == 0) rc = build_all(a, store, &bp);
    if (rc == 0) {
        build_write_run_json(a, &bp, ingest_s, cli_now() - start);
        rvcidx_manifest_spec m = build_manifest_spec(a, store, &bp);
        int mrc = rvcidx_manifest_write(&m);
        if (mrc) rc = cli_fail(mrc, NULL);
    }
    if (rc == 0) printf("manifest %s\n", manifest);
    build_plan_free(&bp);
    if (rc == 0) cli_logf(RVCIDX_LOG_INFO, "build: done in %.1f s", cli_now() - start);
    return rc;
}

static double gib(uint64_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

static void print_plan(const build_args *a, const rvcidx_plan_result *p) {
    char factory[96] = "(measured: ivfpq4fs or ivfflat)";
    if (a->index.type != RVCIDX_INDEX_AUTO) rvcidx_index_describe(&a->index, p->dim, p->nlist, factory, sizeof factory);
    printf("plan     %llu rows x %d (%s), %zu file(s), %zu speaker(s)%s\n", (unsigned long long)p->rows, p->dim,
           p->dim == 256 ? "RVC v1" : "RVC v2", p->files, p->speakers, a->per_speaker ? ": one index each" : "");
    printf("index    %s, k-means on %llu sampled rows, %d iterations, seed %llu; nprobe/k_factor tuned to %d-recall@%d >= %.2f\n",
           factory, (unsigned long long)p->train_rows, a->index.iterations, (unsigned long long)a->index.seed,
           a->eval.k, a->eval.k, a->eval.target_recall);
    printf("sizes    store %.2f GiB, centroids %.3f GiB, index %.2f GiB\n", gib(p->store_bytes), gib(p->centroids_bytes),
           gib(p->index_bytes));
    printf("disk     %.2f GiB needed (with the temporary copies of a rebuild), %.1f GiB free: %s\n", gib(p->disk_needed),
           gib(p->disk_available), p->fits_disk ? "fits" : "DOES NOT FIT");
    printf("memory   peak %.2f GiB (ingest %.2f, train %.2f, encode %.2f, eval %.2f), %.1f GiB available: %s\n",
           gib(p->ram_peak), gib(p->ram_ingest), gib(p->ram_train), gib(p->ram_encode), gib(p->ram_eval),
           gib(p->ram_available), p->fits_ram ? "fits" : "DOES NOT FIT");
}

/* The disk needed is what a rebuild writes; a build that will find itself up
 * to date writes nothing, so a nightly rerun must not be refused for want of
 * space. Decided from sizes and mtimes (rvcidx_build_is_current, as submit
 * does), before ingest, which would rewrite a changed store. */
static int up_to_date_before_ingest(const build_args *a) {
    char store[PATH_MAX];
    snprintf(store, sizeof store, "%s/store.h5", a->outdir);
    rvcidx_manifest_spec m = build_manifest_spec(a, store, NULL);
    int current = 0;
    if (a->split || rvcidx_build_is_current(&m, (const char *const *)a->srcs, a->n_srcs, &current) != 0 || !current)
        return 0;
    cli_logf(RVCIDX_LOG_INFO, "build: %s is up to date, so the disk space a rebuild needs is not checked", a->outdir);
    return 1;
}

/* The plan, printed with --plan (exit 8 when it does not fit, as the build
 * would be refused); a build that will not fit is refused before it starts. */
static int check_plan(const build_args *a) {
    rvcidx_plan_result p;
    int rc = rvcidx_plan((const char *const *)a->srcs, a->n_srcs, a->outdir, &a->ingest, &a->index, &a->eval, &p);
    if (rc) return cli_fail(rc, NULL);
    if (p.fits_ram && p.fits_disk) return a->plan_only ? (print_plan(a, &p), CLI_EXIT_OK) : CLI_EXIT_OK;
    if (p.fits_ram && !a->plan_only && up_to_date_before_ingest(a)) return CLI_EXIT_OK;
    print_plan(a, &p);
    char ram[96] = "", disk[96] = "";
    if (!p.fits_ram) snprintf(ram, sizeof ram, "%.2f GiB of memory (%.1f available)", gib(p.ram_peak), gib(p.ram_available));
    if (!p.fits_disk) snprintf(disk, sizeof disk, "%.2f GiB of disk (%.1f free)", gib(p.disk_needed), gib(p.disk_available));
    cli_logf(RVCIDX_LOG_ERROR, "%s: the build needs %s%s%s; use a bigger machine, free space, or --per-speaker for "
             "smaller indexes", a->plan_only ? "plan: does not fit this machine" : "build: refused before starting",
             ram, ram[0] && disk[0] ? " and " : "", disk);
    return CLI_EXIT_TOO_BIG;
}

/* One build of OUTDIR under its lock. */
static int locked_build(build_args *a) {
    int rc = build_ensure_outdir(a->outdir);
    if (rc) return rc;
    int lock = -1;
    rc = rvcidx_outdir_lock(a->outdir, &lock);
    if (rc) return cli_fail(rc, NULL);
    build_outcome_clear(a->outdir);
    rc = build_check_replaceable(a->outdir, 1);
    if (rc == 0) rc = run_build(a);
    build_outcome_record(a->outdir, rc);
    rvcidx_outdir_unlock(lock);
    return rc;
}

/* ---- --per-model: a separate build of every model directory under ROOT ---- */

int build_is_model_dir(const char *root, const char *name) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s/3_feature768", root, name);
    if (cli_is_directory(p)) return 1;
    snprintf(p, sizeof p, "%s/%s/3_feature256", root, name);
    return cli_is_directory(p);
}

static int compare_jobs(const void *x, const void *y) {
    return strcmp(((const model_job *)x)->name, ((const model_job *)y)->name);
}

size_t build_list_models(const char *root, model_job **out) {
    DIR *d = opendir(root);
    size_t n = 0, cap = 0;
    model_job *jobs = NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !build_is_model_dir(root, e->d_name)) continue;
        if (n == cap) {
            model_job *grown = realloc(jobs, (cap = cap ? 2 * cap : 64) * sizeof *jobs);
            if (!grown) break;
            jobs = grown;
        }
        memset(&jobs[n], 0, sizeof jobs[n]);
        snprintf(jobs[n].name, sizeof jobs[n].name, "%s", e->d_name);
        jobs[n++].status = -1;
    }
    if (d) closedir(d);
    if (n) qsort(jobs, n, sizeof *jobs, compare_jobs);
    *out = jobs;
    return n;
}

/* One model's build arguments: ROOT/<model> into OUTDIR/<model>, named after it. */
static void model_args(const build_args *a, const char *root, const char *name, build_args *child, char *outdir,
                       char *src, char **srcs) {
    *child = *a;
    snprintf(outdir, PATH_MAX, "%s/%s", a->outdir, name);
    snprintf(src, PATH_MAX, "%s/%s", root, name);
    child->outdir = outdir;
    child->srcs = srcs;
    child->n_srcs = 1;
    child->per_model = 0;
    child->name = name;
}

static pid_t start_model(const build_args *a, const char *root, model_job *job) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0) return pid;
    build_args child;
    char outdir[PATH_MAX], src[PATH_MAX];
    char *srcs[1] = {src};
    model_args(a, root, job->name, &child, outdir, src, srcs);
    int rc = check_plan(&child); /* each model's build is refused on its own when it does not fit */
    if (rc == 0) rc = build_ensure_dir(outdir); /* OUTDIR/<model> is rvcidx's: never a link */
    if (rc == 0) rc = locked_build(&child);
    else if (build_ensure_dir(outdir) == 0) build_outcome_record(outdir, rc); /* for 'rvcidx status' */
    fflush(stdout);
    _exit(rc == 0 && child.unchanged ? BUILD_EXIT_UNCHANGED : rc);
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
                build_outcome_record(dir, jobs[i].status);
            }
            const char *what = jobs[i].status == 0 ? "built" : jobs[i].status == BUILD_EXIT_UNCHANGED ? "unchanged" : "failed";
            cli_logf(jobs[i].status && jobs[i].status != BUILD_EXIT_UNCHANGED ? RVCIDX_LOG_ERROR : RVCIDX_LOG_INFO,
                     "build: model %s: %s (exit %d)", jobs[i].name, what, jobs[i].status == BUILD_EXIT_UNCHANGED ? 0 : jobs[i].status);
        }
}

static size_t list_models_or_fail(const char *root, model_job **jobs) {
    size_t n = build_list_models(root, jobs);
    if (n == 0)
        cli_logf(RVCIDX_LOG_ERROR, "build: %s: no model directories (with 3_feature768 or 3_feature256) under it", root);
    return n;
}

/* --plan --per-model: each model's plan, building nothing; exit 8 when any
 * does not fit, else the first other failure. */
static int plan_per_model(const build_args *a) {
    const char *root = a->srcs[0];
    model_job *jobs = NULL;
    size_t n = list_models_or_fail(root, &jobs);
    int rc = n ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
    for (size_t i = 0; i < n; i++) {
        build_args child;
        char outdir[PATH_MAX], src[PATH_MAX];
        char *srcs[1] = {src};
        model_args(a, root, jobs[i].name, &child, outdir, src, srcs);
        printf("%smodel    %s (%s)\n", i ? "\n" : "", jobs[i].name, outdir);
        int one = check_plan(&child);
        if (one == CLI_EXIT_TOO_BIG || (one && !rc)) rc = one;
    }
    free(jobs);
    return rc;
}

static int build_per_model(build_args *a) {
    const char *root = a->srcs[0];
    model_job *jobs = NULL;
    size_t n = list_models_or_fail(root, &jobs), running = 0, next = 0;
    if (n == 0) {
        free(jobs);
        return CLI_EXIT_BAD_INPUT;
    }
    int jobs_at_once = a->jobs > 0 ? a->jobs : 1;
    if (a->index.threads == 0 && jobs_at_once > 1) { /* split the cores between the builds */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        a->index.threads = a->eval.threads = cpus / jobs_at_once > 1 ? (int)(cpus / jobs_at_once) : 1;
    }
    int rc = build_ensure_outdir(a->outdir);
    for (; rc == 0 && (next < n || running > 0);) {
        while (next < n && running < (size_t)jobs_at_once && !cli_interrupted()) {
            jobs[next].pid = start_model(a, root, &jobs[next]);
            if (jobs[next].pid < 0) jobs[next].status = CLI_EXIT_INTERNAL;
            else running++;
            next++;
        }
        if (running == 0) break;
        reap_one(a->outdir, jobs, n);
        running--;
    }
    size_t built = 0, unchanged = 0, failed = 0;
    printf("\n| model | result |\n|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        int code = jobs[i].status;
        printf("| %s | %s |\n", jobs[i].name, code < 0 ? "not started" : build_exit_reason(code));
        built += code == 0;
        unchanged += code == BUILD_EXIT_UNCHANGED;
        failed += code != 0 && code != BUILD_EXIT_UNCHANGED;
    }
    printf("\nmodels   %zu built, %zu unchanged, %zu failed or not started\n", built, unchanged, failed);
    free(jobs);
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
    "      --index, --nlist, --train-rows, --k, --eval-queries, --dim, --version, --for\n" CLI_COMMON_HELP;

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
    if (a.per_model && (a.n_srcs != 1 || a.per_speaker || a.name)) {
        cli_logf(RVCIDX_LOG_ERROR, "build: --per-model takes one ROOT (a folder of model directories) and no "
                 "--per-speaker or --name");
        return CLI_EXIT_USAGE;
    }
    cli_progress cp;
    cli_progress_init(&cp, stderr, !a.per_model || a.jobs <= 1); /* parallel bars would interleave */
    a.ingest.progress = a.index.progress = a.eval.progress = cli_progress_cb;
    a.ingest.progress_user = a.index.progress_user = a.eval.progress_user = &cp;
    if ((a.stage || a.part >= 0) && !a.split) {
        cli_logf(RVCIDX_LOG_ERROR, "build: --stage and --part belong to a split build: add --split N");
        return CLI_EXIT_USAGE;
    }
    if (a.split && (a.per_speaker || a.per_model || a.index.type == RVCIDX_INDEX_AUTO)) {
        cli_logf(RVCIDX_LOG_ERROR, "build: --split builds one index of one type: no --per-speaker, --per-model or "
                 "--index auto");
        return CLI_EXIT_USAGE;
    }
    int uses_gpu = !a.plan_only && a.stage != STAGE_PART; /* a split part only encodes, on the CPU */
    if (uses_gpu && (rc = cli_require_gpu(a.index.gpu)) != 0) return rc; /* before hours of ingest */
    if (a.plan_only && a.per_model) return plan_per_model(&a);
    int plan_needed = !a.per_model && (a.stage == STAGE_ALL || a.stage == STAGE_PREPARE); /* per model: in each child */
    if (plan_needed && (rc = check_plan(&a)) != 0) return rc;
    if (a.plan_only) return CLI_EXIT_OK;
    if (a.split) return build_split(&a);
    return a.per_model ? build_per_model(&a) : locked_build(&a);
}
