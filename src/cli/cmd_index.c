/* cmd_index.c — `rvcidx train` and `rvcidx encode`: stages 2 and 3 alone. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char train_usage[] =
    "usage: rvcidx train -o CENTROIDS.h5 [options] STORE.h5\n\n"
    "Trains the IVF centroids from a seeded sample of the store (GPU when present).\n\n"
    "  -o, --output FILE          the centroids file to write\n";

static const char encode_usage[] =
    "usage: rvcidx encode -o INDEX --centroids CENTROIDS.h5 [options] STORE.h5\n\n"
    "Encodes every row of the store into the index RVC loads (CPU).\n\n"
    "  -o, --output FILE          the index file to write\n"
    "      --centroids FILE       from 'rvcidx train'\n";

/* max_index_size and index=auto are build's: they choose among indexes built. */
static void print_usage(const char *head) {
    fputs(head, stdout);
    fputs("index options:\n", stdout);
    cli_print_param_help(stdout, "index run", "max_index_size");
    fputs(CLI_COMMON_HELP, stdout);
}

static int set_index(void *p, const char *key, const char *value) { return rvcidx_index_params_set(p, key, value); }
static int set_run(void *r, const char *key, const char *value) { return rvcidx_run_set(r, key, value); }

typedef struct index_args {
    const char *output, *centroids, *store;
    rvcidx_index_params p;
    rvcidx_run run;
} index_args;

static int parse_index_args(int argc, char **argv, const char *usage, index_args *a) {
    enum { OPT_CENTROIDS = 1 };
    cli_options o = {.n = 0};
    cli_options_add(&o, "output", required_argument, 'o');
    cli_options_add(&o, "centroids", required_argument, OPT_CENTROIDS);
    cli_options_params(&o, "index run", "max_index_size");
    cli_options_common(&o);
    a->p = rvcidx_index_default_params();
    a->run = rvcidx_run_default();
    int opt, rc;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, o.longopts, NULL)) != -1) {
        const rvcidx_param_info *row = cli_option_param(opt);
        if (opt == 'o') a->output = optarg;
        else if (opt == OPT_CENTROIDS) a->centroids = optarg;
        else if (opt == 'h') return print_usage(usage), -1;
        else if (row) {
            int run = !strcmp(row->group, "run");
            void *params = run ? (void *)&a->run : (void *)&a->p;
            if ((rc = cli_option_set(row, optarg, run ? set_run : set_index, params)) != 0) return rc;
        } else if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    if (!a->output || optind + 1 != argc) {
        cli_logf(RVCIDX_LOG_ERROR, "-o FILE and exactly one STORE.h5 are required; see --help");
        return CLI_EXIT_USAGE;
    }
    a->store = argv[optind];
    return 0;
}

/* The output's directory must be writable: found out at the end, the
 * failure cost the whole stage and came in faiss's or HDF5's words. */
static int check_output_dir(const char *output) {
    char buf[PATH_MAX], probe[PATH_MAX + 64];
    snprintf(buf, sizeof buf, "%s", output);
    const char *dir = dirname(buf);
    snprintf(probe, sizeof probe, "%s/.rvcidx-probe-%d", dir, (int)getpid()); /* access() says yes to root */
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return close(fd), unlink(probe), CLI_EXIT_OK;
    cli_logf(RVCIDX_LOG_ERROR, "%s: cannot write into %s (%s); choose another -o", output, dir, strerror(errno));
    return CLI_EXIT_IO;
}

int cmd_train(int argc, char **argv) {
    index_args a = {0};
    int rc = parse_index_args(argc, argv, train_usage, &a);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = cli_require_gpu(a.run.gpu)) != 0 || (rc = check_output_dir(a.output)) != 0) return rc;
    cli_progress cp;
    cli_progress_init(&cp, stderr, 1);
    a.run.progress = cli_progress_cb;
    a.run.progress_user = &cp;
    rvcidx_train_result r;
    int lock = -1;
    if ((rc = cli_lock_dir_of(a.output, &lock)) != 0) return rc;
    rc = rvcidx_train(a.store, a.output, &a.p, &a.run, &r);
    rvcidx_outdir_unlock(lock);
    if (rc) return cli_fail(rc, NULL);
    printf("centroids %s: %lld lists from %llu sampled rows (sha256 %.16s...), k-means %.1f s on %s\n", a.output,
           (long long)r.nlist, (unsigned long long)r.train_rows, r.sample_sha256, r.kmeans_seconds, r.device);
    return CLI_EXIT_OK;
}

int cmd_encode(int argc, char **argv) {
    index_args a = {0};
    int rc = parse_index_args(argc, argv, encode_usage, &a);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if (!a.centroids) {
        cli_logf(RVCIDX_LOG_ERROR, "encode: --centroids FILE is required (from 'rvcidx train')");
        return CLI_EXIT_USAGE;
    }
    if ((rc = check_output_dir(a.output)) != 0) return rc;
    cli_progress cp;
    cli_progress_init(&cp, stderr, 1);
    a.run.progress = cli_progress_cb;
    a.run.progress_user = &cp;
    rvcidx_encode_result r;
    int lock = -1;
    if ((rc = cli_lock_dir_of(a.output, &lock)) != 0) return rc;
    rc = rvcidx_encode(a.store, a.centroids, a.output, &a.p, &a.run, &r);
    rvcidx_outdir_unlock(lock);
    if (rc) return cli_fail(rc, NULL);
    char k_factor[32] = ""; /* only the refine wrapper of ivfpq4fs has one */
    if (a.p.type == RVCIDX_INDEX_IVFPQ4FS) snprintf(k_factor, sizeof k_factor, ", k_factor %d", a.p.k_factor);
    printf("index    %s: %s, %llu vectors, nprobe %d%s, %.1f s\n", a.output, r.factory, (unsigned long long)r.ntotal,
           a.p.nprobe, k_factor, r.seconds);
    return CLI_EXIT_OK;
}
