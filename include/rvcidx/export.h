/* rvcidx/export.h — RVCIDX_API marks the declarations librvcidx exports.
 *
 * The library is compiled with hidden visibility: only what a public header
 * declares with RVCIDX_API is in its dynamic symbol table, so an app, a
 * binding or the rvcidx command cannot come to depend on an internal. */
#ifndef RVCIDX_EXPORT_H
#define RVCIDX_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define RVCIDX_API __attribute__((visibility("default")))
#else
#define RVCIDX_API
#endif

#endif
