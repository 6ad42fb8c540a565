// faiss_c_ext.cpp — the only C++ in rvcidx: calls faiss 1.7.3's C API lacks.
//
// - rvcidx_faiss_IndexRefine_base_index: the C API can build an
//   IndexRefineFlat but not reach the index inside it, which is where nlist
//   and nprobe live (eval reads them back; `verify` checks them).
//
// Errors follow the C API's convention: exceptions become a non-zero return
// and the message faiss_get_last_error() gives.
#include "faiss_c_ext.h"

#include <faiss/IndexRefine.h>
#include <faiss/c_api/error_impl.h> // faiss_last_exception: the C API's error channel
#include <faiss/impl/FaissException.h>

#include <exception>
#include <string>

namespace {
int fail(const std::string &what) {
    faiss_last_exception = std::make_exception_ptr(faiss::FaissException(what));
    return -1;
}
} // namespace

extern "C" int rvcidx_faiss_IndexRefine_base_index(FaissIndex *index, FaissIndex **base) {
    try {
        auto *refine = dynamic_cast<faiss::IndexRefine *>(reinterpret_cast<faiss::Index *>(index));
        if (!refine) return fail("not an IndexRefine");
        *base = reinterpret_cast<FaissIndex *>(refine->base_index);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}
