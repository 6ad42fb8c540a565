/* npy_read.c — the strict .npy reader for the feature shards RVC training
 * writes, the one input rvcidx takes from outside and must not misread.
 *
 * The header parser is pure (no I/O, no allocation) so it can be fuzzed on its
 * own; it avoids the bugs other C .npy readers shipped: the length field is
 * capped before anything depends on it, v2/v3 lengths are 4 bytes, every read
 * is bounds-checked, numbers are parsed by hand (no locale, no sign, no
 * overflow) and the size product is overflow-checked. The reader streams the
 * data in bounded chunks, converts it to float32 exactly as NumPy's
 * astype(np.float32) does, rejects NaN/Inf by row, and hashes every byte.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fsutil.h"
#include "base/internal.h"
#include "ingest/npy.h"

#define RESAVE "re-save the array with numpy.save"
#define MAX_DIM ((uint64_t)1 << 53) /* shape entries above this are corrupt */

#define HEADER_READ (RVCIDX__NPY_MAX_HEADER + 12) /* the most read to find the header */
/* The raw buffer holds the header prefix first, then one data chunk at a time. */
#define RAW_BYTES (RVCIDX__NPY_CHUNK > HEADER_READ ? RVCIDX__NPY_CHUNK : HEADER_READ)
_Static_assert(RVCIDX__NPY_CHUNK >= 8, "a chunk must hold one value of every dtype");

/* ---- header: magic, version and length field --------------------------- */

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static int fail_truncated(const char *name, size_t len, uint64_t need) {
    return rvcidx__fail(RVCIDX_EINPUT,
                        "%s: truncated header (%zu bytes, the header needs %llu); the file is "
                        "incomplete: re-run feature extraction for it",
                        name, len, (unsigned long long)need);
}

/* Checks magic, version and length field; sets version and data_offset. */
static int parse_preamble(const char *name, const unsigned char *buf, size_t len,
                          rvcidx__npy_info *out) {
    if (len == 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: file is empty (0 bytes); delete it or re-run "
                                           "feature extraction for it", name);
    if (memcmp(buf, npy_magic, len < 6 ? len : 6) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: not a NumPy .npy file (bad magic bytes); pass "
                                           "only the .npy feature files RVC writes", name);
    if (len < 8) return fail_truncated(name, len, 8);
    out->major = buf[6];
    out->minor = buf[7];
    if (out->major < 1 || out->major > 3 || out->minor != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: unsupported .npy format version %d.%d (supported: "
                                           "1.0, 2.0, 3.0); " RESAVE, name, out->major, out->minor);
    size_t prefix = out->major == 1 ? 10 : 12; /* v1 has a 2-byte length, v2/v3 a 4-byte one */
    if (len < prefix) return fail_truncated(name, len, prefix);
    uint64_t header_len = (uint64_t)buf[8] | (uint64_t)buf[9] << 8;
    if (out->major > 1) header_len |= (uint64_t)buf[10] << 16 | (uint64_t)buf[11] << 24;
    if (header_len > RVCIDX__NPY_MAX_HEADER)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: header length %llu exceeds the limit of %d bytes; "
                                           "the file is corrupt: " RESAVE,
                            name, (unsigned long long)header_len, RVCIDX__NPY_MAX_HEADER);
    out->data_offset = prefix + header_len;
    if (len < out->data_offset) return fail_truncated(name, len, out->data_offset);
    return 0;
}

/* The header text must be ASCII (v3's UTF-8 included) and end with '\n'. */
static int check_header_text(const char *name, const unsigned char *text, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (text[i] > 0x7f)
            return rvcidx__fail(RVCIDX_EINPUT, "%s: header byte %zu is not ASCII; "
                                               RESAVE, name, i);
    if (len == 0 || text[len - 1] != '\n')
        return rvcidx__fail(RVCIDX_EINPUT, "%s: header does not end with a newline; the file is "
                                           "corrupt: " RESAVE, name);
    return 0;
}

/* ---- header: the Python dict literal ------------------------------------ */

typedef struct hdr_cursor {
    const char *name;                /* file name, for messages */
    const unsigned char *text, *p;   /* start of the header text, position */
    const unsigned char *end;        /* the final '\n' (excluded) */
} hdr_cursor;

