/* rvcidx/params.h — every parameter of a build, in one table: its name
 * (the key rvcidx_build_params_set takes), group, type, values, default,
 * one line of help and the command's option for it.
 *
 * The rvcidx command makes its options, their parsing and its --help from
 * this table; the Python package's rvcidx.parameters() and help(rvcidx.build)
 * show it; docs/parameters.md's reference table is generated from it. The
 * values are parsed by the rvcidx_*_params_set functions (one parser for
 * options and bindings); the table says what they accept.
 */
#ifndef RVCIDX_PARAMS_H
#define RVCIDX_PARAMS_H

#include "rvcidx/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rvcidx_param_type {
    RVCIDX_PARAM_FLAG = 0,   /* no value: given means on ("1"); "0" turns it off */
    RVCIDX_PARAM_INT,        /* a whole number in [min, max], or one of the words in choices */
    RVCIDX_PARAM_NUMBER,     /* a real number in [min, max] */
    RVCIDX_PARAM_SIZE,       /* bytes, or a number with K, M, G or T (powers of 1024): 500M, 1.5G */
    RVCIDX_PARAM_CHOICE,     /* one of the words in choices */
    RVCIDX_PARAM_TEXT,       /* a name */
    RVCIDX_PARAM_PATH        /* a file or directory */
} rvcidx_param_type;

/* One row; every string is the library's, static. */
typedef struct rvcidx_param_info {
    const char *name;          /* "nlist": rvcidx_build_params_set's key ('-' or '_' alike) */
    const char *group;         /* "build", "run", "reduce", "index", "eval" or "ingest": the struct it sets */
    rvcidx_param_type type;
    const char *choices;       /* "|"-separated words CHOICE takes, and INT or SIZE takes besides
                                  numbers ("auto", "all", "none"); "" when none */
    double min, max;           /* INT and NUMBER: the range; 0, 0 otherwise */
    const char *default_value; /* as text ("16", "auto", "0.95"); "" when there is none to give
                                  (required, or derived: the help says from what) */
    const char *metavar;       /* what the command's help shows after the option: "N", "SIZE" */
    const char *flag;          /* the command's option: "--nlist", "-o" */
    const char *help;          /* one line */
    const char *more;          /* further help, lines separated by '\n'; "" when none */
} rvcidx_param_info;

/* The number of rows. */
RVCIDX_API size_t rvcidx_params_count(void);

/* Row i (0-based), or NULL past the end. */
RVCIDX_API const rvcidx_param_info *rvcidx_params_info(size_t i);

/* The row of a parameter by name ('-' or '_' alike), or NULL. */
RVCIDX_API const rvcidx_param_info *rvcidx_params_find(const char *name);

/* "flag", "int", "number", "size", "choice", "text" or "path". */
RVCIDX_API const char *rvcidx_param_type_name(rvcidx_param_type type);

#ifdef __cplusplus
}
#endif
#endif
