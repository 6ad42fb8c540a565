/* faiss_c_ext.h — private: the calls rvcidx needs that faiss 1.7.3's C API
 * lacks, implemented in faiss_c_ext.cpp (the project's only C++ file).
 * Same conventions as faiss's C API: 0 on success, otherwise the message is
 * in faiss_get_last_error(). */
#ifndef RVCIDX_FAISS_C_EXT_H
#define RVCIDX_FAISS_C_EXT_H

#include <faiss/c_api/Index_c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The index an IndexRefine wraps (borrowed: owned by the wrapper). Fails
 * when index is not an IndexRefine. */
int rvcidx_faiss_IndexRefine_base_index(FaissIndex *index, FaissIndex **base);

#ifdef __cplusplus
}
#endif
#endif
