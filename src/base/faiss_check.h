/* faiss_check.h — private: every faiss C API call goes through
 * RVCIDX__FAISS_CHECK, which copies faiss's message at once (it is only
 * valid until the next faiss call) into rvcidx's last error. */
#ifndef RVCIDX_FAISS_CHECK_H
#define RVCIDX_FAISS_CHECK_H

#include <faiss/c_api/error_c.h>

#include "base/internal.h"

#define RVCIDX__FAISS_CHECK(expr, what)                                        \
    do {                                                                       \
        if ((expr) != 0) {                                                     \
            const char *rvcidx__msg = faiss_get_last_error();                  \
            return rvcidx__fail(RVCIDX_EFAISS, "faiss: %s failed: %s", what,   \
                                rvcidx__msg ? rvcidx__msg : "(no message)");  \
        }                                                                      \
    } while (0)

#endif
