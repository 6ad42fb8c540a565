/* utf8.c — UTF-8 validation for names that go into HDF5 strings, JSON and
 * index file names (shard, speaker and model names), and a reversible
 * escape for text that is not UTF-8 but must still be written as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"

/* Bytes of the valid UTF-8 sequence at p, or 0 when none starts there. */
static int sequence_length(const unsigned char *p) {
    int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
    if (extra < 0 || (extra == 1 && *p < 0xC2)) return 0;
    for (int i = 1; i <= extra; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return extra + 1;
}

int rvcidx__utf8_valid(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = sequence_length(p);
        if (!n) return 0;
        p += n;
    }
    return 1;
}

char *rvcidx__utf8_escape(const char *s) {
    size_t len = strlen(s);
    char *out = malloc(4 * len + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = sequence_length(p);
        if (n && *p != '\\') {
            memcpy(o, p, (size_t)n), o += n, p += n;
        } else if (*p == '\\') {
            *o++ = '\\', *o++ = '\\', p++;
        } else {
            o += snprintf(o, 5, "\\x%02x", *p), p++;
        }
    }
    *o = '\0';
    return out;
}
