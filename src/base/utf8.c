/* utf8.c — UTF-8 validation for names that go into HDF5 strings, JSON and
 * index file names (shard, speaker and model names). */
#include "base/internal.h"

int rvcidx__utf8_valid(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0 || (extra == 1 && *p < 0xC2)) return 0;
        for (int i = 1; i <= extra; i++)
            if ((p[i] & 0xC0) != 0x80) return 0;
        p += extra + 1;
    }
    return 1;
}
