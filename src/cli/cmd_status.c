/* cmd_status.c — `rvcidx status OUTDIR`: the state of every build under
 * OUTDIR from what is on disk (manifests, locks, split work), and the Slurm
 * jobs the last `rvcidx submit` recorded, from sacct when accounting is on,
 * else squeue. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/file.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h" /* safe opens, until the library reads OUTDIR state itself (issue 17) */
#include "cmd_build.h"

static int exists(const char *dir, const char *name) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* A build started here: a manifest, a store, split work, a recorded failure,
 * or the lock every build takes first (a build stopped before ingest). */
static int is_build_dir(const char *dir) {
    return exists(dir, "manifest.json") || exists(dir, "store.h5") || exists(dir, ".rvcidx-split") ||
           exists(dir, ".rvcidx-failed.json") || exists(dir, ".rvcidx.lock");
}

static size_t count_parts(const char *dir, unsigned *prepared) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/.rvcidx-split/split.json", dir);
    json_t *o = rvcidx__json_load_own(p, NULL); /* a FIFO there: refused, never waited on */
    *prepared = o ? (unsigned)json_integer_value(json_object_get(o, "parts")) : 0;
    json_decref(o);
    snprintf(p, sizeof p, "%s/.rvcidx-split", dir);
    DIR *d = opendir(p);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += !strncmp(e->d_name, "part-", 5);
    if (d) closedir(d);
    return n;
}

/* 1 when a build holds DIR's lock: probed with a shared lock on a read-only
 * descriptor, so status never creates or writes the lock file. */
static int build_running(const char *dir) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/.rvcidx.lock", dir);
    int fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    int busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return busy;
}

/* One line: what DIR holds now; *bad set when it needs attention (failed,
 * stopped, outputs lost). */
static const char *build_state(const char *dir, char *buf, size_t n, int *bad) {
    int rc = build_running(dir) ? RVCIDX_ELOCKED : 0;
    size_t missing = 0;
    *bad = 0;
    if (rc != RVCIDX_ELOCKED && build_outcome_read(dir, buf, n)) { /* the last attempt failed */
        *bad = 1;
        return buf;
    }
    if (exists(dir, "manifest.json")) {
        if (rvcidx_verify(dir, 1, &missing, NULL) != 0 || missing)
            return *bad = 1, "built, but outputs are missing (rebuild)";
        return rc == RVCIDX_ELOCKED ? "built; a rebuild is running" : "built";
    }
    if (exists(dir, ".rvcidx-split/split.json")) {
        unsigned prepared = 0;
        size_t done = count_parts(dir, &prepared);
        snprintf(buf, n, "split build: %zu of %u parts encoded%s", done, prepared,
                 rc == RVCIDX_ELOCKED ? ", finishing" : done == prepared ? ", waiting for finish" : "");
        return buf;
    }
    if (rc == RVCIDX_ELOCKED) return "building";
    *bad = 1;
    return "incomplete (failed or stopped: resubmit)";
}

static int compare_names(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The build directories directly under outdir, sorted (readdir's order is the disk's). */
static size_t list_builds(const char *outdir, char ***out) {
    DIR *d = opendir(outdir);
    struct dirent *e;
    size_t n = 0, cap = 0;
    char **names = NULL, sub[PATH_MAX + 256];
    while (d && (e = readdir(d)) != NULL) {
        snprintf(sub, sizeof sub, "%s/%s", outdir, e->d_name);
        if (e->d_name[0] == '.' || !cli_is_directory(sub) || !is_build_dir(sub)) continue;
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        if ((names[n] = strdup(e->d_name)) != NULL) n++;
    }
    if (d) closedir(d);
    if (n) qsort(names, n, sizeof *names, compare_names);
    *out = names;
    return n;
}

/* The table of builds; *bad counts those that failed or need a rebuild. */
static size_t show_builds(const char *outdir, size_t *bad) {
    char buf[160], sub[PATH_MAX + 256];
    int b = 0;
    printf("| build | state |\n|---|---|\n");
    if (is_build_dir(outdir)) {
        printf("| %s | %s |\n", outdir, build_state(outdir, buf, sizeof buf, &b));
        *bad += b;
        return 1;
    }
    char **names = NULL;
    size_t n = list_builds(outdir, &names);
    for (size_t i = 0; i < n; i++) {
        snprintf(sub, sizeof sub, "%s/%s", outdir, names[i]);
        printf("| %s | %s |\n", names[i], build_state(sub, buf, sizeof buf, &b));
        *bad += b;
        free(names[i]);
    }
    free(names);
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
    snprintf(path, sizeof path, "%s/.rvcidx-submit/submit.json", outdir);
    json_t *doc = rvcidx__json_load_own(path, NULL);
    json_t *subs = doc ? json_object_get(doc, "submissions") : NULL;
    size_t n = json_array_size(subs);
    if (n == 0) {
        printf("jobs     none submitted from here (no %s)\n", path);
        json_decref(doc);
        return 0;
    }
    json_t *last = json_array_get(subs, n - 1), *job;
    size_t i, failed = 0;
    printf("jobs     last submission: %s (logs in %s/.rvcidx-submit/logs)\n",
           json_string_value(json_object_get(last, "script")), outdir);
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
