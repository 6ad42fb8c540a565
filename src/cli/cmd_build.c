/* cmd_build.c — `rvcidx build`: the whole pipeline in one command.
 *
 * ingest -> (per index) train -> encode -> eval/tune -> publish, with the
 * report beside each index. The manifest, `verify` and nightly no-op
 * rebuilds (issue #6) are not there yet: the summary says so.
 */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

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
    "eval options (recall against exact search, tuning nprobe/k_factor):\n" CLI_EVAL_HELP
    "ingest options:\n"
    "      --dim 256|768    pick 3_feature256 (v1) or 3_feature768 (v2) when both exist\n"
    "      --version v1|v2  the same, by RVC version\n"
    "      --skip-bad       leave bad shards out instead of failing\n"
    "      --check hash|stat  recognise stored shards by sha256 (default) or size+mtime\n"
    "index options:\n"
    "      --index ivfpq4fs|ivfflat, --metric l2|ip|cosine, --nlist N|auto, --seed S,\n"
    "      --iterations N, --train-rows N|auto, --threads N, --gpu auto|on|off,\n"
    "      --nprobe N, --k-factor N   (see 'rvcidx train --help')\n" CLI_COMMON_HELP;

enum { OPT_NAME = 1300, OPT_PER_SPEAKER };

typedef struct build_args {
    const char *outdir, *name;
    int per_speaker;
    char **srcs;
    int n_srcs;
    rvcidx_ingest_params ingest;
    rvcidx_index_params index;
    rvcidx_eval_params eval;
} build_args;

static int parse_build_args(int argc, char **argv, build_args *a) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"name", required_argument, 0, OPT_NAME},
        {"per-speaker", no_argument, 0, OPT_PER_SPEAKER}, CLI_INGEST_LONG, CLI_INDEX_LONG,
        CLI_EVAL_LONG, CLI_COMMON_LONG, {0, 0, 0, 0}};
    a->ingest = rvcidx_ingest_default_params();
    a->index = rvcidx_index_default_params();
    a->eval = rvcidx_eval_default_params();
    int opt, rc;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        if (opt == 'o') a->outdir = optarg;
        else if (opt == OPT_NAME) a->name = optarg;
        else if (opt == OPT_PER_SPEAKER) a->per_speaker = 1;
        else if (opt == 'h') return fputs(build_usage, stdout), -1;
        else if ((rc = cli_parse_ingest_option(opt, optarg, &a->ingest)) >= 0) {
            if (rc) return rc;
        } else if ((rc = cli_parse_index_option(opt, optarg, &a->index)) >= 0) {
            if (rc) return rc;
        } else if ((rc = cli_parse_eval_option(opt, optarg, &a->eval)) >= 0) {
            if (rc) return rc;
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    a->eval.gpu = a->index.gpu;
    a->eval.threads = a->index.threads;
    if (!a->outdir || optind >= argc) {
        cli_logf(RVCIDX_LOG_ERROR, "build: -o OUTDIR and at least one SRC are required; see 'rvcidx build --help'");
        return CLI_EXIT_USAGE;
    }
    a->srcs = argv + optind;
    a->n_srcs = argc - optind;
    return 0;
}

/* The first SRC's name, as RVC names models after their logs/<model> folder. */
static void default_model_name(const char *src, char *out, size_t n) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", src);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
    snprintf(out, n, "%s", basename(buf));
}

static int ensure_dir(const char *dir) {
    if (mkdir(dir, 0777) == 0 || cli_is_directory(dir)) return 0;
    cli_logf(RVCIDX_LOG_ERROR, "build: %s: cannot create the output directory", dir);
    return CLI_EXIT_IO;
}

