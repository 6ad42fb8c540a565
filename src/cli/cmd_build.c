/* cmd_build.c — `rvcidx build`: the whole pipeline in one command.
 *
 * Runs the stages that exist, in order (ingest -> train -> encode today),
 * and then stops with exit code 5 naming the stages that do not exist yet,
 * so the README's main command goes as far as the code does and says what
 * is missing.
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
} build_args;

static int parse_build_args(int argc, char **argv, build_args *a) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"name", required_argument, 0, OPT_NAME},
        {"per-speaker", no_argument, 0, OPT_PER_SPEAKER}, CLI_INGEST_LONG, CLI_INDEX_LONG,
        CLI_COMMON_LONG, {0, 0, 0, 0}};
    a->ingest = rvcidx_ingest_default_params();
    a->index = rvcidx_index_default_params();
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
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
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

/* train + encode of one row range into dir; the index is named for model. */
static int build_index(const build_args *a, const char *store, const char *dir, const char *model,
                       uint64_t first_row, uint64_t rows, int dim) {
    rvcidx_index_params p = a->index;
    p.first_row = first_row;
    p.rows = rows;
    char centroids[PATH_MAX], name[512], index[PATH_MAX];
    snprintf(centroids, sizeof centroids, "%s/centroids.h5", dir);
    rvcidx_train_result tr;
    int rc = rvcidx_train(store, centroids, &p, &tr);
    if (rc) return cli_fail(rc, NULL);
    p.nlist = tr.nlist;
    rc = rvcidx_index_file_name(&p, dim, tr.nlist, model, name, sizeof name);
    if (rc) return cli_fail(rc, NULL);
    snprintf(index, sizeof index, "%s/%s", dir, name);
    rvcidx_encode_result er;
    rc = rvcidx_encode(store, centroids, index, &p, &er);
    if (rc) return cli_fail(rc, NULL);
    printf("index    %s\n         %s, %llu vectors, nprobe %d; k-means %.1f s on %s, encode %.1f s\n", index,
           er.factory, (unsigned long long)er.ntotal, p.nprobe, tr.kmeans_seconds, tr.device, er.seconds);
    return CLI_EXIT_OK;
}

static int build_per_speaker(const build_args *a, const char *store, int dim) {
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
        if (rc == 0) rc = build_index(a, store, dir, spk.name, spk.first_row, spk.rows, dim);
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
    rc = a.per_speaker ? build_per_speaker(&a, store, r.dim)
                       : build_index(&a, store, a.outdir, a.name ? a.name : model, 0, 0, r.dim);
    if (rc) return rc;
    cli_logf(RVCIDX_LOG_ERROR,
             "build: stopped after encode: recall measurement and nprobe/k_factor tuning (issue #5) and the "
             "manifest (#6) are not implemented yet; the index uses the default nprobe %d, k_factor %d",
             a.index.nprobe, a.index.k_factor);
    return CLI_EXIT_NOT_IMPLEMENTED;
}