enum { KEY_DESCR = 1, KEY_FORTRAN = 2, KEY_SHAPE = 4 };

/* The next byte, or -1 at the end: every read goes through here or checks end. */
static int peek(const hdr_cursor *c) { return c->p < c->end ? *c->p : -1; }

static int fail_syntax(const hdr_cursor *c, const char *expected) {
    return rvcidx__fail(RVCIDX_EINPUT, "%s: malformed header dictionary at header byte %zu: "
                                       "expected %s; " RESAVE,
                        c->name, (size_t)(c->p - c->text), expected);
}

/* Whitespace Python allows between tokens inside braces. */
static void skip_ws(hdr_cursor *c) {
    while (peek(c) == ' ' || peek(c) == '\t' || peek(c) == '\n' || peek(c) == '\r') c->p++;
}

static int expect_char(hdr_cursor *c, char ch, const char *expected) {
    skip_ws(c);
    if (peek(c) != ch) return fail_syntax(c, expected);
    c->p++;
    return 0;
}

/* A quoted string without escapes; the first cap-1 bytes go to buf (NUL-terminated),
 * *len gets the full length so a longer string never matches a short name. */
static int parse_string(hdr_cursor *c, char *buf, size_t cap, size_t *len) {
    skip_ws(c);
    int quote = peek(c);
    if (quote != '\'' && quote != '"') return fail_syntax(c, "a quoted string");
    c->p++;
    size_t n = 0;
    for (int ch = peek(c); ch != quote; ch = peek(c)) {
        if (ch < 0x20 || ch > 0x7e || ch == '\\') return fail_syntax(c, "a plain quoted string");
        if (n + 1 < cap) buf[n] = (char)ch;
        n++;
        c->p++;
    }
    c->p++;
    buf[n < cap ? n : cap - 1] = '\0';
    *len = n;
    return 0;
}

static int parse_descr(hdr_cursor *c, rvcidx__npy_info *out) {
    static const struct { const char *descr; rvcidx__npy_dtype dtype; int itemsize; } accepted[] = {
        {"<f4", RVCIDX__NPY_F4_LE, 4}, {">f4", RVCIDX__NPY_F4_BE, 4},
        {"<f2", RVCIDX__NPY_F2_LE, 2}, {"<f8", RVCIDX__NPY_F8_LE, 8}};
    char descr[24];
    size_t len = 0;
    skip_ws(c);
    if (peek(c) != '\'' && peek(c) != '"')
        return rvcidx__fail(RVCIDX_EINPUT, "%s: unsupported dtype: 'descr' is not a "
                                           "dtype string (structured arrays are not supported), "
                                           "accepted: '<f4', '>f4', '<f2', '<f8'; save the "
                                           "features with a.astype(np.float32)", c->name);
    RVCIDX__TRY(parse_string(c, descr, sizeof descr, &len));
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        if (len != 3 || strcmp(descr, accepted[i].descr) != 0) continue;
        memcpy(out->descr, descr, 4);
        out->dtype = accepted[i].dtype;
        out->itemsize = accepted[i].itemsize;
        return 0;
    }
    return rvcidx__fail(RVCIDX_EINPUT, "%s: unsupported dtype '%s%s' (accepted: '<f4', '>f4', "
                                       "'<f2', '<f8'); save the features with a.astype(np.float32)",
                        c->name, descr, len >= sizeof descr ? "..." : "");
}

static int parse_fortran_order(hdr_cursor *c) {
    skip_ws(c);
    const unsigned char *word = c->p;
    while (peek(c) >= 'A' && peek(c) <= 'z') c->p++;
    size_t len = (size_t)(c->p - word);
    if (len == 5 && memcmp(word, "False", 5) == 0) return 0;
    if (len == 4 && memcmp(word, "True", 4) == 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: Fortran-order arrays are not supported; save with "
                                           "np.ascontiguousarray", c->name);
    c->p = word;
    return fail_syntax(c, "True or False for 'fortran_order'");
}

