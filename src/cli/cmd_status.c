/* cmd_status.c — `rvcidx status OUTDIR`: the state of every build under
 * OUTDIR from what is on disk (manifests, locks, split work), and the Slurm
 * jobs the last `rvcidx submit` recorded, from sacct when accounting is on,
 * else squeue. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fsutil.h" /* safe opens, until the library reads OUTDIR state itself (issue 17) */
#include "cmd_build.h"

static int exists(const char *dir, const char *name) {
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static int is_build_dir(const char *dir) {
    return exists(dir, "manifest.json") || exists(dir, "store.h5") || exists(dir, ".rvcidx-split");
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

/* One line: what DIR holds now. */
static const char *build_state(const char *dir, char *buf, size_t n) {
    int rc = build_running(dir) ? RVCIDX_ELOCKED : 0;
    size_t missing = 0;
    if (exists(dir, "manifest.json")) {
        if (rvcidx_verify(dir, 1, &missing, NULL) != 0 || missing) return "built, but outputs are missing (rebuild)";
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
    return exists(dir, "store.h5") ? "incomplete (failed or stopped: resubmit)" : "not built";
}

static int show_builds(const char *outdir) {
    char buf[128];
    printf("| build | state |\n|---|---|\n");
    if (is_build_dir(outdir)) {
        printf("| %s | %s |\n", outdir, build_state(outdir, buf, sizeof buf));
        return 1;
    }
    DIR *d = opendir(outdir);
    struct dirent *e;
    int n = 0;
    char sub[PATH_MAX + 256];
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(sub, sizeof sub, "%s/%s", outdir, e->d_name);
        if (!cli_is_directory(sub) || !is_build_dir(sub)) continue;
        printf("| %s | %s |\n", e->d_name, build_state(sub, buf, sizeof buf));
        n++;
    }
    if (d) closedir(d);
    return n;
}

/* Slurm's view of one job: sacct when accounting is on, else squeue. */
static void show_job(const char *id, const char *kind) {
    char cmd[256], line[512];
    snprintf(cmd, sizeof cmd, "sacct -n -P -X -j %s --format=JobID,State,Elapsed,ExitCode 2>/dev/null", id);
    FILE *p = popen(cmd, "r");
    int shown = 0;
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        printf("job      %s (%s): %s\n", id, kind, line), shown = 1;
    }
    int sacct_ok = p && pclose(p) == 0 && shown;
    if (sacct_ok) return;
    snprintf(cmd, sizeof cmd, "squeue -h -j %s -o '%%i %%T %%M %%R' 2>/dev/null", id);
    p = popen(cmd, "r");
    shown = 0;
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        printf("job      %s (%s): %s\n", id, kind, line), shown = 1;
    }
    if (p) pclose(p);
    if (!shown) printf("job      %s (%s): no longer queued (no Slurm accounting here: see the logs)\n", id, kind);
}

static void show_jobs(const char *outdir) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/.rvcidx-submit/submit.json", outdir);
    json_t *doc = rvcidx__json_load_own(path, NULL);
    json_t *subs = doc ? json_object_get(doc, "submissions") : NULL;
    size_t n = json_array_size(subs);
    if (n == 0) {
        printf("jobs     none submitted from here (no %s)\n", path);
        json_decref(doc);
        return;
    }
    json_t *last = json_array_get(subs, n - 1), *job;
    size_t i;
    printf("jobs     last submission: %s (logs in %s/.rvcidx-submit/logs)\n",
           json_string_value(json_object_get(last, "script")), outdir);
    json_array_foreach(json_object_get(last, "jobs"), i, job)
        show_job(json_string_value(json_object_get(job, "id")), json_string_value(json_object_get(job, "kind")));
    json_decref(doc);
}

int cmd_status(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: rvcidx status OUTDIR\n\nThe state of every build under OUTDIR (built, building, split parts done,\n"
               "incomplete, not built) and the Slurm jobs of the last 'rvcidx submit' there.\n");
        return CLI_EXIT_OK;
    }
    if (argc != 2 || !cli_is_directory(argv[1])) {
        cli_logf(RVCIDX_LOG_ERROR, "status: %s: not a directory; usage: rvcidx status OUTDIR", argc > 1 ? argv[1] : "(none)");
        return argc == 2 ? CLI_EXIT_BAD_INPUT : CLI_EXIT_USAGE;
    }
    if (show_builds(argv[1]) == 0) printf("(no builds under %s yet)\n", argv[1]);
    show_jobs(argv[1]);
    return CLI_EXIT_OK;
}
