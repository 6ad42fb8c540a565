/* store_write.c — writes the HDF5 feature store: new, or grown by appending,
 * always under a temporary name renamed into place when complete. */
#include <errno.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "store/h5util.h"
#include "base/internal.h"
#include "store/store_impl.h"

/* Chunks of ~768 KiB fit HDF5's default 1 MiB chunk cache, so appending
 * shard after shard rewrites no chunk from disk. */
uint64_t rvcidx__store_chunk_rows(int dim) {
    uint64_t rows = (768u * 1024u) / ((uint64_t)dim * sizeof(float));
    return rows ? rows : 1;
}

static void writer_reset(rvcidx__store_writer *w) {
    memset(w, 0, sizeof *w);
    w->file = w->features = w->sources_group = w->string_type = -1;
#define RVCIDX__RESET_COLUMN(name) w->col_##name = -1;
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__RESET_COLUMN)
#undef RVCIDX__RESET_COLUMN
    w->col_first_row = w->col_rows = -1;
}

void rvcidx__store_writer_close_objects(rvcidx__store_writer *w) {
    hid_t *datasets[] = {&w->features, &w->col_first_row, &w->col_rows,
#define RVCIDX__COLUMN_PTR(name) &w->col_##name,
                         RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__COLUMN_PTR)
#undef RVCIDX__COLUMN_PTR
    };
    for (size_t i = 0; i < sizeof datasets / sizeof *datasets; i++)
        if (*datasets[i] >= 0) H5Dclose(*datasets[i]), *datasets[i] = -1;
    if (w->sources_group >= 0) H5Gclose(w->sources_group), w->sources_group = -1;
    if (w->string_type >= 0) H5Tclose(w->string_type), w->string_type = -1;
}

/* Both running hashes; on an extended store the rows already there are
 * streamed into the all-rows hash first (one read of the copy). */
static int start_rows_hash(rvcidx__store_writer *w) {
    w->appended_from = w->rows;
    w->appended_sha = EVP_MD_CTX_new();
    w->all_sha = EVP_MD_CTX_new();
    w->appended_sha_valid = w->appended_sha && EVP_DigestInit_ex(w->appended_sha, EVP_sha256(), NULL) == 1;
    w->all_sha_valid = w->all_sha && EVP_DigestInit_ex(w->all_sha, EVP_sha256(), NULL) == 1;
    if (!w->appended_sha_valid || !w->all_sha_valid) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    char existing[65];
    return w->rows ? rvcidx__h5_rows_sha256(w->features, w->dim, 0, w->rows, existing, w->all_sha, w->final_path) : 0;
}

void rvcidx__store_writer_free_hashes(rvcidx__store_writer *w) {
    EVP_MD_CTX_free(w->appended_sha);
    EVP_MD_CTX_free(w->all_sha);
    w->appended_sha = w->all_sha = NULL;
    w->appended_sha_valid = w->all_sha_valid = 0;
}

void rvcidx__store_writer_abort(rvcidx__store_writer *w) {
    rvcidx__store_writer_free_hashes(w);
    rvcidx__store_writer_close_objects(w);
    if (w->file >= 0) H5Fclose(w->file), w->file = -1;
    if (w->tmp_path[0]) unlink(w->tmp_path);
    w->tmp_path[0] = '\0';
}

