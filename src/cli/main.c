/* main.c — the rvcidx command: dispatches to one command per pipeline stage.
 *
 * Thin by design: each command parses its options into the library's params
 * struct, calls the library and maps the status to an exit code
 * (docs/exit-codes.md). This is the only place the program exits.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cli_command commands[] = {
    {"build", "ingest, train, encode, tune and publish indexes in one command (the main job)",
     cmd_build, NULL},
    {"demo", "write the built-in example: a deterministic RVC-like multi-speaker feature tree",
     cmd_demo, NULL},
    {"ingest", "stream .npy feature shards into one HDF5 store", cmd_ingest, NULL},
    {"train", "train IVF centroids on the GPU or CPU from a store", cmd_train, NULL},
    {"encode", "encode a store into an IVF-PQ4 FastScan + refine index", cmd_encode, NULL},
    {"eval", "measure recall against exact search and tune nprobe/k_factor", cmd_eval, NULL},
    {"verify", "check a build's artifacts against its manifest", cmd_verify, NULL},
    {"plan", "predict sizes, memory and parameters before a build (build's options)", cmd_plan, NULL},
    {"submit", "submit builds to a Slurm cluster as a job array", cmd_submit, NULL},
    {"status", "show per-model build state from manifests and Slurm", cmd_status, NULL},
    {"gpu", "say whether a usable GPU is present, and which", cmd_gpu, NULL},
    {"version", "print the versions of rvcidx and the libraries it runs with", cmd_version, NULL},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void print_usage(FILE *out) {
    fprintf(out,
            "rvcidx %s — GPU-accelerated faiss index builder for RVC voice models\n\n"
            "usage: rvcidx COMMAND [options]   (rvcidx COMMAND --help for its options)\n\n"
            "commands:\n",
            rvcidx_version());
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s%s\n", commands[i].name, commands[i].summary,
                commands[i].missing ? " [not implemented yet]" : "");
    fprintf(out, "\nexit codes: 0 ok, 2 usage, 3 bad input, 4 I/O, 5 not implemented, 6 no GPU,\n"
                 "7 recall target missed, 8 too big, 9 locked, 10 verify mismatch, 130 interrupted;\n"
                 "see docs/exit-codes.md\n");
}

/* Ingest opens thousands of shards, each with a few hundred KiB of buffers.
 * glibc's default returns freed top-of-heap memory to the kernel at 128 KiB,
 * so every shard paid for fresh zeroed pages: ingest ran 5x slower. The
 * process keeps up to 64 MiB of freed memory instead. */
static void tune_malloc(void) {
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

/* libgomp's default barrier spin-waits for a long time, and beside
 * OpenBLAS's own threads that starved faiss's PQ training (hundreds of tiny
 * k-means): 183 s instead of 3 s on 2 cores. A short spin (GOMP_SPINCOUNT
 * 10000) fixes that and keeps small parallel regions fast (PASSIVE, tried
 * first, made encoding 1.5-2.5x slower: bench/RESULTS.md). libgomp reads
 * these variables before main runs, so when the user has set neither, the
 * program re-executes itself once with the short spin. Outputs are
 * byte-identical either way. */
static void prefer_short_openmp_spin(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    if (setenv("GOMP_SPINCOUNT", "10000", 1) != 0) return;
    execv("/proc/self/exe", argv); /* returns only on failure: carry on as we are */
}

/* The environment variables the command itself reads, checked as options
 * are: a typo must not silently mean the default. (The library checks the
 * ones it reads, RVCIDX_MEMORY_LIMIT and the like, where it reads them.) */
static int check_environment(void) {
    const char *v = getenv("RVCIDX_PROGRESS_INTERVAL");
    char *end = NULL;
    if (v) {
        double s = strtod(v, &end);
        if (end == v || *end || !(s >= 0.0 && s <= 86400.0)) {
            cli_logf(RVCIDX_LOG_ERROR, "RVCIDX_PROGRESS_INTERVAL=%s: not a number of seconds from 0 to 86400; set "
                     "one (e.g. 30) or unset it", v);
            return CLI_EXIT_USAGE;
        }
    }
    v = getenv("SOURCE_DATE_EPOCH");
    if (v && *v) {
        errno = 0;
        unsigned long long t = strtoull(v, &end, 10);
        if (*end || *v == '-' || *v == '+' || errno || t > 253402300799ull) {
            cli_logf(RVCIDX_LOG_ERROR, "SOURCE_DATE_EPOCH=%s: not a count of seconds since 1970 (digits only); set "
                     "one or unset it", v);
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

int main(int argc, char **argv) {
    prefer_short_openmp_spin(argv);
    tune_malloc();
    g_cli_log.out = stderr;
    cli_log_install();
    cli_signals_install();
    int env_rc = check_environment();
    if (env_rc != CLI_EXIT_OK) return env_rc;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) return cmd_version(argc - 1, argv + 1);
    for (int i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        if (commands[i].missing) {
            cli_logf(RVCIDX_LOG_ERROR, "'%s' is not implemented yet (%s); 'rvcidx --help' lists what works",
                     commands[i].name, commands[i].missing);
            return CLI_EXIT_NOT_IMPLEMENTED;
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    cli_logf(RVCIDX_LOG_ERROR, "unknown command '%s'; 'rvcidx --help' lists the commands", argv[1]);
    return CLI_EXIT_USAGE;
}
