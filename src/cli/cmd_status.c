/* cmd_status.c — `rvcidx status OUTDIR`: the state of every build under
 * OUTDIR from what is on disk (manifests, locks, split work), and the Slurm
 * jobs the last `rvcidx submit` recorded, from sacct when accounting is on,
 * else squeue. */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* One line: what DIR holds now; *bad set when it needs attention (failed,
 * stopped, outputs lost). */
static const char *build_state(const rvcidx_outdir_state *st, char *buf, size_t n, int *bad) {
    *bad = st->kind == RVCIDX_OUTDIR_FAILED || st->kind == RVCIDX_OUTDIR_MISSING || st->kind == RVCIDX_OUTDIR_INCOMPLETE;
    switch (st->kind) {
    case RVCIDX_OUTDIR_FAILED: snprintf(buf, n, "%s", st->failed_what); return buf;
    case RVCIDX_OUTDIR_MISSING: return "built, but outputs are missing (rebuild)";
    case RVCIDX_OUTDIR_BUILT: return st->locked ? "built; a rebuild is running" : "built";
    case RVCIDX_OUTDIR_SPLIT:
        snprintf(buf, n, "split build: %zu of %u parts encoded%s", st->parts_done, st->parts,
                 st->locked ? ", finishing" : st->parts_done == st->parts ? ", waiting for finish" : "");
        return buf;
    case RVCIDX_OUTDIR_BUILDING: return "building";
    default: return "incomplete (failed or stopped: resubmit)";
    }
}

/* The state of dir; 0 when no build was ever started there. */
static int get_state(const char *dir, rvcidx_outdir_state *st) {
    return rvcidx_outdir_state_get(dir, st) == 0 && st->kind != RVCIDX_OUTDIR_NONE;
}

/* The table of builds; *bad counts those that failed or need a rebuild. */
static size_t show_builds(const char *outdir, size_t *bad) {
    char buf[160], sub[PATH_MAX + 256];
    int b = 0;
    rvcidx_outdir_state st;
    printf("| build | state |\n|---|---|\n");
    if (get_state(outdir, &st)) {
        printf("| %s | %s |\n", outdir, build_state(&st, buf, sizeof buf, &b));
        *bad += b;
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    if (rvcidx_outdir_list_builds(outdir, &names, &n) != 0) n = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(sub, sizeof sub, "%s/%s", outdir, names[i]);
        if (rvcidx_outdir_state_get(sub, &st) != 0) continue;
        printf("| %s | %s |\n", names[i], build_state(&st, buf, sizeof buf, &b));
        *bad += b;
    }
    rvcidx_names_free(names, n);
    return n;
}

/* 1 for a Slurm state that means the job or task did not succeed. */
static int slurm_failed(const char *line) {
    static const char *const states[] = {"FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
                                         "PREEMPTED", "BOOT_FAIL", "DEADLINE"};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++)
        if (strstr(line, states[i])) return 1;
    return 0;
}

/* Slurm's view of one job: sacct when accounting is on, else squeue; the
 * number of its tasks that failed (sacct only: squeue forgets them). */
static size_t show_job(const char *id, const char *kind) {
    char cmd[256], line[512];
    snprintf(cmd, sizeof cmd, "sacct -n -P -X -j %s --format=JobID,State,Elapsed,ExitCode 2>/dev/null", id);
    FILE *p = popen(cmd, "r");
    int shown = 0;
    size_t failed = 0;
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        failed += slurm_failed(line);
        printf("job      %s (%s): %s\n", id, kind, line), shown = 1;
    }
    int sacct_ok = p && pclose(p) == 0 && shown;
    if (sacct_ok) return failed;
    snprintf(cmd, sizeof cmd, "squeue -h -j %s -o '%%i %%T %%M %%R' 2>/dev/null", id);
    p = popen(cmd, "r");
    shown = 0;
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        printf("job      %s (%s): %s\n", id, kind, line), shown = 1;
    }
    if (p) pclose(p);
    if (!shown) printf("job      %s (%s): no longer queued (no Slurm accounting here: see the logs)\n", id, kind);
    return 0;
}

/* The last submission's jobs; the number of failed tasks Slurm reports. */
static size_t show_jobs(const char *outdir) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s/submit.json", outdir, rvcidx_output_name(RVCIDX_OUT_SUBMIT));
    char *text = NULL;
    json_t *doc = rvcidx_read_file(path, 1, &text, NULL) == 0 ? json_loads(text, 0, NULL) : NULL; /* a FIFO: refused */
    free(text);
    json_t *subs = doc ? json_object_get(doc, "submissions") : NULL;
    size_t n = json_array_size(subs);
    if (n == 0) {
        printf("jobs     none submitted from here (no %s)\n", path);
        json_decref(doc);
        return 0;
    }
    json_t *last = json_array_get(subs, n - 1), *job;
    size_t i, failed = 0;
    printf("jobs     last submission: %s (logs in %s/%s/logs)\n",
           json_string_value(json_object_get(last, "script")), outdir, rvcidx_output_name(RVCIDX_OUT_SUBMIT));
    json_array_foreach(json_object_get(last, "jobs"), i, job)
        failed += show_job(json_string_value(json_object_get(job, "id")), json_string_value(json_object_get(job, "kind")));
    json_decref(doc);
    return failed;
}

static const char status_usage[] =
    "usage: rvcidx status [options] OUTDIR\n\n"
    "The state of every build under OUTDIR (built, building, split parts done, failed\n"
    "and why, incomplete, not built) and the Slurm jobs of the last 'rvcidx submit' there.\n"
    "Exits 1 when a build failed, stopped incomplete or lost outputs, or Slurm reports a\n"
    "failed task; 0 otherwise.\n\noptions:\n" CLI_COMMON_HELP;

int cmd_status(int argc, char **argv) {
    static const struct option longopts[] = {CLI_COMMON_LONG, {0, 0, 0, 0}};
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, longopts, NULL)) != -1) {
        if (opt == 'h') return fputs(status_usage, stdout), CLI_EXIT_OK;
        if (!cli_common_option(opt)) return CLI_EXIT_USAGE;
    }
    const char *outdir = optind < argc ? argv[optind] : NULL;
    if (argc - optind != 1 || !cli_is_directory(outdir)) {
        cli_logf(RVCIDX_LOG_ERROR, "status: %s: not a directory; usage: rvcidx status OUTDIR", outdir ? outdir : "(none)");
        return argc - optind == 1 ? CLI_EXIT_BAD_INPUT : CLI_EXIT_USAGE;
    }
    size_t bad = 0;
    if (show_builds(outdir, &bad) == 0) printf("(no builds under %s yet)\n", outdir);
    size_t failed_tasks = show_jobs(outdir);
    if (bad || failed_tasks) {
        cli_logf(RVCIDX_LOG_ERROR, "status: %zu build(s) under %s failed or are incomplete, %zu Slurm task(s) failed; "
                 "see the table above and the logs, then rebuild or resubmit", bad, outdir, failed_tasks);
        return CLI_EXIT_INTERNAL;
    }
    return CLI_EXIT_OK;
}