static int create_features(rvcidx__store_writer *w) {
    hsize_t dims[2] = {0, (hsize_t)w->dim}, maxdims[2] = {H5S_UNLIMITED, (hsize_t)w->dim};
    hsize_t chunk[2] = {rvcidx__store_chunk_rows(w->dim), (hsize_t)w->dim};
    hid_t space = H5Screate_simple(2, dims, maxdims);
    hid_t dcpl = rvcidx__h5_dataset_plist(2, chunk);
    if (space >= 0 && dcpl >= 0)
        w->features = H5Dcreate2(w->file, "features", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (space >= 0) H5Sclose(space);
    if (dcpl >= 0) H5Pclose(dcpl);
    return w->features < 0 ? rvcidx__h5_fail(w->final_path, "create /features") : 0;
}

static int create_group(hid_t file, const char *name, const char *path, hid_t *out) {
    hid_t gcpl = rvcidx__h5_group_plist();
    *out = gcpl >= 0 ? H5Gcreate2(file, name, H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
    if (gcpl >= 0) H5Pclose(gcpl);
    return *out < 0 ? rvcidx__h5_fail(path, "create a group") : 0;
}

static int create_source_columns(rvcidx__store_writer *w) {
    RVCIDX__TRY(create_group(w->file, "sources", w->final_path, &w->sources_group));
#define RVCIDX__CREATE_COLUMN(name)                                            \
    RVCIDX__TRY(rvcidx__h5_column_create(w->sources_group, #name, w->string_type, w->final_path, &w->col_##name));
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__CREATE_COLUMN)
#undef RVCIDX__CREATE_COLUMN
    RVCIDX__TRY(rvcidx__h5_column_create(w->sources_group, "first_row", H5T_STD_U64LE, w->final_path, &w->col_first_row));
    return rvcidx__h5_column_create(w->sources_group, "rows", H5T_STD_U64LE, w->final_path, &w->col_rows);
}

static int open_source_columns(rvcidx__store_writer *w) {
    w->sources_group = H5Gopen2(w->file, "sources", H5P_DEFAULT);
    RVCIDX__H5_CHECK(w->sources_group, w->final_path, "open /sources");
#define RVCIDX__OPEN_COLUMN(name)                                              \
    w->col_##name = H5Dopen2(w->sources_group, #name, H5P_DEFAULT);           \
    RVCIDX__H5_CHECK(w->col_##name, w->final_path, "open /sources/" #name);
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__OPEN_COLUMN)
#undef RVCIDX__OPEN_COLUMN
    w->col_first_row = H5Dopen2(w->sources_group, "first_row", H5P_DEFAULT);
    RVCIDX__H5_CHECK(w->col_first_row, w->final_path, "open /sources/first_row");
    w->col_rows = H5Dopen2(w->sources_group, "rows", H5P_DEFAULT);
    RVCIDX__H5_CHECK(w->col_rows, w->final_path, "open /sources/rows");
    return 0;
}

static int writer_begin(rvcidx__store_writer *w, const char *final_path) {
    rvcidx__h5_init();
    writer_reset(w);
    if (snprintf(w->final_path, sizeof w->final_path, "%s", final_path) >= (int)sizeof w->final_path)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: path too long", final_path);
    w->string_type = rvcidx__h5_string_type();
    RVCIDX__H5_CHECK(w->string_type, final_path, "create a string type");
    return 0;
}

int rvcidx__store_writer_create(rvcidx__store_writer *w, const char *final_path, int dim) {
    int rc = writer_begin(w, final_path);
    if (rc) return rc;
    w->dim = dim;
    char via[64];
    int fd;
    rc = rvcidx__tmp_create(final_path, w->tmp_path, sizeof w->tmp_path, &fd);
    if (rc) {
        rvcidx__store_writer_abort(w);
        return rc;
    }
    rvcidx__fd_path(fd, via, sizeof via); /* HDF5 opens the file created above, not what the name may point to now */
    hid_t fcpl = rvcidx__h5_file_create_plist();
    w->file = fcpl >= 0 ? H5Fcreate(via, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT) : -1;
    if (fcpl >= 0) H5Pclose(fcpl);
    close(fd);
    if (w->file < 0) {
        rc = rvcidx__h5_fail(w->tmp_path, "create the store (is the directory writable?)");
        rvcidx__store_writer_abort(w);
        return rc;
    }
    rc = create_features(w);
    if (rc == 0) rc = create_source_columns(w);
    if (rc == 0) rc = start_rows_hash(w);
    if (rc) rvcidx__store_writer_abort(w);
    return rc;
}

/* Copies the store into out (the temporary file, created exclusively). */
static int copy_file(const char *from, const char *to, int out) {
    int in = -1, rc = rvcidx__open_own(from, &in);
    if (rc) return rc;
    enum { BUF = 1 << 20 };
    char *buf = malloc(BUF);
    if (!buf) rc = rvcidx__fail(RVCIDX_ENOMEM, "out of memory copying %s", from);
    ssize_t n;
    while (rc == 0 && (n = read(in, buf, BUF)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = rvcidx__fail(RVCIDX_EIO, "%s: read failed: %s", from, strerror(errno));
        for (ssize_t off = 0; rc == 0 && off < n;) {
            ssize_t m = write(out, buf + off, (size_t)(n - off));
            if (m < 0 && errno == EINTR) continue;
            if (m < 0) rc = rvcidx__fail(RVCIDX_EIO, "%s: write failed: %s", to, strerror(errno));
            else off += m;
        }
    }
    free(buf);
    close(in);
    return rc;
}

static int open_features(rvcidx__store_writer *w) {
    w->features = H5Dopen2(w->file, "features", H5P_DEFAULT);
    RVCIDX__H5_CHECK(w->features, w->final_path, "open /features");
    return rvcidx__h5_matrix_shape(w->features, w->final_path, "/features", &w->rows, &w->dim);
}

int rvcidx__store_writer_extend(rvcidx__store_writer *w, const char *final_path) {
    int rc = writer_begin(w, final_path), fd = -1;
    char via[64];
    if (rc == 0) rc = rvcidx__tmp_create(final_path, w->tmp_path, sizeof w->tmp_path, &fd);
    if (rc == 0) rc = copy_file(final_path, w->tmp_path, fd);
    if (rc == 0) {
        rvcidx__fd_path(fd, via, sizeof via); /* the copy just written, whatever its name points to now */
        w->file = H5Fopen(via, H5F_ACC_RDWR, H5P_DEFAULT);
        if (w->file < 0) rc = rvcidx__h5_fail(final_path, "open the store copy for appending");
    }
    if (fd >= 0 && close(fd) != 0 && rc == 0) rc = rvcidx__fail(RVCIDX_EIO, "%s: write failed: %s", w->tmp_path, strerror(errno));
    if (rc == 0) rc = open_features(w);
    if (rc == 0) rc = open_source_columns(w);
    uint64_t n_sources = 0;
    if (rc == 0) rc = rvcidx__h5_length(w->col_path, w->final_path, &n_sources);
    w->sources = (size_t)n_sources;
    if (rc == 0) rc = start_rows_hash(w);
    if (rc) rvcidx__store_writer_abort(w);
    return rc;
}

int rvcidx__store_append_rows(rvcidx__store_writer *w, const float *rows, uint64_t n) {
    if (n == 0) return 0;
    hsize_t new_dims[2] = {w->rows + n, (hsize_t)w->dim};
    RVCIDX__H5_CHECK(H5Dset_extent(w->features, new_dims), w->final_path, "extend /features");
    hsize_t start[2] = {w->rows, 0}, count[2] = {n, (hsize_t)w->dim};
    hid_t fspace = H5Dget_space(w->features);
    hid_t mspace = H5Screate_simple(2, count, NULL);
    herr_t rc = fspace >= 0 && mspace >= 0
                    ? H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL)
                    : -1;
    if (rc >= 0) rc = H5Dwrite(w->features, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, rows);
    if (fspace >= 0) H5Sclose(fspace);
    if (mspace >= 0) H5Sclose(mspace);
    RVCIDX__H5_CHECK(rc, w->final_path, "write /features (disk full?)");
    if (w->appended_sha_valid)
        w->appended_sha_valid = EVP_DigestUpdate(w->appended_sha, rows, sizeof(float) * n * (uint64_t)w->dim) == 1;
    if (w->all_sha_valid) w->all_sha_valid = EVP_DigestUpdate(w->all_sha, rows, sizeof(float) * n * (uint64_t)w->dim) == 1;
    w->rows += n;
    return 0;
}

int rvcidx__store_truncate_rows(rvcidx__store_writer *w, uint64_t rows) {
    if (rows >= w->rows) return 0;
    hsize_t dims[2] = {rows, (hsize_t)w->dim};
    RVCIDX__H5_CHECK(H5Dset_extent(w->features, dims), w->final_path, "shrink /features");
    w->rows = rows;
    w->appended_sha_valid = 0; /* rare (--skip-bad past a flushed block): tables are still checked */
    w->all_sha_valid = 0;      /* commit hashes the rows again */
    return 0;
}

int rvcidx__store_add_source(rvcidx__store_writer *w, const rvcidx__source_record *rec) {
#define RVCIDX__APPEND_STRING(name)                                            \
    RVCIDX__TRY(rvcidx__h5_column_append(w->col_##name, w->string_type, 1, &rec->name, w->final_path));
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__APPEND_STRING)
#undef RVCIDX__APPEND_STRING
    RVCIDX__TRY(rvcidx__h5_column_append(w->col_first_row, H5T_NATIVE_UINT64, 1, &rec->first_row, w->final_path));
    RVCIDX__TRY(rvcidx__h5_column_append(w->col_rows, H5T_NATIVE_UINT64, 1, &rec->rows, w->final_path));
    w->sources++;
    return 0;
}
