/* row_reader.h — private: single store rows by number, read straight from
 * the file, from any number of threads at once.
 *
 * A one-index build re-ranks its tuning searches with rows read by id
 * instead of holding every row's floats (at 5M x 768, 14.3 GiB). HDF5 reads
 * are serialised by a global lock and cost tens of microseconds each; a
 * store's /features are unfiltered chunks of whole rows, so each row is one
 * pread() at an offset HDF5 gives once per chunk. */
#ifndef RVCIDX_ROW_READER_H
#define RVCIDX_ROW_READER_H

#include <stdint.h>

typedef struct rvcidx__row_reader rvcidx__row_reader;

/* Rows [first, first + rows) of the store at store_path, row 0 being first,
 * as stored (a cosine index's caller normalises them). RVCIDX_EINPUT when
 * the store is not laid out as rvcidx writes it (chunks of whole rows, no
 * filters, native floats). The caller closes it. */
int rvcidx__row_reader_open(const char *store_path, uint64_t first, uint64_t rows, rvcidx__row_reader **out);

/* Row `row` (0-based in the range) into out (dim floats): 0, or -1 on a
 * read error or a row outside the range, which the reader remembers for
 * rvcidx__row_reader_status(). Safe from many threads at once. */
int rvcidx__row_reader_get(rvcidx__row_reader *r, int64_t row, float *out);

/* 0, or RVCIDX_EIO naming the store and the first failed read. */
int rvcidx__row_reader_status(const rvcidx__row_reader *r);

int rvcidx__row_reader_dim(const rvcidx__row_reader *r);
uint64_t rvcidx__row_reader_rows(const rvcidx__row_reader *r);
void rvcidx__row_reader_close(rvcidx__row_reader *r);

#endif
