/* h5util.c — checked HDF5 helpers shared by the store's writer and reader. */
#include "store/h5util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/internal.h"

enum { COLUMN_CHUNK = 4096 };

/* H5dont_atexit: after an H5Fclose that failed (ENOSPC), HDF5 1.10's own
 * exit-time cleanup closes that file again and segfaults (seen in
 * tests/py/test_io_faults.py). rvcidx closes every object it opens, so the
 * cleanup is not needed; it must be turned off before any other HDF5 call:
 * once per process, by whichever thread (builds of several OUTDIRs) comes
 * first. HDF5's printing of its error stack is turned off per thread: the
 * threadsafe HDF5 (Debian's) keeps a default error stack per thread, and the
 * library never prints. */
static void h5_init_once(void) {
    H5dont_atexit();
    hbool_t threadsafe = 0;
    if (H5is_library_threadsafe(&threadsafe) >= 0 && !threadsafe)
        rvcidx__log(RVCIDX_LOG_WARN, "this HDF5 is not a thread-safe build: run one rvcidx build at a time per process");
}

void rvcidx__h5_init(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    static _Thread_local int quiet; /* this thread's error stack prints nothing */
    pthread_once(&once, h5_init_once);
    if (!quiet) H5Eset_auto2(H5E_DEFAULT, NULL, NULL), quiet = 1;
}

typedef struct h5_err_text {
    char text[512];
} h5_err_text;

/* Keeps the last (innermost) description on the stack: the most specific. */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *e, void *data) {
    h5_err_text *t = data;
    if (e->desc && e->desc[0]) snprintf(t->text, sizeof t->text, "%s", e->desc);
    (void)n;
    return 0;
}

int rvcidx__h5_fail(const char *path, const char *what) {
    int err = errno; /* the failed write's, before HDF5's error walk */
    if (err == ENOSPC || err == EDQUOT) {
        H5Eclear2(H5E_DEFAULT);
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot %s: %s; free space on that filesystem (or raise the quota), or "
                            "build into another directory", path, what,
                            err == ENOSPC ? "no space left on device" : "disk quota exceeded");
    }
    h5_err_text t = {"unknown HDF5 error"};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &t);
    H5Eclear2(H5E_DEFAULT);
    return rvcidx__fail(RVCIDX_EHDF5, "%s: cannot %s: %s", path, what, t.text);
}

hid_t rvcidx__h5_string_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