/* train -> encode -> eval/tune -> publish for one row range, reports in dir. */
static int build_index(const build_args *a, const char *store, const char *dir, const char *model,
                       uint64_t first_row, uint64_t rows) {
    rvcidx_index_params p = a->index;
    p.first_row = first_row;
    p.rows = rows;
    rvcidx_build_result r;
    int rc = rvcidx_build_index(store, dir, model, &p, &a->eval, &r);
    if (r.eval && (rc == 0 || rc == RVCIDX_ETARGET)) {
        int out = cli_write_eval_outputs(r.eval, dir);
        if (out && rc == 0) rc = RVCIDX_EIO;
    }
    if (rc == RVCIDX_ETARGET) {
        int code = cli_eval_missed_target(r.eval);
        cli_logf(RVCIDX_LOG_ERROR, "build: no index published for %s; the sweep is in %s/report.md", model, dir);
        rvcidx_build_result_clear(&r);
        return code;
    }
    if (rc) {
        rvcidx_build_result_clear(&r);
        return cli_fail(rc, NULL);
    }
    printf("index    %s\n         %s, %llu vectors, nprobe %d, k_factor %d\n", r.index_path, r.encode.factory,
           (unsigned long long)r.encode.ntotal, r.nprobe, r.k_factor);
    if (r.eval) {
        const rvcidx_eval_point *c = &r.eval->points[r.eval->chosen >= 0 ? r.eval->chosen : 0];
        printf("recall   %d-recall@%d %.4f, 1-recall@1 %.4f, empty slots %.2f%%, RVC blend error %.2f%% (p95 %.2f%%), "
               "%.0f queries/s (1 thread); report %s/report.md\n", r.eval->k, r.eval->k, c->recall_k, c->recall_1,
               100 * c->empty_share, 100 * c->blend_error_mean, 100 * c->blend_error_p95, c->qps_1thread, dir);
    }
    printf("time     train %.1f s (k-means on %s), encode %.1f s, eval %.1f s\n", r.train_seconds, r.train.device,
           r.encode_seconds, r.eval_seconds);
    rvcidx_build_result_clear(&r);
    return CLI_EXIT_OK;
}

static int build_per_speaker(const build_args *a, const char *store) {
    rvcidx_store *st = NULL;
    int rc = rvcidx_store_open(store, &st);
    if (rc) return cli_fail(rc, NULL);
    size_t n = rvcidx_store_speaker_count(st);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rvcidx_store_speaker spk;
        rvcidx_store_get_speaker(st, i, &spk);
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/%s", a->outdir, spk.name);
        if (spk.rows == 0) {
            cli_logf(RVCIDX_LOG_WARN, "build: speaker %s has no rows; no index", spk.name);
            continue;
        }
        rc = ensure_dir(dir);
        if (rc == 0) rc = build_index(a, store, dir, spk.name, spk.first_row, spk.rows);
    }
    rvcidx_store_close(st);
    return rc;
}

int cmd_build(int argc, char **argv) {
    build_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_build_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = ensure_dir(a.outdir)) != 0) return rc;
    cli_progress cp;
    cli_progress_init(&cp, stderr, 1);
    a.ingest.progress = a.index.progress = cli_progress_cb;
    a.ingest.progress_user = a.index.progress_user = &cp;

    char store[PATH_MAX], model[256];
    snprintf(store, sizeof store, "%s/store.h5", a.outdir);
    rvcidx_ingest_result r;
    double start = cli_now();
    rc = rvcidx_ingest(store, (const char *const *)a.srcs, a.n_srcs, &a.ingest, &r);
    if (rc) return cli_fail(rc, NULL);
    cli_print_ingest_summary(store, &r, cli_now() - start);

    default_model_name(a.srcs[0], model, sizeof model);
    rc = a.per_speaker ? build_per_speaker(&a, store)
                       : build_index(&a, store, a.outdir, a.name ? a.name : model, 0, 0);
    if (rc) return rc;
    cli_logf(RVCIDX_LOG_INFO, "build: done in %.1f s; not yet: manifest.json, 'rvcidx verify' and no-op nightly "
             "rebuilds (issue #6)", cli_now() - start);
    return CLI_EXIT_OK;
}
