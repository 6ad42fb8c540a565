/* build_outcome.c — a failed build leaves a note in its OUTDIR.
 *
 * A build that fails before its manifest is written may leave nothing else
 * behind (a bad shard stops ingest before store.h5 exists), and a Slurm
 * task's exit code lives only in sacct, which many clusters do not keep.
 * `rvcidx status` reads this note to list failed builds and say why.
 * Each build attempt removes the note first; only a failure writes one.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdlib.h>
#include <unistd.h>

#include "base/fsutil.h" /* atomic publish and safe opens, until the library owns OUTDIR state (issue 17) */
#include "cmd_build.h"

#define OUTCOME_FILE ".rvcidx-failed.json"

const char *build_exit_reason(int code) {
    switch (code) {
    case 0: return "built";
    case BUILD_EXIT_UNCHANGED: return "unchanged";
    case CLI_EXIT_USAGE: return "failed: bad option (exit 2)";
    case CLI_EXIT_BAD_INPUT: return "failed: bad input (exit 3)";
    case CLI_EXIT_IO: return "failed: I/O error (exit 4)";
    case CLI_EXIT_NO_GPU: return "failed: no usable GPU (exit 6)";
    case CLI_EXIT_TARGET: return "failed: recall target not reached (exit 7)";
    case CLI_EXIT_TOO_BIG: return "refused: does not fit this machine (exit 8)";
    case CLI_EXIT_LOCKED: return "failed: locked by another build (exit 9)";
    case CLI_EXIT_INTERRUPTED: return "stopped: interrupted (exit 130)";
    default: return code > 128 ? "failed: killed by a signal (out of memory?)" : "failed (see the log)";
    }
}

static void outcome_path(const char *outdir, char *out, size_t n) {
    snprintf(out, n, "%s/" OUTCOME_FILE, outdir);
}

void build_outcome_clear(const char *outdir) {
    char path[PATH_MAX];
    outcome_path(outdir, path, sizeof path);
    unlink(path);
}

/* Best effort: the build's own exit code and log already report the failure. */
void build_outcome_record(const char *outdir, int code) {
    if (code == 0 || code == BUILD_EXIT_UNCHANGED || code == CLI_EXIT_LOCKED) return; /* a lock: another build runs */
    char path[PATH_MAX], ts[32], host[256] = "";
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    gethostname(host, sizeof host - 1);
    outcome_path(outdir, path, sizeof path);
    json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s}", "format", "rvcidx-failed", "exit", code, "reason",
                          build_exit_reason(code), "time", ts, "host", host);
    if (rvcidx__write_json_file(path, o, 0) != 0) /* atomic, never through a link */
        cli_logf(RVCIDX_LOG_WARN, "build: cannot write %s ('rvcidx status' will not list this failure)", path);
    json_decref(o);
}

int build_outcome_read(const char *dir, char *what, size_t n) {
    char path[PATH_MAX];
    outcome_path(dir, path, sizeof path);
    if (access(path, F_OK) != 0) return 0;
    json_t *o = rvcidx__json_load_own(path, NULL); /* a FIFO there: refused, never waited on */
    if (!o) return 0;
    int code = (int)json_integer_value(json_object_get(o, "exit"));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    const char *ts = json_string_value(json_object_get(o, "time"));
    snprintf(what, n, "%s%s%s", reason ? reason : build_exit_reason(code), ts ? " at " : "", ts ? ts : "");
    json_decref(o);
    return code ? code : CLI_EXIT_INTERNAL;
}
