/* h5util.h — private: checked HDF5 calls and the small pieces every store
 * table is made of (1-D extensible columns, attributes, no timestamps).
 *
 * HDF5 prints its own error stack by default; rvcidx__h5_init() turns that
 * off and rvcidx__h5_fail() turns the innermost HDF5 message into rvcidx's
 * one-line error naming the file.
 */
#ifndef RVCIDX_H5UTIL_H
#define RVCIDX_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Silences HDF5's automatic error printing (once per process). */
void rvcidx__h5_init(void);

/* RVCIDX_EHDF5 with "<path>: cannot <what>: <HDF5's innermost message>". */
int rvcidx__h5_fail(const char *path, const char *what);

/* Every HDF5 call goes through this: a negative result fails naming path. */
#define RVCIDX__H5_CHECK(expr, path, what)                                     \
    do {                                                                       \
        if ((expr) < 0) return rvcidx__h5_fail(path, what);                   \
    } while (0)

/* Variable-length UTF-8 string type (caller closes with H5Tclose). */
hid_t rvcidx__h5_string_type(void);

/* Object creation lists with timestamps off: the same content gives the
 * same bytes (HDF5 stamps objects with their creation time by default). */
hid_t rvcidx__h5_file_create_plist(void);
hid_t rvcidx__h5_dataset_plist(int rank, const hsize_t *chunk);
hid_t rvcidx__h5_group_plist(void);

/* A 1-D, chunked, extensible column dataset of type under loc. */
int rvcidx__h5_column_create(hid_t loc, const char *name, hid_t type, const char *path, hid_t *out);
/* Appends n elements from data (in memory type mtype) to a 1-D column. */
int rvcidx__h5_column_append(hid_t dset, hid_t mtype, size_t n, const void *data, const char *path);
/* Replaces a column's whole content with n elements. */
int rvcidx__h5_column_replace(hid_t dset, hid_t mtype, size_t n, const void *data, const char *path);
/* The [rows, cols] shape of a 2-D dataset; RVCIDX_EINPUT naming what (e.g.
 * "/features") when it is not 2-D with 1..65536 columns. */
int rvcidx__h5_matrix_shape(hid_t dset, const char *path, const char *what, uint64_t *rows, int *cols);

/* Reads rows first..first+count of a 2-D float dataset of dim columns. */
int rvcidx__h5_read_rows(hid_t dset, int dim, uint64_t first, uint64_t count, float *out, const char *path);

/* sha256 (hex into out[65]) of rows [first, first+count) of a 2-D float
 * dataset, as float32 bytes in row order; one streaming pass. Also feeds the
 * bytes to extra (an EVP_MD_CTX, or NULL). */
int rvcidx__h5_rows_sha256(hid_t dset, int dim, uint64_t first, uint64_t count, char out[65], void *extra,
                           const char *path);

/* Number of elements in a 1-D dataset. */
int rvcidx__h5_length(hid_t dset, const char *path, uint64_t *n);

int rvcidx__h5_attr_write_i64(hid_t loc, const char *name, int64_t v, const char *path);
int rvcidx__h5_attr_write_str(hid_t loc, const char *name, const char *v, const char *path);
int rvcidx__h5_attr_read_i64(hid_t loc, const char *name, int64_t *v, const char *path);
/* Reads a string attribute into buf (truncated to n-1 bytes). */
int rvcidx__h5_attr_read_str(hid_t loc, const char *name, char *buf, size_t n, const char *path);



/* Reads a whole 1-D string column as malloc'd copies (free with
 * rvcidx__h5_strings_free) / a whole u64 column (caller frees). */
int rvcidx__h5_column_read_strings(hid_t dset, const char *path, char ***out, size_t *n);
void rvcidx__h5_strings_free(char **strings, size_t n);
int rvcidx__h5_column_read_u64(hid_t dset, const char *path, uint64_t **out, size_t *n);
#endif
