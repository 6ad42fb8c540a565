/* param_text.h — private: one parameter's value from text, for the
 * rvcidx_*_params_set functions (and through them the CLI's options).
 *
 * Every failure is RVCIDX_EINVAL with a message that starts with the
 * parameter's name, e.g. "nlist: 'many' is not an integer in 1..16777216",
 * which the CLI turns into its option ("--nlist: ...").
 */
#ifndef RVCIDX_PARAM_TEXT_H
#define RVCIDX_PARAM_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Writes key with every '-' as '_' into out (n bytes); 0, or RVCIDX_EINVAL
 * for a NULL, empty or too long key. */
int rvcidx__param_key(const char *key, char *out, size_t n);

/* The whole text a decimal integer in min..max. */
int rvcidx__param_long(const char *key, const char *text, long min, long max, long *out);
/* The whole text a decimal integer >= 0 that fits 64 bits. */
int rvcidx__param_u64(const char *key, const char *text, uint64_t *out);
/* A size: "500M", "2G", "1.5T", "64K", "1048576" (bytes; K/M/G/T are
 * powers of 1024, a trailing "B" or "iB" allowed); 0 and "0" mean none.
 * rvcidx__size_parse: the same without a message, -1 when not a size. */
int rvcidx__param_size(const char *key, const char *text, uint64_t *out);
int rvcidx__size_parse(const char *text, uint64_t *out);
/* The whole text a number in min..max. */
int rvcidx__param_double(const char *key, const char *text, double min, double max, double *out);
/* text one of names[0..n): *out its position. */
int rvcidx__param_choice(const char *key, const char *text, const char *const *names, int n, int *out);
/* 1/0, true/false, yes/no. */
int rvcidx__param_bool(const char *key, const char *text, int *out);
/* A string kept by pointer: NULL or "" refused. */
int rvcidx__param_string(const char *key, const char *text, const char **out);

/* The per-struct setters behind rvcidx_*_params_set, for k already in '_'
 * form: 0 set, RVCIDX_EINVAL bad value, 1 when k is not theirs. */
struct rvcidx_index_params;
struct rvcidx_ingest_params;
struct rvcidx_eval_params;
struct rvcidx_reduce_params;
struct rvcidx_run;
int rvcidx__index_param_set(struct rvcidx_index_params *p, const char *k, const char *value);
int rvcidx__ingest_param_set(struct rvcidx_ingest_params *p, const char *k, const char *value);
int rvcidx__eval_param_set(struct rvcidx_eval_params *p, const char *k, const char *value);
int rvcidx__reduce_param_set(struct rvcidx_reduce_params *p, const char *k, const char *value);
int rvcidx__run_param_set(struct rvcidx_run *p, const char *k, const char *value);

#endif
