/* npy.h — private: NumPy .npy files (the format RVC saves features in).
 *
 * The reader is strict on purpose: feature shards come from many machines
 * and tools, and a half-written or odd file must stop the build with a
 * message naming it, never be misread. It accepts C-order 2-D [frames, dim]
 * float arrays in four dtypes and converts them to float32 as NumPy's
 * astype(np.float32) does.
 */
#ifndef RVCIDX_NPY_H
#define RVCIDX_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "base/fsutil.h"

/* The room a formatted header needs at most (a 128-byte dict, padded). */
#define RVCIDX__NPY_HEADER_MAX_FORMAT 192

/* Formats the version 1.0 header NumPy's save writes for a C-order
 * [rows, cols] array of dtype descr ("<f4", ...), padded to a multiple of
 * 64 bytes; *len receives its length. */
int rvcidx__npy_format_header(const char *descr, uint64_t rows, uint64_t cols,
                              unsigned char out[RVCIDX__NPY_HEADER_MAX_FORMAT], size_t *len);

/* Writes that header for a little-endian float32 [rows, cols] array. */
int rvcidx__npy_write_header_f32(rvcidx__atomic_file *f, uint64_t rows, uint64_t cols);

/* The accepted dtypes, exactly as written in the header's 'descr'. Anything
 * else ('|f4', '=f4', '<f16', integers, complex, objects, structured) is
 * rejected with a message listing these four. */
typedef enum rvcidx__npy_dtype {
    RVCIDX__NPY_F4_LE, /* '<f4' */
    RVCIDX__NPY_F4_BE, /* '>f4' */
    RVCIDX__NPY_F2_LE, /* '<f2' */
    RVCIDX__NPY_F8_LE  /* '<f8' */
} rvcidx__npy_dtype;

/* Header length cap, checked before any allocation or read depends on it.
 * NumPy writes about 128 bytes for a 2-D array; the cap only stops a corrupt
 * length field from driving a huge allocation. */
#define RVCIDX__NPY_MAX_HEADER 65536

typedef struct rvcidx__npy_info {
    int major, minor;         /* format version: 1.0, 2.0 or 3.0 */
    rvcidx__npy_dtype dtype;
    int itemsize;             /* bytes per value: 4, 4, 2, 8 */
    char descr[8];            /* as written, e.g. "<f8" */
    uint64_t rows, cols;      /* shape (rows, cols); rows may be 0, cols may not */
    uint64_t data_offset;     /* bytes before the data: magic + version + length field + header */
    uint64_t data_bytes;      /* rows * cols * itemsize, overflow-checked, <= INT64_MAX */
} rvcidx__npy_info;

/* Parses an .npy header from the first len bytes of a file (the whole file
 * or a prefix). Returns 0 and fills *out, or RVCIDX_EINPUT with a message
 * naming `name` when the header is malformed, unsupported, or longer than
 * len ("truncated header"). Pure: no I/O, no allocation. The fuzz target's
 * entry point. */
int rvcidx__npy_parse_header(const char *name, const unsigned char *buf, size_t len,
                             rvcidx__npy_info *out);

typedef struct rvcidx__npy_reader {
    FILE *fp;               /* NULL once closed */
    char *path;             /* copy of the path, for messages */
    rvcidx__npy_info info;
    uint64_t file_bytes;    /* size at open (fstat) */
    uint64_t rows_read;
    unsigned char *raw;     /* the header, then one data chunk at a time */
    EVP_MD_CTX *sha;        /* sha256 over every byte of the file, in order */
    int failed;             /* a call failed: only close is valid now */
    int finished;           /* rvcidx__npy_finish succeeded */
} rvcidx__npy_reader;

/* Data bytes read from the file at a time. The fuzz programs define it
 * small so that inputs of a few hundred bytes cross chunk boundaries. */
#ifndef RVCIDX__NPY_CHUNK
#define RVCIDX__NPY_CHUNK (256 * 1024)
#endif

/* Opens path, reads at most RVCIDX__NPY_MAX_HEADER + 12 bytes to parse the
 * header, checks that the file's size is exactly data_offset + data_bytes
 * (truncated data and trailing bytes are errors, each with its own message)
 * and starts the sha256. On failure nothing stays open and r is closed. */
int rvcidx__npy_open(rvcidx__npy_reader *r, const char *path);

/* Bytes per value of an accepted dtype descr ("<f4" 4, ">f4" 4, "<f2" 2,
 * "<f8" 8); 0 for anything else. */
int rvcidx__npy_descr_itemsize(const char *descr);

/* Opens an array already in memory as if it were the .npy file numpy.save
 * would write for it: the same header, checks, conversion and sha256 (so
 * the same frames in memory and on disk are one source). name is used in
 * messages; data is borrowed and must stay unchanged until close. descr is
 * NumPy's dtype.str; anything but the four accepted dtypes is refused with
 * RVCIDX_EINPUT naming `name`. */
int rvcidx__npy_open_memory(rvcidx__npy_reader *r, const char *name, const char *descr, const void *data,
                            uint64_t rows, uint64_t cols);

/* Reads up to max_rows rows into out (room for max_rows * cols floats),
 * converted to float32; *got receives the row count (0 at the end). A NaN or
 * infinite value (including a float64 beyond float32's range) fails with
 * RVCIDX_EINPUT naming the file and the 0-based row. Reads in chunks of
 * RVCIDX__NPY_CHUNK bytes, never the whole file at once. */
int rvcidx__npy_read_rows(rvcidx__npy_reader *r, float *out, uint64_t max_rows, uint64_t *got);

/* After every row is read: confirms the end of the file and writes the
 * sha256 of all its bytes, header included. */
int rvcidx__npy_finish(rvcidx__npy_reader *r, unsigned char sha256[32]);

/* Closes and frees; safe on a failed or finished reader and when called
 * twice (r must have been passed to rvcidx__npy_open once). */
void rvcidx__npy_close(rvcidx__npy_reader *r);

#endif