/* A non-negative decimal integer <= 2^53, digits only, no leading zeros. */
static int parse_dim(hdr_cursor *c, uint64_t *value) {
    skip_ws(c);
    int ch = peek(c);
    if (ch < '0' || ch > '9')
        return rvcidx__fail(RVCIDX_EINPUT, "%s: shape entries must be non-negative integers (found "
                                           "'%c' at header byte %zu); " RESAVE,
                            c->name, ch > 0x20 && ch < 0x7f ? ch : '?', (size_t)(c->p - c->text));
    if (ch == '0' && c->p + 1 < c->end && c->p[1] >= '0' && c->p[1] <= '9')
        return fail_syntax(c, "a shape entry without leading zeros");
    uint64_t v = 0;
    for (ch = peek(c); ch >= '0' && ch <= '9'; ch = peek(c)) {
        v = v * 10 + (uint64_t)(ch - '0'); /* v <= 2^53 here, so no wrap */
        if (v > MAX_DIM)
            return rvcidx__fail(RVCIDX_EINPUT, "%s: shape entry exceeds 2^53; the file is corrupt: "
                                               RESAVE, c->name);
        c->p++;
    }
    *value = v;
    return 0;
}

/* A tuple of dims: "(r, c)", "(r, c,)"; anything but 2 entries is an error. */
static int parse_shape(hdr_cursor *c, rvcidx__npy_info *out) {
    RVCIDX__TRY(expect_char(c, '(', "a tuple '(' for 'shape'"));
    uint64_t dims[2] = {0, 0};
    size_t ndim = 0;
    int trailing_comma = 0;
    for (skip_ws(c); peek(c) != ')'; skip_ws(c)) {
        uint64_t v = 0;
        RVCIDX__TRY(parse_dim(c, &v));
        if (ndim < 2) dims[ndim] = v;
        ndim++;
        skip_ws(c);
        trailing_comma = peek(c) == ',';
        if (trailing_comma) c->p++;
        else if (peek(c) != ')') return fail_syntax(c, "',' or ')' in 'shape'");
    }
    c->p++;
    if (ndim == 1 && !trailing_comma) return fail_syntax(c, "a tuple for 'shape' (1-D is '(n,)')");
    if (ndim != 2)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: array is %zu-D, expected 2-D [frames, dim]; save "
                                           "the features as a [frames, dim] array", c->name, ndim);
    out->rows = dims[0];
    out->cols = dims[1];
    return 0;
}

/* One "'key': value" pair; each of the three keys exactly once. */
static int parse_entry(hdr_cursor *c, rvcidx__npy_info *out, int *seen) {
    char key[24];
    size_t len = 0;
    RVCIDX__TRY(parse_string(c, key, sizeof key, &len));
    int which = len >= sizeof key ? 0
                : strcmp(key, "descr") == 0 ? KEY_DESCR
                : strcmp(key, "fortran_order") == 0 ? KEY_FORTRAN
                : strcmp(key, "shape") == 0 ? KEY_SHAPE : 0;
    if (which == 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: header has an unknown key '%s%s' (expected only "
                                           "'descr', 'fortran_order', 'shape'); " RESAVE,
                            c->name, key, len >= sizeof key ? "..." : "");
    if (*seen & which)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: header has a duplicate key '%s'; " RESAVE,
                            c->name, key);
    *seen |= which;
    RVCIDX__TRY(expect_char(c, ':', "':' after a key"));
    if (which == KEY_DESCR) return parse_descr(c, out);
    if (which == KEY_FORTRAN) return parse_fortran_order(c);
    return parse_shape(c, out);
}

static int check_all_keys(const hdr_cursor *c, int seen) {
    const char *missing = !(seen & KEY_DESCR)     ? "descr"
                          : !(seen & KEY_FORTRAN) ? "fortran_order"
                          : !(seen & KEY_SHAPE)   ? "shape" : NULL;
    if (!missing) return 0;
    return rvcidx__fail(RVCIDX_EINPUT, "%s: header has no '%s' key; " RESAVE, c->name, missing);
}

