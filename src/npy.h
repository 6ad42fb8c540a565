/* npy.h — private: NumPy .npy files (the format RVC saves features in). */
#ifndef RVCIDX_NPY_H
#define RVCIDX_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "fsutil.h"

/* Writes a version 1.0 header for a C-order little-endian float32 [rows, cols]
 * array, padded to a multiple of 64 bytes as current NumPy writes it. */
int rvcidx__npy_write_header_f32(rvcidx__atomic_file *f, uint64_t rows, uint64_t cols);

#endif
