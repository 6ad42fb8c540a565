/* store_read.c — the public, read-only view of a store for later stages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "store/h5util.h"
#include "base/internal.h"
#include "store/store_impl.h"

struct rvcidx_store {
    char path[PATH_MAX];
    hid_t file, features;
    uint64_t rows;
    int dim;
#define RVCIDX__STORE_STRINGS(name) char **src_##name;
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__STORE_STRINGS)
#undef RVCIDX__STORE_STRINGS
    uint64_t *src_first_row, *src_rows;
    size_t n_sources;
    char **spk_name;
    uint64_t *spk_first_row, *spk_rows;
    size_t n_speakers;
    char rows_sha256[65]; /* recorded at commit; "" in stores older than it */
};

void rvcidx_store_close(rvcidx_store *s) {
    if (!s) return;
#define RVCIDX__FREE_STRINGS(name) rvcidx__h5_strings_free(s->src_##name, s->n_sources);
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__FREE_STRINGS)
#undef RVCIDX__FREE_STRINGS
    free(s->src_first_row);
    free(s->src_rows);
    rvcidx__h5_strings_free(s->spk_name, s->n_speakers);
    free(s->spk_first_row);
    free(s->spk_rows);
    if (s->features >= 0) H5Dclose(s->features);
    if (s->file >= 0) H5Fclose(s->file);
    free(s);
}

static int read_string_column(rvcidx_store *s, const char *group, const char *name, char ***out,
                              size_t *n) {
    char obj[64];
    snprintf(obj, sizeof obj, "%s/%s", group, name);
    hid_t d = H5Dopen2(s->file, obj, H5P_DEFAULT);
    if (d < 0) return rvcidx__h5_fail(s->path, "open a table column (is this an rvcidx store?)");
    int rc = rvcidx__h5_column_read_strings(d, s->path, out, n);
    H5Dclose(d);
    return rc;
}

static int read_u64_column(rvcidx_store *s, const char *group, const char *name, uint64_t **out,
                           size_t expect) {
    char obj[64];
    snprintf(obj, sizeof obj, "%s/%s", group, name);
    hid_t d = H5Dopen2(s->file, obj, H5P_DEFAULT);
    if (d < 0) return rvcidx__h5_fail(s->path, "open a table column (is this an rvcidx store?)");
    size_t n = 0;
    int rc = rvcidx__h5_column_read_u64(d, s->path, out, &n);
    H5Dclose(d);
    if (rc == 0 && n != expect)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: /%s columns differ in length; rebuild the store", s->path, group);
    return rc;
}