/* "{...}" then only spaces up to the final '\n' (which c->end points at). */
static int parse_dict(hdr_cursor *c, rvcidx__npy_info *out) {
    while (peek(c) == ' ' || peek(c) == '\t') c->p++; /* literal_eval strips these */
    if (peek(c) != '{') return fail_syntax(c, "'{' starting the header dictionary");
    c->p++;
    int seen = 0;
    for (skip_ws(c); peek(c) != '}'; skip_ws(c)) {
        RVCIDX__TRY(parse_entry(c, out, &seen));
        skip_ws(c);
        if (peek(c) == ',') c->p++;
        else if (peek(c) != '}') return fail_syntax(c, "',' or '}' after a value");
    }
    c->p++;
    while (peek(c) == ' ') c->p++;
    if (c->p != c->end) return fail_syntax(c, "only spaces after '}'");
    return check_all_keys(c, seen);
}

/* rows * cols * itemsize, refusing anything that overflows or exceeds INT64_MAX. */
static int compute_data_bytes(const char *name, rvcidx__npy_info *out) {
    if (out->cols == 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: shape (%llu, 0) has zero columns; save the "
                                           "features as a [frames, dim] array with dim > 0",
                            name, (unsigned long long)out->rows);
    uint64_t size = (uint64_t)out->itemsize;
    if (out->rows > UINT64_MAX / out->cols || out->rows * out->cols > UINT64_MAX / size ||
        out->rows * out->cols * size > (uint64_t)INT64_MAX)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: shape (%llu, %llu) is too large to address; the "
                                           "file is corrupt: " RESAVE,
                            name, (unsigned long long)out->rows, (unsigned long long)out->cols);
    out->data_bytes = out->rows * out->cols * size;
    return 0;
}

int rvcidx__npy_parse_header(const char *name, const unsigned char *buf, size_t len,
                             rvcidx__npy_info *out) {
    memset(out, 0, sizeof *out);
    RVCIDX__TRY(parse_preamble(name, buf, len, out));
    size_t text_start = out->major == 1 ? 10 : 12;
    size_t text_len = (size_t)out->data_offset - text_start;
    RVCIDX__TRY(check_header_text(name, buf + text_start, text_len));
    hdr_cursor c = {name, buf + text_start, buf + text_start, buf + text_start + text_len - 1};
    RVCIDX__TRY(parse_dict(&c, out));
    return compute_data_bytes(name, out);
}

/* ---- conversion to float32 ---------------------------------------------- */

/* Byte-order independent loads: the file's order, whatever the host's. */
static uint16_t load_le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t load_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t load_be32(const unsigned char *p) {
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static float float_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* IEEE binary16 -> binary32, exact for every input (float32 holds them all). */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    if (exponent == 0x1f) /* inf or NaN: keep the payload */
        return float_from_bits(sign | 0x7f800000u | mantissa << 13);
    if (exponent != 0) /* normal: rebias 15 -> 127 */
        return float_from_bits(sign | (exponent + 112) << 23 | mantissa << 13);
    float magnitude = (float)mantissa * 0x1p-24f; /* zero or subnormal: exact */
    return sign ? -magnitude : magnitude;
}