hid_t rvcidx__h5_file_create_plist(void) {
    hid_t p = H5Pcreate(H5P_FILE_CREATE);
    if (p >= 0 && H5Pset_obj_track_times(p, 0) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

hid_t rvcidx__h5_dataset_plist(int rank, const hsize_t *chunk) {
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    if (p >= 0 && (H5Pset_obj_track_times(p, 0) < 0 || H5Pset_chunk(p, rank, chunk) < 0)) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

hid_t rvcidx__h5_group_plist(void) {
    hid_t p = H5Pcreate(H5P_GROUP_CREATE);
    if (p >= 0 && H5Pset_obj_track_times(p, 0) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

int rvcidx__h5_column_create(hid_t loc, const char *name, hid_t type, const char *path, hid_t *out) {
    hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = COLUMN_CHUNK;
    hid_t space = H5Screate_simple(1, &dims, &maxdims);
    hid_t dcpl = rvcidx__h5_dataset_plist(1, &chunk);
    hid_t dset = space >= 0 && dcpl >= 0
                     ? H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)
                     : -1;
    if (space >= 0) H5Sclose(space);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (dset < 0) return rvcidx__h5_fail(path, "create a table column");
    *out = dset;
    return 0;
}

int rvcidx__h5_length(hid_t dset, const char *path, uint64_t *n) {
    hid_t space = H5Dget_space(dset);
    if (space < 0) return rvcidx__h5_fail(path, "read a dataset's size");
    hsize_t dims[2] = {0, 0};
    int rank = H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    if (rank < 1) return rvcidx__h5_fail(path, "read a dataset's size");
    *n = dims[0];
    return 0;
}

int rvcidx__h5_matrix_shape(hid_t dset, const char *path, const char *what, uint64_t *rows, int *cols) {
    hid_t space = H5Dget_space(dset);
    hsize_t dims[2] = {0, 0};
    int rank = space >= 0 && H5Sget_simple_extent_ndims(space) == 2 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
    if (space >= 0) H5Sclose(space);
    if (rank != 2 || dims[1] == 0 || dims[1] > 65536)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %s is not a [rows, dim] dataset", path, what);
    *rows = dims[0];
    *cols = (int)dims[1];
    return 0;
}

static int column_write_at(hid_t dset, hid_t mtype, hsize_t start, size_t n, const void *data,
                           const char *path) {
    hsize_t count = n;
    hid_t fspace = H5Dget_space(dset);
    hid_t mspace = H5Screate_simple(1, &count, NULL);
    herr_t rc = fspace >= 0 && mspace >= 0
                    ? H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL)
                    : -1;
    if (rc >= 0) rc = H5Dwrite(dset, mtype, mspace, fspace, H5P_DEFAULT, data);
    if (fspace >= 0) H5Sclose(fspace);
    if (mspace >= 0) H5Sclose(mspace);
    return rc < 0 ? rvcidx__h5_fail(path, "write a table column") : 0;
}

int rvcidx__h5_column_append(hid_t dset, hid_t mtype, size_t n, const void *data, const char *path) {
    if (n == 0) return 0;
    uint64_t len = 0;
    RVCIDX__TRY(rvcidx__h5_length(dset, path, &len));
    hsize_t new_len = len + n;
    RVCIDX__H5_CHECK(H5Dset_extent(dset, &new_len), path, "extend a table column");
    return column_write_at(dset, mtype, len, n, data, path);
}

int rvcidx__h5_column_replace(hid_t dset, hid_t mtype, size_t n, const void *data, const char *path) {
    hsize_t new_len = n;
    RVCIDX__H5_CHECK(H5Dset_extent(dset, &new_len), path, "resize a table column");
    return n ? column_write_at(dset, mtype, 0, n, data, path) : 0;
}

static int attr_write(hid_t loc, const char *name, hid_t type, const void *v, const char *path) {
    hid_t space = H5Screate(H5S_SCALAR);
    if (space < 0) return rvcidx__h5_fail(path, "write an attribute");
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = attr >= 0 ? H5Awrite(attr, type, v) : -1;
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(space);
    return rc < 0 ? rvcidx__h5_fail(path, "write an attribute") : 0;
}

int rvcidx__h5_attr_write_i64(hid_t loc, const char *name, int64_t v, const char *path) {
    return attr_write(loc, name, H5T_NATIVE_INT64, &v, path);
}

int rvcidx__h5_attr_write_str(hid_t loc, const char *name, const char *v, const char *path) {
    hid_t t = rvcidx__h5_string_type();
    if (t < 0) return rvcidx__h5_fail(path, "write an attribute");
    int rc = attr_write(loc, name, t, &v, path);
    H5Tclose(t);
    return rc;
}

int rvcidx__h5_attr_read_i64(hid_t loc, const char *name, int64_t *v, const char *path) {
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    herr_t rc = attr >= 0 ? H5Aread(attr, H5T_NATIVE_INT64, v) : -1;
    if (attr >= 0) H5Aclose(attr);
    if (rc < 0) {
        H5Eclear2(H5E_DEFAULT);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: not an rvcidx store (no '%s' attribute)", path, name);
    }
    return 0;
}

int rvcidx__h5_attr_read_str(hid_t loc, const char *name, char *buf, size_t n, const char *path) {
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = rvcidx__h5_string_type();
    char *value = NULL;
    herr_t rc = attr >= 0 && t >= 0 ? H5Aread(attr, t, &value) : -1;
    if (rc >= 0) snprintf(buf, n, "%s", value ? value : "");
    if (value) H5free_memory(value);
    if (t >= 0) H5Tclose(t);
    if (attr >= 0) H5Aclose(attr);
    if (rc < 0) {
        H5Eclear2(H5E_DEFAULT);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: not an rvcidx store (no '%s' attribute)", path, name);
    }
    return 0;
}

void rvcidx__h5_strings_free(char **strings, size_t n) {
    if (!strings) return;
    for (size_t i = 0; i < n; i++) free(strings[i]);
    free(strings);
}

int rvcidx__h5_column_read_strings(hid_t dset, const char *path, char ***out, size_t *n) {
    uint64_t len = 0;
    RVCIDX__TRY(rvcidx__h5_length(dset, path, &len));
    *out = NULL;
    *n = 0;
    char **raw = calloc(len ? len : 1, sizeof *raw);
    char **copy = calloc(len ? len : 1, sizeof *copy);
    hid_t type = rvcidx__h5_string_type();
    hid_t space = H5Dget_space(dset);
    int rc = raw && copy ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory reading a table", path);
    if (rc == 0 && len && H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
        rc = rvcidx__h5_fail(path, "read a table column");
    for (uint64_t i = 0; rc == 0 && i < len; i++)
        if (!(copy[i] = strdup(raw[i] ? raw[i] : "")))
            rc = rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory reading a table", path);
    if (raw && len && type >= 0 && space >= 0) H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw);
    free(raw);
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if (rc) {
        rvcidx__h5_strings_free(copy, len);
        return rc;
    }
    *out = copy;
    *n = len;
    return 0;
}

int rvcidx__h5_column_read_u64(hid_t dset, const char *path, uint64_t **out, size_t *n) {
    uint64_t len = 0;
    RVCIDX__TRY(rvcidx__h5_length(dset, path, &len));
    uint64_t *v = calloc(len ? len : 1, sizeof *v);
    if (!v) return rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory reading a table", path);
    if (len && H5Dread(dset, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        free(v);
        return rvcidx__h5_fail(path, "read a table column");
    }
    *out = v;
    *n = len;
    return 0;
}

int rvcidx__h5_read_rows(hid_t dset, int dim, uint64_t first, uint64_t count, float *out, const char *path) {
    if (count == 0) return 0;
    hsize_t start[2] = {first, 0}, n[2] = {count, (hsize_t)dim};
    hid_t fspace = H5Dget_space(dset);
    hid_t mspace = H5Screate_simple(2, n, NULL);
    herr_t rc = fspace >= 0 && mspace >= 0 ? H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, n, NULL) : -1;
    if (rc >= 0) rc = H5Dread(dset, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, out);
    if (fspace >= 0) H5Sclose(fspace);
    if (mspace >= 0) H5Sclose(mspace);
    RVCIDX__H5_CHECK(rc, path, "read /features");
    return 0;
}

int rvcidx__h5_rows_sha256(hid_t dset, int dim, uint64_t first, uint64_t count, char out[65], void *extra,
                           const char *path) {
    enum { BLOCK_BYTES = 8 << 20 };
    uint64_t block = BLOCK_BYTES / ((uint64_t)dim * sizeof(float));
    if (block == 0) block = 1;
    float *buf = malloc(block * (size_t)dim * sizeof(float));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = buf && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory hashing rows", path);
    for (uint64_t at = first; rc == 0 && at < first + count; at += block) {
        uint64_t n = first + count - at < block ? first + count - at : block;
        size_t bytes = (size_t)n * (size_t)dim * sizeof(float);
        rc = rvcidx__h5_read_rows(dset, dim, at, n, buf, path);
        if (rc == 0 && (EVP_DigestUpdate(ctx, buf, bytes) != 1 || (extra && EVP_DigestUpdate(extra, buf, bytes) != 1)))
            rc = rvcidx__fail(RVCIDX_ENOMEM, "%s: sha256 failed", path);
    }
    if (rc == 0) rc = rvcidx__sha256_final_hex(ctx, out);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}
