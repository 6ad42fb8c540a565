/* build_index.c — the whole `rvcidx build` through the installed library.
 *
 *   usage: build_index OUTDIR SRC...
 *
 * Builds the index for the RVC model directories (or shard folders, or
 * folders of model directories) given as SRC into OUTDIR, with the CLI's
 * defaults (rvcidx_build_default_params), and prints where each index is
 * and the recall it was tuned to. On failure it prints the library's
 * message and exits with the code `rvcidx build` would use (rvcidx_exit_code).
 * Its index, store, centroids, report.json and manifest are byte for byte
 * those of `rvcidx build -o OUTDIR SRC...`.
 *
 * Compile (examples/README.md): cc build_index.c $(pkg-config --cflags --libs rvcidx)
 */
#include <stdio.h>

#include <rvcidx/build.h>
#include <rvcidx/error.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUTDIR SRC...\n", argv[0]);
        return 2;
    }
    rvcidx_build_params p = rvcidx_build_default_params();
    p.outdir = argv[1];
    p.sources = (const char *const *)(argv + 2);
    p.n_sources = argc - 2;

    rvcidx_build_result r = {0};
    int status = rvcidx_build(&p, &r);
    if (status != 0) {
        /* read the message at once: the next failing call replaces it */
        fprintf(stderr, "build_index: %s: %s\n", rvcidx_strerror(status), rvcidx_last_error());
        rvcidx_build_result_clear(&r);
        return rvcidx_exit_code(status);
    }
    if (r.unchanged) printf("%s is up to date\n", p.outdir);
    for (size_t i = 0; i < r.n_indexes; i++) {
        const rvcidx_index_result *ix = &r.indexes[i].result;
        printf("%s: %s\n", r.indexes[i].name, ix->index_path);
        const rvcidx_eval_report *e = ix->eval;
        if (e && e->chosen >= 0) /* the setting stored in the file: nprobe, k_factor */
            printf("  nprobe %d, k_factor %d: %d-recall@%d %.3f, 1-recall@1 %.3f\n", ix->nprobe, ix->k_factor, e->k,
                   e->k, e->points[e->chosen].recall_k, e->points[e->chosen].recall_1);
    }
    rvcidx_build_result_clear(&r);
    return 0;
}