static double load_le_double(const unsigned char *p) {
    uint64_t bits = (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static void convert(rvcidx__npy_dtype dtype, const unsigned char *raw, float *out, size_t n) {
    switch (dtype) {
    case RVCIDX__NPY_F4_LE:
        for (size_t i = 0; i < n; i++) out[i] = float_from_bits(load_le32(raw + 4 * i));
        break;
    case RVCIDX__NPY_F4_BE:
        for (size_t i = 0; i < n; i++) out[i] = float_from_bits(load_be32(raw + 4 * i));
        break;
    case RVCIDX__NPY_F2_LE:
        for (size_t i = 0; i < n; i++) out[i] = half_to_float(load_le16(raw + 2 * i));
        break;
    case RVCIDX__NPY_F8_LE: /* round to nearest, overflow to inf (IEEE), as NumPy does */
        for (size_t i = 0; i < n; i++) out[i] = (float)load_le_double(raw + 8 * i);
        break;
    }
}

static size_t first_non_finite(const float *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return i;
    return n;
}

/* ---- the reader ---------------------------------------------------------- */

static int read_exact(rvcidx__npy_reader *r, void *buf, size_t n) {
    if (fread(buf, 1, n, r->fp) == n) return 0;
    if (ferror(r->fp))
        return rvcidx__fail(RVCIDX_EIO, "%s: read failed: %s; check the disk and filesystem",
                            r->path, strerror(errno));
    return rvcidx__fail(RVCIDX_EIO, "%s: file ended early (was it changed while being read?); "
                                    "run again once nothing writes to it", r->path);
}

static int hash_bytes(rvcidx__npy_reader *r, const void *data, size_t n) {
    if (EVP_DigestUpdate(r->sha, data, n) == 1) return 0;
    return rvcidx__fail(RVCIDX_EIO, "%s: sha256 update failed (OpenSSL); check the OpenSSL "
                                    "installation", r->path);
}

/* The path copy, raw buffer and hash state of an opened stream. */
static int init_state(rvcidx__npy_reader *r, const char *path) {
    r->path = strdup(path);
    r->raw = malloc(RAW_BYTES);
    r->sha = EVP_MD_CTX_new();
    if (!r->path || !r->raw || !r->sha)
        return rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory opening the file; free memory and "
                                           "run again", path);
    if (EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL) != 1)
        return rvcidx__fail(RVCIDX_EIO, "%s: sha256 unavailable (OpenSSL); check the OpenSSL "
                                        "installation", path);
    return 0;
}

/* Opens without blocking (a FIFO among the shards must not hang a nightly
 * job), regular files only. */
static int open_file(rvcidx__npy_reader *r, const char *path) {
    RVCIDX__TRY(rvcidx__fopen_input(path, &r->fp));
    struct stat st;
    if (fstat(fileno(r->fp), &st) != 0)
        return rvcidx__fail(RVCIDX_EIO, "%s: cannot stat: %s; check the path and its permissions",
                            path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return rvcidx__fail(RVCIDX_EINPUT, "%s: not a regular file; pass .npy files or the "
                                           "directories holding them", path);
    r->file_bytes = (uint64_t)st.st_size;
    return init_state(r, path);
}

/* ---- an array in memory, read as the file numpy.save would write ------- */

typedef struct memory_file {
    unsigned char header[RVCIDX__NPY_HEADER_MAX_FORMAT];
    size_t header_len;
    const unsigned char *data;
    uint64_t data_len, pos; /* pos counts from the header's first byte */
} memory_file;

static ssize_t memory_read(void *cookie, char *buf, size_t n) {
    memory_file *m = cookie;
    size_t done = 0;
    while (done < n && m->pos < m->header_len + m->data_len) {
        const unsigned char *from = m->pos < m->header_len ? m->header + m->pos : m->data + (m->pos - m->header_len);
        uint64_t left = m->pos < m->header_len ? m->header_len - m->pos : m->header_len + m->data_len - m->pos;
        size_t take = n - done < left ? n - done : (size_t)left;
        memcpy(buf + done, from, take);
        done += take;
        m->pos += take;
    }
    return (ssize_t)done;
}

static int memory_seek(void *cookie, off64_t *offset, int whence) {
    memory_file *m = cookie;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)m->pos
                                                                  : (int64_t)(m->header_len + m->data_len);
    if (*offset < -base) return -1;
    m->pos = (uint64_t)(base + *offset);
    *offset = (off64_t)m->pos;
    return 0;
}

static int memory_close(void *cookie) {
    free(cookie);
    return 0;
}

int rvcidx__npy_descr_itemsize(const char *descr) {
    static const char *const accepted[] = {"<f4", ">f4", "<f2", "<f8"};
    static const int sizes[] = {4, 4, 2, 8};
    for (int i = 0; i < 4; i++)
        if (descr && !strcmp(descr, accepted[i])) return sizes[i];
    return 0;
}

