/* fsutil.h — private: directories and crash-safe file publishing.
 *
 * Every artifact rvcidx writes goes through rvcidx__atomic_*: written under a
 * temporary name in the destination directory, flushed and fsynced, renamed
 * into place, and the directory fsynced, so a reader sees the old file or the
 * complete new one, never a torn one. Temporary names share one pattern
 * (".NAME.rvcidx-tmp.PID") so a later run can remove those a dead process left.
 */
#ifndef RVCIDX_FSUTIL_H
#define RVCIDX_FSUTIL_H

#include <limits.h>
#include <stdio.h>

#define RVCIDX__TMP_MARK ".rvcidx-tmp."

typedef struct rvcidx__atomic_file {
    char final_path[PATH_MAX];
    char tmp_path[PATH_MAX];
    FILE *fp;
} rvcidx__atomic_file;

/* Creates path and its missing parents (mode 0777 & ~umask). */
int rvcidx__mkdir_p(const char *path);

/* The temporary name for final_path: same directory, hidden, marked, ours. */
int rvcidx__tmp_name(const char *final_path, char *out, size_t n);

/* Opens a temporary file for final_path. On failure nothing is left behind. */
int rvcidx__atomic_open(rvcidx__atomic_file *f, const char *final_path);

/* Writes n bytes or fails naming the final path. */
int rvcidx__atomic_write(rvcidx__atomic_file *f, const void *data, size_t n);

/* Flushes, fsyncs, closes, renames into place, fsyncs the directory. On
 * failure the temporary file is removed and final_path is untouched. */
int rvcidx__atomic_commit(rvcidx__atomic_file *f);

/* Closes and removes the temporary file; safe to call twice. */
void rvcidx__atomic_abort(rvcidx__atomic_file *f);

/* Writes text (plus a final newline when add_newline) to path atomically. */
int rvcidx__write_text_file(const char *path, const char *text, int add_newline);

/* fsyncs the directory holding path, so a rename inside it is durable. */
int rvcidx__fsync_parent(const char *path);


/* Makes tmp_path durable and renames it to final_path (fsync file, rename,
 * fsync directory). On failure tmp_path is removed, final_path untouched. */
int rvcidx__publish_file(const char *tmp_path, const char *final_path);

/* Takes the exclusive lock of a directory (DIR/.rvcidx.lock, flock: the
 * kernel drops it when the holder dies). RVCIDX_ELOCKED, naming the holder's
 * pid, when another live process has it; a lock file left by a dead process
 * is taken over with a log line. *fd keeps it; close(*fd) releases it. */
int rvcidx__dir_lock(const char *dir, int *fd);

/* Removes temporary files that a dead process left for final_path (an
 * interrupted run); logs each one. Files of live processes are kept. */
int rvcidx__remove_stale_temps(const char *final_path);
#endif
