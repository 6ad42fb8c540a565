/* param_text.c — strict parsing of parameter values: the whole text must be
 * a value in range, or the caller gets a message naming the parameter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"
#include "base/param_text.h"

int rvcidx__param_key(const char *key, char *out, size_t n) {
    size_t len = key ? strlen(key) : 0;
    if (len == 0 || len >= n) return rvcidx__fail(RVCIDX_EINVAL, "'%s' is not a parameter name", key ? key : "(null)");
    for (size_t i = 0; i <= len; i++) out[i] = key[i] == '-' ? '_' : key[i];
    return 0;
}

static const char *shown(const char *text) { return text ? text : "(null)"; }

int rvcidx__param_long(const char *key, const char *text, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || errno || end == text || *end || v < min || v > max)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: '%s' is not an integer in %ld..%ld", key, shown(text), min, max);
    *out = v;
    return 0;
}

int rvcidx__param_u64(const char *key, const char *text, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = text ? strtoull(text, &end, 10) : 0;
    /* strtoull takes "-1" (as ULLONG_MAX) and leading blanks: neither is a count */
    if (!text || errno || end == text || *end || text[0] == '-' || text[0] == ' ' || text[0] == '+')
        return rvcidx__fail(RVCIDX_EINVAL, "%s: '%s' is not a non-negative integer", key, shown(text));
    *out = (uint64_t)v;
    return 0;
}

int rvcidx__size_parse(const char *text, uint64_t *out) {
    char *end = NULL;
    double unit = 1, v = text && text[0] != '-' && text[0] != ' ' ? strtod(text, &end) : 0;
    if (!text || !end || end == text) return -1;
    switch (*end) {
    case 'T': case 't': unit = 1024.0 * 1024 * 1024 * 1024, end++; break;
    case 'G': case 'g': unit = 1024.0 * 1024 * 1024, end++; break;
    case 'M': case 'm': unit = 1024.0 * 1024, end++; break;
    case 'K': case 'k': unit = 1024.0, end++; break;
    default: break;
    }
    if (unit > 1 && (!strcmp(end, "B") || !strcmp(end, "iB"))) end += strlen(end);
    if (*end != '\0' || !(v * unit >= 0) || v * unit > 1e19) return -1;
    *out = (uint64_t)(v * unit);
    return 0;
}

int rvcidx__param_size(const char *key, const char *text, uint64_t *out) {
    if (rvcidx__size_parse(text, out) != 0)
        return rvcidx__fail(RVCIDX_EINVAL, "%s: '%s' is not a size; give one like 500M, 2G or 1048576 (bytes), "
                            "or 0 for none", key, shown(text));
    return 0;
}

int rvcidx__param_double(const char *key, const char *text, double min, double max, double *out) {
    char *end = NULL;
    errno = 0;
    double v = text ? strtod(text, &end) : 0;
    if (!text || errno || end == text || *end || !(v >= min && v <= max))
        return rvcidx__fail(RVCIDX_EINVAL, "%s: '%s' is not a number in %g..%g", key, shown(text), min, max);
    *out = v;
    return 0;
}

int rvcidx__param_choice(const char *key, const char *text, const char *const *names, int n, int *out) {
    for (int i = 0; text && i < n; i++)
        if (!strcmp(text, names[i])) return *out = i, 0;
    char list[256] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "", names[i]);
    return rvcidx__fail(RVCIDX_EINVAL, "%s: '%s' is not %s", key, shown(text), list);
}

int rvcidx__param_bool(const char *key, const char *text, int *out) {
    static const char *const names[] = {"0", "1", "false", "true", "no", "yes"};
    for (int i = 0; text && i < 6; i++)
        if (!strcmp(text, names[i])) return *out = i % 2, 0;
    return rvcidx__fail(RVCIDX_EINVAL, "%s: '%s' is not 1/0, true/false or yes/no", key, shown(text));
}

int rvcidx__param_string(const char *key, const char *text, const char **out) {
    if (!text || !text[0]) return rvcidx__fail(RVCIDX_EINVAL, "%s: an empty value", key);
    *out = text;
    return 0;
}
