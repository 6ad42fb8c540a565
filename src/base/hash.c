/* hash.c — sha256 through OpenSSL's EVP interface, streamed in 1 MiB reads. */
#include "base/hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsutil.h"
#include "base/internal.h"

void rvcidx__hex(const unsigned char *bytes, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static int sha256_stream(FILE *fp, const char *path, char out[65], uint64_t *bytes_read) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    enum { BUF = 1 << 20 };
    unsigned char *buf = malloc(BUF);
    int rc = ctx && buf && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
                 ? 0
                 : rvcidx__fail(RVCIDX_ENOMEM, "%s: cannot start sha256", path);
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, BUF, fp)) > 0) {
        if (EVP_DigestUpdate(ctx, buf, n) != 1) rc = rvcidx__fail(RVCIDX_EIO, "%s: sha256 failed", path);
        if (bytes_read) *bytes_read += n;
    }
    if (rc == 0 && ferror(fp)) rc = rvcidx__fail(RVCIDX_EIO, "%s: read failed: %s", path, strerror(errno));
    if (rc == 0) rc = rvcidx__sha256_final_hex(ctx, out);
    free(buf);
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int sha256_path(const char *path, int own, char out[65], uint64_t *bytes_read) {
    FILE *fp = NULL;
    RVCIDX__TRY(own ? rvcidx__fopen_own(path, &fp) : rvcidx__fopen_input(path, &fp));
    int rc = sha256_stream(fp, path, out, bytes_read);
    fclose(fp);
    return rc;
}

int rvcidx__sha256_file(const char *path, char out[65], uint64_t *bytes_read) {
    return sha256_path(path, 0, out, bytes_read);
}

int rvcidx__sha256_own_file(const char *path, char out[65]) { return sha256_path(path, 1, out, NULL); }

int rvcidx__sha256_final_hex(void *ctx, char out[65]) {
    unsigned char md[32];
    unsigned len = 0;
    if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32) return rvcidx__fail(RVCIDX_ENOMEM, "sha256 failed");
    rvcidx__hex(md, 32, out);
    return 0;
}

int rvcidx__sha256_bytes(const void *data, size_t n, char out[65]) {
    unsigned char md[32];
    unsigned len = 0;
    if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1)
        return rvcidx__fail(RVCIDX_ENOMEM, "sha256 failed");
    rvcidx__hex(md, 32, out);
    return 0;
}

int rvcidx__sha256_text(const char *text, char out[65]) { return rvcidx__sha256_bytes(text, strlen(text), out); }
