/* centroids.c — reads and writes the centroids artifact (HDF5). */
#include "index/centroids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "store/h5util.h"
#include "base/internal.h"
#include "rvcidx/version.h"

#define CENTROIDS_FORMAT "rvcidx-centroids"

static int write_matrix(hid_t file, const rvcidx__centroids *c, const char *path) {
    hsize_t dims[2] = {(hsize_t)c->nlist, (hsize_t)c->dim};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = rvcidx__h5_dataset_plist(2, dims);
    hid_t d = space >= 0 && dcpl >= 0 ? H5Dcreate2(file, "centroids", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT) : -1;
    herr_t rc = d >= 0 ? H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, c->data) : -1;
    if (d >= 0) H5Dclose(d);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return rc < 0 ? rvcidx__h5_fail(path, "write /centroids") : 0;
}

static int write_attributes(hid_t f, const rvcidx__centroids *c, const char *p) {
    RVCIDX__TRY(rvcidx__h5_attr_write_str(f, "format", CENTROIDS_FORMAT, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(f, "dim", c->dim, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(f, "nlist", c->nlist, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_str(f, "metric", c->metric, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(f, "seed", (int64_t)c->seed, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(f, "iterations", c->iterations, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(f, "train_rows", (int64_t)c->train_rows, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(f, "store_first_row", (int64_t)c->first_row, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_i64(f, "store_rows", (int64_t)c->rows, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_str(f, "sample_sha256", c->sample_sha256, p));
    RVCIDX__TRY(rvcidx__h5_attr_write_str(f, "device", c->device, p));
    return rvcidx__h5_attr_write_str(f, "rvcidx_version", rvcidx_version(), p);
}

int rvcidx__centroids_write(const char *path, const rvcidx__centroids *c) {
    rvcidx__h5_init();
    char tmp[PATH_MAX], via[64];
    int fd;
    RVCIDX__TRY(rvcidx__tmp_create(path, tmp, sizeof tmp, &fd));
    rvcidx__fd_path(fd, via, sizeof via); /* HDF5 opens the file created above, not what the name may point to now */
    hid_t fcpl = rvcidx__h5_file_create_plist();
    hid_t f = fcpl >= 0 ? H5Fcreate(via, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT) : -1;
    if (fcpl >= 0) H5Pclose(fcpl);
    close(fd);
    if (f < 0) return rvcidx__h5_fail(path, "create the centroids file (is the directory writable?)");
    int rc = write_matrix(f, c, path);
    if (rc == 0) rc = write_attributes(f, c, path);
    if (H5Fclose(f) < 0 && rc == 0) rc = rvcidx__h5_fail(path, "write the centroids file (disk full?)");
    if (rc) {
        unlink(tmp);
        return rc;
    }
    return rvcidx__publish_file(tmp, path);
}

void rvcidx__centroids_free(rvcidx__centroids *c) {
    free(c->data);
    c->data = NULL;
}

static int read_attributes(hid_t f, rvcidx__centroids *c, const char *p) {
    char format[64];
    int64_t v = 0;
    RVCIDX__TRY(rvcidx__h5_attr_read_str(f, "format", format, sizeof format, p));
    if (strcmp(format, CENTROIDS_FORMAT) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: not an rvcidx centroids file", p);
    RVCIDX__TRY(rvcidx__h5_attr_read_i64(f, "dim", &v, p));
    c->dim = (int)v;
    RVCIDX__TRY(rvcidx__h5_attr_read_i64(f, "nlist", &c->nlist, p));
    RVCIDX__TRY(rvcidx__h5_attr_read_str(f, "metric", c->metric, sizeof c->metric, p));
    RVCIDX__TRY(rvcidx__h5_attr_read_i64(f, "seed", &v, p));
    c->seed = (uint64_t)v;
    RVCIDX__TRY(rvcidx__h5_attr_read_i64(f, "iterations", &v, p));
    c->iterations = (int)v;
    RVCIDX__TRY(rvcidx__h5_attr_read_i64(f, "train_rows", &v, p));
    c->train_rows = (uint64_t)v;
    RVCIDX__TRY(rvcidx__h5_attr_read_i64(f, "store_first_row", &v, p));
    c->first_row = (uint64_t)v;
    RVCIDX__TRY(rvcidx__h5_attr_read_i64(f, "store_rows", &v, p));
    c->rows = (uint64_t)v;
    RVCIDX__TRY(rvcidx__h5_attr_read_str(f, "sample_sha256", c->sample_sha256, sizeof c->sample_sha256, p));
    return rvcidx__h5_attr_read_str(f, "device", c->device, sizeof c->device, p);
}

static int read_matrix(hid_t f, rvcidx__centroids *c, const char *p) {
    if (c->dim <= 0 || c->dim > 65536 || c->nlist <= 0 || c->nlist > (1 << 26))
        return rvcidx__fail(RVCIDX_EINPUT, "%s: implausible dim %d or nlist %lld", p, c->dim, (long long)c->nlist);
    hid_t d = H5Dopen2(f, "centroids", H5P_DEFAULT);
    if (d < 0) return rvcidx__h5_fail(p, "open /centroids");
    uint64_t rows = 0;
    int cols = 0;
    int rc = rvcidx__h5_matrix_shape(d, p, "/centroids", &rows, &cols);
    if (rc == 0 && (rows != (uint64_t)c->nlist || cols != c->dim))
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: /centroids is not [%lld, %d]", p, (long long)c->nlist, c->dim);
    if (rc == 0 && !(c->data = malloc(sizeof(float) * (size_t)c->nlist * (size_t)c->dim)))
        rc = rvcidx__fail(RVCIDX_ENOMEM, "out of memory");
    if (rc == 0 && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, c->data) < 0)
        rc = rvcidx__h5_fail(p, "read /centroids");
    H5Dclose(d);
    return rc;
}

int rvcidx__centroids_read(const char *path, rvcidx__centroids *c) {
    rvcidx__h5_init();
    memset(c, 0, sizeof *c);
    if (access(path, F_OK) == 0) RVCIDX__TRY(rvcidx__require_regular(path)); /* a FIFO would hang HDF5 */
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return rvcidx__fail(RVCIDX_EINPUT, "%s: missing or not an HDF5 file; create it with 'rvcidx train'", path);
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return rvcidx__h5_fail(path, "open the centroids file");
    int rc = read_attributes(f, c, path);
    if (rc == 0) rc = read_matrix(f, c, path);
    H5Fclose(f);
    if (rc) rvcidx__centroids_free(c);
    return rc;
}
