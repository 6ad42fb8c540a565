/* store_commit.c — finishes a store: the /speakers table and the attributes
 * derived from /sources, then close, fsync and the atomic rename. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "store/h5util.h"
#include "base/hash.h"
#include "base/internal.h"
#include "rvcidx/version.h"
#include "store/store_impl.h"

typedef struct speaker_table {
    char **names;
    uint64_t *first_row, *rows;
    size_t count;
} speaker_table;

static void speaker_table_free(speaker_table *t) {
    free(t->names); /* the names point into the sources' strings */
    free(t->first_row);
    free(t->rows);
}

/* One entry per speaker, in /sources order; rows counted from accepted shards. */
static int speakers_from_sources(char **speakers, const uint64_t *first_row, const uint64_t *rows,
                                 size_t n, speaker_table *t) {
    memset(t, 0, sizeof *t);
    t->names = calloc(n ? n : 1, sizeof *t->names);
    t->first_row = calloc(n ? n : 1, sizeof *t->first_row);
    t->rows = calloc(n ? n : 1, sizeof *t->rows);
    if (!t->names || !t->first_row || !t->rows) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    uint64_t next_row = 0;
    for (size_t i = 0; i < n; i++) {
        if (t->count == 0 || strcmp(t->names[t->count - 1], speakers[i]) != 0) {
            t->names[t->count] = speakers[i];
            t->first_row[t->count] = next_row;
            t->count++;
        }
        t->rows[t->count - 1] += rows[i];
        if (rows[i]) next_row = first_row[i] + rows[i];
    }
    return 0;
}

static int write_speaker_columns(rvcidx__store_writer *w, const speaker_table *t) {
    hid_t group = H5Gopen2(w->file, "speakers", H5P_DEFAULT), name = -1, first = -1, rows = -1;
    int rc = 0;
    if (group < 0) {
        H5Eclear2(H5E_DEFAULT);
        hid_t gcpl = rvcidx__h5_group_plist();
        group = gcpl >= 0 ? H5Gcreate2(w->file, "speakers", H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
        if (gcpl >= 0) H5Pclose(gcpl);
        if (group < 0) return rvcidx__h5_fail(w->final_path, "create /speakers");
        rc = rvcidx__h5_column_create(group, "name", w->string_type, w->final_path, &name);
        if (rc == 0) rc = rvcidx__h5_column_create(group, "first_row", H5T_STD_U64LE, w->final_path, &first);
        if (rc == 0) rc = rvcidx__h5_column_create(group, "rows", H5T_STD_U64LE, w->final_path, &rows);
    } else {
        name = H5Dopen2(group, "name", H5P_DEFAULT);
        first = H5Dopen2(group, "first_row", H5P_DEFAULT);
        rows = H5Dopen2(group, "rows", H5P_DEFAULT);
        if (name < 0 || first < 0 || rows < 0) rc = rvcidx__h5_fail(w->final_path, "open /speakers");
    }
    if (rc == 0) rc = rvcidx__h5_column_replace(name, w->string_type, t->count, t->names, w->final_path);
    if (rc == 0) rc = rvcidx__h5_column_replace(first, H5T_NATIVE_UINT64, t->count, t->first_row, w->final_path);
    if (rc == 0) rc = rvcidx__h5_column_replace(rows, H5T_NATIVE_UINT64, t->count, t->rows, w->final_path);
    if (name >= 0) H5Dclose(name);
    if (first >= 0) H5Dclose(first);
    if (rows >= 0) H5Dclose(rows);
    H5Gclose(group);
    return rc;
}

static int write_speakers(rvcidx__store_writer *w) {
    char **speakers = NULL;
    uint64_t *first_row = NULL, *rows = NULL;
    size_t n = 0, n_first = 0, n_rows = 0;
    speaker_table t = {0};
    int rc = rvcidx__h5_column_read_strings(w->col_speaker, w->final_path, &speakers, &n);
    if (rc == 0) rc = rvcidx__h5_column_read_u64(w->col_first_row, w->final_path, &first_row, &n_first);
    if (rc == 0) rc = rvcidx__h5_column_read_u64(w->col_rows, w->final_path, &rows, &n_rows);
    if (rc == 0 && (n_first != n || n_rows != n))
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: /sources columns differ in length", w->final_path);
    if (rc == 0) rc = speakers_from_sources(speakers, first_row, rows, n, &t);
    if (rc == 0) rc = write_speaker_columns(w, &t);
    speaker_table_free(&t);
    rvcidx__h5_strings_free(speakers, n);
    free(first_row);
    free(rows);
    return rc;
}

/* The digest of every row: the running hash, or (after a truncation) one
 * more pass over the rows written. */
static int all_rows_digest(rvcidx__store_writer *w) {
    if (!w->all_sha_valid)
        return rvcidx__h5_rows_sha256(w->features, w->dim, 0, w->rows, w->rows_sha256, NULL, w->final_path);
    w->all_sha_valid = 0;
    return rvcidx__sha256_final_hex(w->all_sha, w->rows_sha256);
}

static int write_attributes(rvcidx__store_writer *w) {
    const char *p = w->final_path;
    RVCIDX__TRY(all_rows_digest(w));
    RVCIDX__TRY(rvcidx__h5_attr_write_str(w->file, RVCIDX__STORE_ROWS_SHA256, w->rows_sha256, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_str(w->file, "format", RVCIDX__STORE_FORMAT, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(w->file, "format_version", RVCIDX__STORE_FORMAT_VERSION, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(w->file, "dim", w->dim, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(w->file, "rows", (int64_t)w->rows, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_str(w->file, "rvc_version", w->dim == 256 ? "v1" : w->dim == 768 ? "v2" : "unknown", p));
    RVCIDX__TRY(rvcidx__h5_attr_write_str(w->file, "rvcidx_version", rvcidx_version(), p));
    return rvcidx__h5_attr_write_str(w->file, "ordering", RVCIDX__STORE_ORDERING, p);
}

int rvcidx__store_writer_commit(rvcidx__store_writer *w) {
    int rc = write_speakers(w);
    if (rc == 0) rc = write_attributes(w);
    if (rc) {
        rvcidx__store_writer_abort(w);
        return rc;
    }
    /* H5Fclose only flushes and closes for real once no object is open in it */
    hid_t file = w->file;
    w->file = -1;
    rvcidx__store_writer_close_objects(w);
    if (H5Fclose(file) < 0) rc = rvcidx__h5_fail(w->final_path, "write the store (disk full?)");
    if (rc == 0) rc = rvcidx__store_check_written(w);
    rvcidx__store_writer_free_hashes(w);
    if (rc) unlink(w->tmp_path);
    else rc = rvcidx__publish_file(w->tmp_path, w->final_path);
    w->tmp_path[0] = '\0';
    return rc;
}