static int read_tables(rvcidx_store *s) {
    size_t n = 0;
#define RVCIDX__READ_STRINGS(name)                                             \
    RVCIDX__TRY(read_string_column(s, "sources", #name, &s->src_##name, &n));  \
    if (s->n_sources && n != s->n_sources)                                     \
        return rvcidx__fail(RVCIDX_EINPUT, "%s: /sources columns differ in length; rebuild the store", s->path); \
    s->n_sources = n;
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__READ_STRINGS)
#undef RVCIDX__READ_STRINGS
    RVCIDX__TRY(read_u64_column(s, "sources", "first_row", &s->src_first_row, s->n_sources));
    RVCIDX__TRY(read_u64_column(s, "sources", "rows", &s->src_rows, s->n_sources));
    RVCIDX__TRY(read_string_column(s, "speakers", "name", &s->spk_name, &s->n_speakers));
    RVCIDX__TRY(read_u64_column(s, "speakers", "first_row", &s->spk_first_row, s->n_speakers));
    return read_u64_column(s, "speakers", "rows", &s->spk_rows, s->n_speakers);
}

static int open_features(rvcidx_store *s) {
    char format[64];
    RVCIDX__TRY(rvcidx__h5_attr_read_str(s->file, "format", format, sizeof format, s->path));
    if (strcmp(format, RVCIDX__STORE_FORMAT) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: format '%s' is not an rvcidx store", s->path, format);
    int64_t version = 0;
    RVCIDX__TRY(rvcidx__h5_attr_read_i64(s->file, "format_version", &version, s->path));
    if (version != RVCIDX__STORE_FORMAT_VERSION)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: store format version %lld; this rvcidx reads version %d (re-run ingest)",
                            s->path, (long long)version, RVCIDX__STORE_FORMAT_VERSION);
    if (H5Aexists(s->file, RVCIDX__STORE_ROWS_SHA256) > 0)
        RVCIDX__TRY(rvcidx__h5_attr_read_str(s->file, RVCIDX__STORE_ROWS_SHA256, s->rows_sha256, sizeof s->rows_sha256, s->path));
    s->features = H5Dopen2(s->file, "features", H5P_DEFAULT);
    RVCIDX__H5_CHECK(s->features, s->path, "open /features");
    return rvcidx__h5_matrix_shape(s->features, s->path, "/features", &s->rows, &s->dim);
}

int rvcidx_store_open(const char *path, rvcidx_store **out) {
    if (!path || !out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_store_open: NULL argument");
    *out = NULL;
    rvcidx__h5_init();
    rvcidx_store *s = calloc(1, sizeof *s);
    if (!s) return rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    s->file = s->features = -1;
    snprintf(s->path, sizeof s->path, "%s", path);
    struct stat st;
    int rc = stat(path, &st) == 0 ? rvcidx__require_regular(path) : 0; /* a FIFO would hang HDF5 */
    if (rc == 0 && H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: missing or not an HDF5 file; create it with 'rvcidx ingest'", path);
    }
    if (rc == 0 && (s->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        rc = rvcidx__h5_fail(path, "open the store (on a cluster filesystem without locks, set HDF5_USE_FILE_LOCKING=FALSE)");
    if (rc == 0) rc = open_features(s);
    if (rc == 0) rc = read_tables(s);
    if (rc) {
        rvcidx_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

uint64_t rvcidx_store_rows(const rvcidx_store *s) { return s ? s->rows : 0; }
int rvcidx_store_dim(const rvcidx_store *s) { return s ? s->dim : 0; }
size_t rvcidx_store_source_count(const rvcidx_store *s) { return s ? s->n_sources : 0; }
size_t rvcidx_store_speaker_count(const rvcidx_store *s) { return s ? s->n_speakers : 0; }

static int check_range(const rvcidx_store *s, uint64_t first, uint64_t count) {
    if (first > s->rows || count > s->rows - first)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: rows %llu..%llu are outside the store's %llu rows", s->path,
                            (unsigned long long)first, (unsigned long long)(first + count),
                            (unsigned long long)s->rows);
    return 0;
}

int rvcidx_store_read_rows(rvcidx_store *s, uint64_t first, uint64_t count, float *out) {
    if (!s || (!out && count)) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_store_read_rows: NULL argument");
    RVCIDX__TRY(check_range(s, first, count));
    return rvcidx__h5_read_rows(s->features, s->dim, first, count, out, s->path);
}

int rvcidx__store_rows_sha256(rvcidx_store *s, uint64_t first, uint64_t count, char out[65], void *extra) {
    RVCIDX__TRY(check_range(s, first, count));
    return rvcidx__h5_rows_sha256(s->features, s->dim, first, count, out, extra, s->path);
}

const char *rvcidx__store_recorded_rows_sha256(const rvcidx_store *s) { return s->rows_sha256; }

/* The tables agree with each other and with /features: sources contiguous
 * and in row order, their rows summing to the store's; each speaker's range
 * the span of its sources; the rows and dim attributes those of /features.
 * A table edited in place (a speaker's range moved, names swapped) would
 * otherwise give a per-speaker index another voice's frames. */
static const char *tables_disagree(const rvcidx_store *s) {
    uint64_t at = 0;
    for (size_t i = 0; i < s->n_sources; i++) {
        if (s->src_first_row[i] != at) return "its sources table does not tile its rows";
        at += s->src_rows[i];
    }
    if (at != s->rows) return "its sources table does not add up to its rows";
    int64_t rows_attr = -1, dim_attr = -1;
    if (rvcidx__h5_attr_read_i64(s->file, "rows", &rows_attr, s->path) != 0 || rows_attr != (int64_t)s->rows ||
        rvcidx__h5_attr_read_i64(s->file, "dim", &dim_attr, s->path) != 0 || dim_attr != s->dim)
        return "its rows or dim attribute differs from /features";
    size_t k = 0;
    for (size_t i = 0; i < s->n_sources; k++) {
        if (k >= s->n_speakers || strcmp(s->spk_name[k], s->src_speaker[i]) || s->spk_first_row[k] != s->src_first_row[i])
            return "its speakers table does not match its sources";
        uint64_t rows = 0;
        for (; i < s->n_sources && !strcmp(s->src_speaker[i], s->spk_name[k]); i++) rows += s->src_rows[i];
        if (rows != s->spk_rows[k]) return "its speakers table does not match its sources";
    }
    return k == s->n_speakers ? NULL : "its speakers table does not match its sources";
}

int rvcidx__store_rows_intact(rvcidx_store *s, int check_hash, int *intact, char *why, size_t n) {
    *intact = 0;
    const char *bad_tables = tables_disagree(s);
    if (bad_tables) {
        snprintf(why, n, "%s (edited or damaged)", bad_tables);
        return 0;
    }
    if (!s->rows_sha256[0]) {
        snprintf(why, n, "it records no hash of its rows (written by an rvcidx older than that check)");
        return 0;
    }
    if (!check_hash) return *intact = 1, 0;
    char now[65];
    RVCIDX__TRY(rvcidx__store_rows_sha256(s, 0, s->rows, now, NULL));
    *intact = strcmp(now, s->rows_sha256) == 0;
    if (!*intact) snprintf(why, n, "its rows no longer hash to the sha256 recorded in it (damaged on disk?)");
    return 0;
}

int rvcidx_store_get_source(const rvcidx_store *s, size_t i, rvcidx_store_source *out) {
    if (!s || !out || i >= s->n_sources)
        return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_store_get_source: index out of range");
#define RVCIDX__FILL(name) out->name = s->src_##name[i];
    RVCIDX__SOURCE_STRING_COLUMNS(RVCIDX__FILL)
#undef RVCIDX__FILL
    out->first_row = s->src_first_row[i];
    out->rows = s->src_rows[i];
    return 0;
}

int rvcidx_store_get_speaker(const rvcidx_store *s, size_t i, rvcidx_store_speaker *out) {
    if (!s || !out || i >= s->n_speakers)
        return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_store_get_speaker: index out of range");
    out->name = s->spk_name[i];
    out->first_row = s->spk_first_row[i];
    out->rows = s->spk_rows[i];
    return 0;
}

int rvcidx__is_store_file(const char *path) {
    rvcidx__h5_init();
    if (rvcidx__require_regular(path) != 0 || H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    char format[64] = "";
    int ok = rvcidx__h5_attr_read_str(f, "format", format, sizeof format, path) == 0 &&
             strcmp(format, RVCIDX__STORE_FORMAT) == 0;
    H5Fclose(f);
    return ok;
}

/* The layout rvcidx__store_writer_create gives /features: chunks of whole
 * rows, no filter, native floats. */
static int plain_row_chunks(rvcidx_store *s, uint64_t *chunk_rows) {
    hid_t dcpl = H5Dget_create_plist(s->features), type = H5Dget_type(s->features);
    hsize_t chunk[2] = {0, 0};
    int ok = dcpl >= 0 && type >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_nfilters(dcpl) == 0 &&
             H5Pget_chunk(dcpl, 2, chunk) == 2 && chunk[0] > 0 && chunk[1] == (hsize_t)s->dim &&
             H5Tequal(type, H5T_NATIVE_FLOAT) > 0;
    if (dcpl >= 0) H5Pclose(dcpl);
    if (type >= 0) H5Tclose(type);
    H5Eclear2(H5E_DEFAULT);
    *chunk_rows = chunk[0];
    return ok ? 0 : rvcidx__fail(RVCIDX_EINPUT, "%s: /features is not stored as unfiltered chunks of whole float rows; "
                                 "re-run ingest", s->path);
}

static int chunk_offsets(rvcidx_store *s, uint64_t chunk_rows, uint64_t *offsets, size_t n) {
    uint64_t bytes = chunk_rows * (uint64_t)s->dim * sizeof(float);
    for (size_t c = 0; c < n; c++) {
        hsize_t at[2] = {(hsize_t)c * chunk_rows, 0}, size = 0;
        haddr_t addr = HADDR_UNDEF;
        unsigned mask = 0;
        if (H5Dget_chunk_info_by_coord(s->features, at, &mask, &addr, &size) < 0 || addr == HADDR_UNDEF ||
            size != bytes || mask != 0) {
            H5Eclear2(H5E_DEFAULT);
            return rvcidx__fail(RVCIDX_EINPUT, "%s: /features chunk %zu is missing or not %llu plain bytes; re-run ingest",
                                s->path, c, (unsigned long long)bytes);
        }
        offsets[c] = (uint64_t)addr;
    }
    return 0;
}

int rvcidx__store_raw_rows(rvcidx_store *s, int *fd, uint64_t **offsets, size_t *n_chunks, uint64_t *chunk_rows) {
    *fd = -1, *offsets = NULL, *n_chunks = 0;
    RVCIDX__TRY(plain_row_chunks(s, chunk_rows));
    size_t n = (size_t)((s->rows + *chunk_rows - 1) / *chunk_rows);
    uint64_t *at = malloc(sizeof *at * (n ? n : 1));
    if (!at) return rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory for the chunk table", s->path);
    int rc = chunk_offsets(s, *chunk_rows, at, n);
    int *handle = NULL;
    hid_t fapl = rc == 0 ? H5Fget_access_plist(s->file) : -1;
    int sec2 = fapl >= 0 && H5Pget_driver(fapl) == H5FD_SEC2; /* its handle is a POSIX descriptor */
    if (fapl >= 0) H5Pclose(fapl);
    if (rc == 0 && !sec2) rc = rvcidx__fail(RVCIDX_EINPUT, "%s: opened through a non-POSIX HDF5 driver", s->path);
    if (rc == 0 && (H5Fget_vfd_handle(s->file, H5P_DEFAULT, (void **)&handle) < 0 || !handle || (*fd = dup(*handle)) < 0)) {
        H5Eclear2(H5E_DEFAULT);
        rc = rvcidx__fail(RVCIDX_EIO, "%s: cannot reach the open file's descriptor", s->path);
    }
    if (rc) {
        free(at);
        return rc;
    }
    *offsets = at, *n_chunks = n;
    return 0;
}
