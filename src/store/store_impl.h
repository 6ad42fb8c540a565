/* store_impl.h — private: the store's layout names and its writer.
 *
 * Writing is crash-safe: a new or grown store is written under the temporary
 * name of fsutil.h in the destination directory and renamed into place by
 * rvcidx__store_writer_commit(); rvcidx__store_writer_abort() removes it.
 */
#ifndef RVCIDX_STORE_IMPL_H
#define RVCIDX_STORE_IMPL_H

#include <hdf5.h>
#include <limits.h>
#include <stdint.h>

#include "rvcidx/store.h"

#define RVCIDX__STORE_FORMAT "rvcidx-store"
#define RVCIDX__STORE_FORMAT_VERSION 1
#define RVCIDX__STORE_ORDERING                                                 \
    "speakers, then files within a speaker, in byte order of their names "    \
    "(Python sorted(os.listdir())), as RVC concatenates them"

/* The /sources columns, in one place for the writer and the reader. */
#define RVCIDX__SOURCE_STRING_COLUMNS(X)                                       \
    X(speaker) X(path) X(sha256) X(dtype) X(status) X(note)

typedef struct rvcidx__source_record {
    const char *speaker, *path, *sha256, *dtype, *status, *note;
    uint64_t first_row, rows;
} rvcidx__source_record;

typedef struct rvcidx__store_writer {
    char final_path[PATH_MAX];
    char tmp_path[PATH_MAX];
    hid_t file, features, sources_group;
    hid_t string_type;
#define RVCIDX__DECLARE_COLUMN(name) hid_t col_##name;
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__DECLARE_COLUMN)
#undef RVCIDX__DECLARE_COLUMN
    hid_t col_first_row, col_rows;
    int dim;
    uint64_t rows;
    /* For the read-back check before publishing (HDF5 has been seen to report
     * success after a failed write): what this writer added. */
    uint64_t appended_from;  /* rows before this writer's first append */
    size_t sources;          /* rows of /sources expected at commit */
    void *appended_sha;      /* EVP_MD_CTX over the appended rows' bytes */
    int appended_sha_valid;  /* 0 after a truncation: rows then not checked */
    void *all_sha;           /* EVP_MD_CTX over every row, for the rows_sha256 attribute */
    int all_sha_valid;       /* 0 after a truncation: commit hashes the rows again */
    char rows_sha256[65];    /* what commit recorded */
} rvcidx__store_writer;

/* The store's root attribute holding the sha256 of all /features bytes in row
 * order: a store damaged in place (same size) is told from a good one by
 * reading it once (rvcidx__store_rows_intact). Stores written before it
 * existed lack it and are rebuilt once. */
#define RVCIDX__STORE_ROWS_SHA256 "rows_sha256"

/* *intact 1 when the store's tables agree, it records a rows_sha256 and
 * (check_hash) its rows hash to it, reading every row once; else 0 and why
 * (one phrase) says what differs. */
int rvcidx__store_rows_intact(rvcidx_store *st, int check_hash, int *intact, char *why, size_t n);

/* sha256 of rows [first, first+count) of an open store (hex into out[65]);
 * the bytes also go to extra (an EVP_MD_CTX) when not NULL. */
int rvcidx__store_rows_sha256(rvcidx_store *st, uint64_t first, uint64_t count, char out[65], void *extra);

/* The rows_sha256 attribute the store recorded ("" when it has none). */
const char *rvcidx__store_recorded_rows_sha256(const rvcidx_store *st);

/* Where /features's rows lie in the file (row_reader.c): a duplicate of
 * HDF5's descriptor (*fd, the caller's to close) and each chunk's file
 * offset (*offsets, n_chunks of them, malloc'd: the caller's), chunk_rows
 * rows of dim native floats per chunk. RVCIDX_EINPUT when the rows are not
 * stored so (filters, another type or layout). */
int rvcidx__store_raw_rows(rvcidx_store *s, int *fd, uint64_t **offsets, size_t *n_chunks, uint64_t *chunk_rows);

/* 1 when path is an HDF5 file whose "format" attribute says rvcidx store. */
int rvcidx__is_store_file(const char *path);

/* Rows per /features chunk for dim: appends in multiples of it write whole
 * chunks, which HDF5 neither caches nor reads back. */
uint64_t rvcidx__store_chunk_rows(int dim);

/* Starts a new, empty store for final_path. */
int rvcidx__store_writer_create(rvcidx__store_writer *w, const char *final_path, int dim);

/* Starts from a copy of the existing store at final_path, to append to it. */
int rvcidx__store_writer_extend(rvcidx__store_writer *w, const char *final_path);

/* Appends n rows of dim floats to /features. */
int rvcidx__store_append_rows(rvcidx__store_writer *w, const float *rows, uint64_t n);

/* Drops rows appended after the first `rows` (a shard rejected halfway). */
int rvcidx__store_truncate_rows(rvcidx__store_writer *w, uint64_t rows);

/* Appends one row to /sources. */
int rvcidx__store_add_source(rvcidx__store_writer *w, const rvcidx__source_record *rec);

/* Reads the closed temporary store back: the tables agree with what was
 * written, the appended rows hash to what was appended, and all rows to the
 * rows_sha256 attribute recorded. */
int rvcidx__store_check_written(rvcidx__store_writer *w);

/* Writes /speakers and the attributes, closes, fsyncs, renames into place. */
int rvcidx__store_writer_commit(rvcidx__store_writer *w);

/* Closes every open object but the file itself (commit closes that last). */
void rvcidx__store_writer_close_objects(rvcidx__store_writer *w);

/* Frees the running row hashes (commit and abort call it). */
void rvcidx__store_writer_free_hashes(rvcidx__store_writer *w);

/* Closes and removes the temporary file; the previous store is untouched. */
void rvcidx__store_writer_abort(rvcidx__store_writer *w);

#endif
