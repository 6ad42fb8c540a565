/* npy_write.c — .npy headers exactly as NumPy writes them: the demo
 * generator's files, and the header an in-memory array would have on disk
 * (so frames handed over in memory hash like the file numpy.save makes). */
#include <stdio.h>
#include <string.h>

#include "base/internal.h"
#include "ingest/npy.h"

int rvcidx__npy_format_header(const char *descr, uint64_t rows, uint64_t cols,
                              unsigned char out[RVCIDX__NPY_HEADER_MAX_FORMAT], size_t *len) {
    char dict[128];
    int dict_len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%llu, %llu), }",
                            descr, (unsigned long long)rows, (unsigned long long)cols);
    if (dict_len < 0 || (size_t)dict_len >= sizeof dict)
        return rvcidx__fail(RVCIDX_EINVAL, "npy header: descr '%.16s' is too long", descr);
    /* magic(6) + version(2) + length(2) + dict + spaces + '\n' is a multiple of 64 */
    size_t total = 10 + (size_t)dict_len + 1;
    size_t padded = (total + 63) / 64 * 64;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    size_t header_len = padded - 10;
    out[8] = (unsigned char)(header_len & 0xff);
    out[9] = (unsigned char)(header_len >> 8);
    memcpy(out + 10, dict, (size_t)dict_len);
    memset(out + 10 + dict_len, ' ', padded - total);
    out[padded - 1] = '\n';
    *len = padded;
    return 0;
}

int rvcidx__npy_write_header_f32(rvcidx__atomic_file *f, uint64_t rows, uint64_t cols) {
    unsigned char header[RVCIDX__NPY_HEADER_MAX_FORMAT];
    size_t len = 0;
    RVCIDX__TRY(rvcidx__npy_format_header("<f4", rows, cols, header, &len));
    return rvcidx__atomic_write(f, header, len);
}