static int open_memory(rvcidx__npy_reader *r, const char *name, const char *descr, const void *data,
                       uint64_t rows, uint64_t cols) {
    int itemsize = rvcidx__npy_descr_itemsize(descr);
    if (!itemsize)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: dtype '%.16s' is not one of '<f4' (float32), '>f4', '<f2' "
                                           "(float16), '<f8' (float64); convert it with astype(numpy.float32)",
                            name, descr ? descr : "(none)");
    if (cols == 0 || cols > MAX_DIM || rows > MAX_DIM || (rows && !data) ||
        (rows && cols > (uint64_t)INT64_MAX / (uint64_t)itemsize / rows))
        return rvcidx__fail(RVCIDX_EINPUT, "%s: shape (%llu, %llu) with %s data is not an array of frames", name,
                            (unsigned long long)rows, (unsigned long long)cols, data ? "its" : "no");
    memory_file *m = calloc(1, sizeof *m);
    if (!m) return rvcidx__fail(RVCIDX_ENOMEM, "%s: out of memory; free memory and run again", name);
    int rc = rvcidx__npy_format_header(descr, rows, cols, m->header, &m->header_len);
    if (rc != 0) {
        free(m);
        return rc;
    }
    m->data = data;
    m->data_len = rows * cols * (uint64_t)itemsize;
    cookie_io_functions_t io = {.read = memory_read, .seek = memory_seek, .close = memory_close};
    r->fp = fopencookie(m, "r", io);
    if (!r->fp) {
        free(m);
        return rvcidx__fail(RVCIDX_ENOMEM, "%s: cannot open the frames as a stream: %s", name, strerror(errno));
    }
    r->file_bytes = m->header_len + m->data_len;
    return init_state(r, name);
}

/* Where the header ends, from the preamble's length field (v1: 2 bytes at
 * 8, v2/v3: 4 bytes at 8); 0 when the preamble is not one (the parser then
 * sees the whole bounded prefix and says what is wrong). */
static size_t header_end(const unsigned char *p, size_t n) {
    if (n < 12 || memcmp(p, "\x93NUMPY", 6) != 0) return 0;
    if (p[6] == 1) return 10 + (size_t)(p[8] | p[9] << 8);
    if (p[6] == 2 || p[6] == 3) return 12 + ((size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24);
    return 0;
}

/* Reads the header (a bounded prefix: its preamble says how long; plan
 * reads only this of thousands of shards), parses it, hashes it, seeks to
 * the data. */
static int read_header(rvcidx__npy_reader *r) {
    size_t n = r->file_bytes < HEADER_READ ? (size_t)r->file_bytes : HEADER_READ, first = n < 12 ? n : 12;
    RVCIDX__TRY(read_exact(r, r->raw, first));
    size_t end = header_end(r->raw, first);
    if (end > first && end < n) n = end;
    if (n > first) RVCIDX__TRY(read_exact(r, r->raw + first, n - first));
    RVCIDX__TRY(rvcidx__npy_parse_header(r->path, r->raw, n, &r->info));
    RVCIDX__TRY(hash_bytes(r, r->raw, (size_t)r->info.data_offset));
    if (fseeko(r->fp, (off_t)r->info.data_offset, SEEK_SET) != 0)
        return rvcidx__fail(RVCIDX_EIO, "%s: seek failed: %s; check the disk and filesystem",
                            r->path, strerror(errno));
    return 0;
}

static int check_file_size(const rvcidx__npy_reader *r) {
    const rvcidx__npy_info *in = &r->info;
    uint64_t expected = in->data_offset + in->data_bytes; /* <= 65548 + INT64_MAX: no wrap */
    if (r->file_bytes < expected)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: truncated data: shape (%llu, %llu) of '%s' needs "
                                           "%llu bytes but the file has %llu; the file is "
                                           "incomplete: re-run feature extraction for it",
                            r->path, (unsigned long long)in->rows, (unsigned long long)in->cols,
                            in->descr, (unsigned long long)expected,
                            (unsigned long long)r->file_bytes);
    if (r->file_bytes > expected)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: trailing bytes: %llu more than shape (%llu, %llu) "
                                           "needs; the file is corrupt or was appended to: "
                                           RESAVE,
                            r->path, (unsigned long long)(r->file_bytes - expected),
                            (unsigned long long)in->rows, (unsigned long long)in->cols);
    return 0;
}

int rvcidx__npy_open(rvcidx__npy_reader *r, const char *path) {
    memset(r, 0, sizeof *r);
    int rc = open_file(r, path);
    if (rc == 0) rc = read_header(r);
    if (rc == 0) rc = check_file_size(r);
    if (rc != 0) rvcidx__npy_close(r);
    return rc;
}

