/* hash.h — private: sha256 of files and buffers (OpenSSL libcrypto). */
#ifndef RVCIDX_HASH_H
#define RVCIDX_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64 hex digits and a NUL. */
void rvcidx__hex(const unsigned char *bytes, size_t n, char *out);

/* sha256 of an input file's bytes as hex into out[65]; *bytes_read
 * (optional) += size. Opened as rvcidx__fopen_input does: links followed,
 * anything but a regular file refused, never blocks. */
int rvcidx__sha256_file(const char *path, char out[65], uint64_t *bytes_read);

/* The same for a file rvcidx wrote (rvcidx__open_own: a link is refused). */
int rvcidx__sha256_own_file(const char *path, char out[65]);

/* Finishes an EVP_MD_CTX (passed as void *: no OpenSSL header needed here)
 * into 64 hex digits. */
int rvcidx__sha256_final_hex(void *ctx, char out[65]);

/* sha256 of n bytes at data as hex into out[65]. */
int rvcidx__sha256_bytes(const void *data, size_t n, char out[65]);

/* sha256 of a NUL-terminated text as hex into out[65]. */
int rvcidx__sha256_text(const char *text, char out[65]);

#endif
