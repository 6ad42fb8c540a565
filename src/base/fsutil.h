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

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#define RVCIDX__TMP_MARK ".rvcidx-tmp."

typedef struct rvcidx__atomic_file {
    char final_path[PATH_MAX];
    char tmp_path[PATH_MAX];
    FILE *fp;
} rvcidx__atomic_file;

/* Opening files by name. Shared cluster directories can hold symbolic links,
 * FIFOs and device nodes planted by others: an open that blocks on a FIFO
 * hangs a nightly job, and one that follows a planted link writes outside
 * OUTDIR. These never block (O_NONBLOCK, cleared once the file is known to be
 * regular) and accept a regular file only; the error names the path and says
 * what it is instead (a FIFO, a dangling link, ...). */

/* A file rvcidx wrote itself (the manifest, the stat cache, an output being
 * hashed, a split part): a symbolic link is refused, as rvcidx never creates
 * one. *fd is the caller's. */
int rvcidx__open_own(const char *path, int *fd);

/* A stdio stream ("rb") of a file rvcidx wrote (as rvcidx__open_own), or of
 * an input the user named (a shard, a list file), whose symbolic links are
 * followed: datasets are often assembled from links. *fp is the caller's. */
int rvcidx__fopen_own(const char *path, FILE **fp);
int rvcidx__fopen_input(const char *path, FILE **fp);

/* Fails as rvcidx__fopen_input would, without keeping the file open: for
 * libraries that open by name (HDF5), which would block on a FIFO. */
int rvcidx__require_regular(const char *path);

/* Parses a JSON file rvcidx wrote (opened as rvcidx__open_own); NULL with
 * err->text saying why (a FIFO there, a link, bad JSON). */
json_t *rvcidx__json_load_own(const char *path, json_error_t *err);

/* A directory rvcidx creates inside OUTDIR (a speaker's folder, the split work
 * folder): created when missing; a symbolic link or anything not a directory
 * there is refused, so nothing rvcidx later writes or removes in it lands
 * outside OUTDIR. */
int rvcidx__own_dir(const char *path);

/* RVCIDX_EINPUT naming the first of names that is a directory inside dir:
 * rvcidx replaces those files by rename, which cannot replace a directory. */
int rvcidx__check_replaceable(const char *dir, const char *const *names, size_t n);

/* Creates the temporary file for final_path exclusively (O_EXCL|O_NOFOLLOW):
 * whatever sits at that name (a link planted by someone else, a file a dead
 * process with our pid left) is unlinked first, never opened or followed.
 * Writes tmp_out; *fd (write-only) is the caller's. */
int rvcidx__tmp_create(const char *final_path, char *tmp_out, size_t n, int *fd);

/* A name that opens the file behind fd (/proc/self/fd/N), for libraries that
 * take a path (HDF5): they then write to the file rvcidx created, whatever a
 * third party did to the name meanwhile. */
void rvcidx__fd_path(int fd, char *out, size_t n);

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

/* Writes n bytes to path atomically (the CLI's report.md, report.svg and
 * run.json go through it too, until the library writes them itself). */
int rvcidx__write_bytes_file(const char *path, const void *data, size_t n);

/* Writes o as indented JSON (jansson flags added to JSON_INDENT(2)) to path
 * atomically; o stays the caller's. */
int rvcidx__write_json_file(const char *path, const json_t *o, size_t flags);

/* Writes text (plus a final newline when add_newline) to path atomically. */
int rvcidx__write_text_file(const char *path, const char *text, int add_newline);

/* fsyncs the directory holding path, so a rename inside it is durable. */
int rvcidx__fsync_parent(const char *path);


/* Makes tmp_path durable and renames it to final_path (fsync file, rename,
 * fsync directory). On failure tmp_path is removed, final_path untouched. */
int rvcidx__publish_file(const char *tmp_path, const char *final_path);

/* path's size in bytes; 0 when it cannot be stat'ed. */
uint64_t rvcidx__file_size(const char *path);

/* Takes the exclusive lock of a directory (DIR/.rvcidx.lock, flock: the
 * kernel drops it when the holder dies). RVCIDX_ELOCKED, naming the holder's
 * pid, when another live process has it; a lock file left by a dead process
 * is taken over with a log line. *fd keeps it; close(*fd) releases it. */
int rvcidx__dir_lock(const char *dir, const char *lock_path, int *fd);

/* Removes temporary files that a dead process left for final_path (an
 * interrupted run); logs each one. Files of live processes are kept. */
int rvcidx__remove_stale_temps(const char *final_path);

/* The last component of path, trailing slashes ignored (RVC names a model
 * after its logs/<model> folder). */
void rvcidx__path_base_name(const char *path, char *out, size_t n);
#endif
