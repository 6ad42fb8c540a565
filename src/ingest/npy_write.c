/* npy_write.c — writes float32 .npy headers (the demo generator's output). */
#include <stdio.h>
#include <string.h>

#include "base/internal.h"
#include "ingest/npy.h"

int rvcidx__npy_write_header_f32(rvcidx__atomic_file *f, uint64_t rows, uint64_t cols) {
    char dict[128];
    int dict_len = snprintf(dict, sizeof dict,
                            "{'descr': '<f4', 'fortran_order': False, 'shape': (%llu, %llu), }",
                            (unsigned long long)rows, (unsigned long long)cols);
    /* magic(6) + version(2) + length(2) + dict + spaces + '\n' is a multiple of 64 */
    size_t total = 10 + (size_t)dict_len + 1;
    size_t padded = (total + 63) / 64 * 64;
    unsigned char header[192];
    memcpy(header, "\x93NUMPY\x01\x00", 8);
    size_t header_len = padded - 10;
    header[8] = (unsigned char)(header_len & 0xff);
    header[9] = (unsigned char)(header_len >> 8);
    memcpy(header + 10, dict, (size_t)dict_len);
    memset(header + 10 + dict_len, ' ', padded - total);
    header[padded - 1] = '\n';
    return rvcidx__atomic_write(f, header, padded);
}