int rvcidx__npy_open_memory(rvcidx__npy_reader *r, const char *name, const char *descr, const void *data,
                            uint64_t rows, uint64_t cols) {
    memset(r, 0, sizeof *r);
    int rc = open_memory(r, name, descr, data, rows, cols);
    if (rc == 0) rc = read_header(r);
    if (rc == 0) rc = check_file_size(r);
    if (rc != 0) rvcidx__npy_close(r);
    return rc;
}

static int fail_unusable(const rvcidx__npy_reader *r, const char *call) {
    return rvcidx__fail(RVCIDX_EINVAL, "%s: %s on a reader that is closed, failed or finished; "
                                       "open the file again", r->path ? r->path : "(npy reader)",
                        call);
}

/* Reads, hashes and converts n values; `first` is their index in this call. */
static int read_values(rvcidx__npy_reader *r, float *out, size_t n, uint64_t first) {
    size_t bytes = n * (size_t)r->info.itemsize;
    RVCIDX__TRY(read_exact(r, r->raw, bytes));
    RVCIDX__TRY(hash_bytes(r, r->raw, bytes));
    convert(r->info.dtype, r->raw, out, n);
    size_t bad = first_non_finite(out, n);
    if (bad == n) return 0;
    uint64_t row = r->rows_read + (first + bad) / r->info.cols;
    int too_big = r->info.dtype == RVCIDX__NPY_F8_LE && isfinite(load_le_double(r->raw + 8 * bad));
    return rvcidx__fail(RVCIDX_EINPUT, "%s: row %llu has a NaN or infinite value%s; fix or remove "
                                       "the file, or pass `skip_bad`",
                        r->path, (unsigned long long)row,
                        too_big ? " (a float64 beyond float32's range)" : "");
}

int rvcidx__npy_read_rows(rvcidx__npy_reader *r, float *out, uint64_t max_rows, uint64_t *got) {
    *got = 0;
    if (!r->fp || r->failed || r->finished) return fail_unusable(r, "read_rows");
    uint64_t left = r->info.rows - r->rows_read;
    uint64_t rows = max_rows < left ? max_rows : left;
    uint64_t total = rows * r->info.cols; /* <= rows * cols, checked at open */
    uint64_t per_chunk = RVCIDX__NPY_CHUNK / (uint64_t)r->info.itemsize;
    for (uint64_t done = 0; done < total;) {
        size_t n = (size_t)(total - done < per_chunk ? total - done : per_chunk);
        int rc = read_values(r, out + done, n, done);
        if (rc != 0) {
            r->failed = 1;
            return rc;
        }
        done += n;
    }
    r->rows_read += rows;
    *got = rows;
    return 0;
}

int rvcidx__npy_finish(rvcidx__npy_reader *r, unsigned char sha256[32]) {
    if (!r->fp || r->failed || r->finished) return fail_unusable(r, "finish");
    if (r->rows_read != r->info.rows)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: finish after %llu of %llu rows; read every row "
                                           "first", r->path, (unsigned long long)r->rows_read,
                            (unsigned long long)r->info.rows);
    r->failed = 1; /* until proven otherwise */
    if (fgetc(r->fp) != EOF)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: file grew while being read; run again once "
                                           "nothing writes to it", r->path);
    if (ferror(r->fp))
        return rvcidx__fail(RVCIDX_EIO, "%s: read failed: %s; check the disk and filesystem",
                            r->path, strerror(errno));
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(r->sha, sha256, &len) != 1 || len != 32)
        return rvcidx__fail(RVCIDX_EIO, "%s: sha256 failed (OpenSSL); check the OpenSSL "
                                        "installation", r->path);
    r->failed = 0;
    r->finished = 1;
    return 0;
}

void rvcidx__npy_close(rvcidx__npy_reader *r) {
    if (r->fp) fclose(r->fp);
    r->fp = NULL;
    free(r->path);
    r->path = NULL;
    free(r->raw);
    r->raw = NULL;
    EVP_MD_CTX_free(r->sha);
    r->sha = NULL;
}
