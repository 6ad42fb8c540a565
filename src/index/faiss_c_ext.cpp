// faiss_c_ext.cpp — the only C++ in rvcidx: calls faiss 1.7.3's C API lacks.
//
// - rvcidx_faiss_IndexRefine_base_index: the C API can build an
//   IndexRefineFlat but not reach the index inside it, which is where nlist
//   and nprobe live (eval reads them back; `verify` checks them).
// - rvcidx_faiss_IndexRefine_refine_index: nor the exact flat index beside
//   it, which holds every vector as added: eval searches it for the ground
//   truth and blends from it, instead of two more copies of the data.
// - rvcidx_faiss_IndexRefine_new / _describe: the C API knows only
//   IndexRefineFlat; the SQfp16 and SQ8 refines (--refine) are IndexRefine
//   around an IndexScalarQuantizer.
// - rvcidx_faiss_IndexIVF_by_residual: whether the PQ encodes residuals
//   (x4fsr) or the vectors (x4fs): `verify` and eval name the index read
//   back, and the C API has no getter for it.
// - rvcidx_faiss_IndexRefineFlat_reserve: the exact storage is a
//   std::vector the C API cannot reach; reserving its final size before the
//   adds keeps a build's peak memory at the index's size instead of up to
//   twice the vectors while the vector reallocates.
// - rvcidx_faiss_merge_into: split builds encode row ranges into partial
//   indexes and append them in row order. faiss 1.7.3's IndexIVF::merge_from
//   cannot do it for FastScan (BlockInvertedLists::add_entries accepts only
//   an empty list) and the C API cannot reach the refine wrapper's storage,
//   so the 4-bit codes are unpacked per list and packed again behind the
//   list's existing entries with pq4_pack_codes_range: the same call, on the
//   same bytes, as IndexIVFFastScan::add_with_ids, which is why the merged
//   file equals a single build byte for byte. The unpacking is written here
//   because 1.7.3's pq4_get_packed_element is wrong beyond 16 sub-quantizers
//   (its helper returns the byte offset as a uint8_t, so offsets past 255
//   wrap; RVC's PQ has 128 or 384).
// - rvcidx_faiss_IndexRefine_take_base and
//   rvcidx_faiss_write_refine_flat_streamed: a big build tunes on an
//   IndexRefineFlat of the first speakers' rows, then drops its float
//   storage and writes the shipped RFlat file with the rows streamed from
//   the store: the file faiss's write_index writes for that index, byte for
//   byte (tests/test_index_stream.c), without all N*D*4 bytes in memory at
//   once. faiss 1.7.3 writes the refine wrapper as a header, the base index,
//   an IndexFlat (header, then its codes as a vector of floats) and
//   k_factor; the base index is written by faiss itself, and the headers
//   with faiss's IOWriter and the field types of faiss::Index.
// - rvcidx_faiss_IndexRefine_new_from_rows and
//   rvcidx_faiss_write_refine_from_rows: past a size, a one-index build's
//   tuning index keeps no refine storage in memory (5M x 768 floats are
//   14.3 GiB): a faiss::Index subclass reads each candidate row by id
//   through a callback (store/row_reader.c) and computes the distance the
//   stored refine would (fvec_L2sqr / fvec_inner_product, as IndexFlat;
//   an SQ's own distance computer on the row's codes, as
//   IndexScalarQuantizer). The shipped file is then written with the rows
//   streamed, flat or SQ-coded, as faiss writes that refine.
// - rvcidx_faiss_pq_quiet: PQ training runs one k-means per sub-quantizer,
//   and faiss prints a warning to stderr for each when the sample is small
//   (384 identical lines for RVC v2); rvcidx logs it once instead.
//
// Errors follow the C API's convention: exceptions become a non-zero return
// and the message faiss_get_last_error() gives.
#include "index/faiss_c_ext.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFastScan.h>
#include <faiss/IndexIVFPQFastScan.h>
#include <faiss/IndexRefine.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/pq4_fast_scan.h>
#include <faiss/invlists/BlockInvertedLists.h>
#include <faiss/c_api/error_impl.h> // faiss_last_exception: the C API's error channel
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/utils/distances.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <cstdint>
#include <typeinfo>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {
int fail(const std::string &what) {
    faiss_last_exception = std::make_exception_ptr(faiss::FaissException(what));
    return -1;
}

// pick(the IndexRefine behind index), as a C handle; fails on any other index.
template <typename Pick>
int from_refine(FaissIndex *index, FaissIndex **out, Pick pick) {
    try {
        auto *refine = dynamic_cast<faiss::IndexRefine *>(reinterpret_cast<faiss::Index *>(index));
        if (!refine) return fail("not an IndexRefine");
        *out = reinterpret_cast<FaissIndex *>(pick(refine));
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

// The refine storage of rvcidx_faiss_IndexRefine_new_from_rows: rows by id
// through row(), coded by codec when there is one.
struct RowsIndex : faiss::Index {
    rvcidx_faiss_row_fn row;
    void *user;
    std::unique_ptr<faiss::IndexScalarQuantizer> codec;

    RowsIndex(int dim, faiss::MetricType metric, faiss::IndexScalarQuantizer *sq, rvcidx_faiss_row_fn fn, void *u)
            : faiss::Index(dim, metric), row(fn), user(u), codec(sq) {
        is_trained = true;
    }
    void add(idx_t n, const float *) override { ntotal += n; }
    void reset() override { ntotal = 0; }
    void search(idx_t, const float *, idx_t, float *, idx_t *, const faiss::SearchParameters *) const override {
        throw faiss::FaissException("a refine storage read by id cannot be searched alone");
    }
    // The row as the refine stores it: exact, or coded and decoded.
    bool fetch(idx_t key, float *out, uint8_t *code) const {
        if (key < 0 || key >= ntotal || row(user, key, out) != 0) return false;
        if (codec) {
            codec->sq.compute_codes(out, code, 1);
            codec->sq.decode(code, out, 1);
        }
        return true;
    }
    void reconstruct(idx_t key, float *recons) const override {
        std::vector<uint8_t> code(codec ? codec->sq.code_size : 0);
        if (!fetch(key, recons, code.data())) throw faiss::FaissException("reading row " + std::to_string(key) + " failed");
    }
    faiss::DistanceComputer *get_distance_computer() const override;
};

// Never throws (it runs inside faiss's OpenMP loops): a row that cannot be
// read ranks last, and the caller's row() has remembered the failure.
struct RowsDistance : faiss::DistanceComputer {
    const RowsIndex &ix;
    std::vector<float> buf, other;
    std::vector<uint8_t> code;
    std::unique_ptr<faiss::ScalarQuantizer::SQDistanceComputer> sq;
    const float *q = nullptr;

    explicit RowsDistance(const RowsIndex &index)
            : ix(index), buf(index.d), other(index.d), code(index.codec ? index.codec->sq.code_size : 0) {
        if (ix.codec) sq.reset(ix.codec->sq.get_distance_computer(ix.metric_type));
    }
    float worst() const { return ix.metric_type == faiss::METRIC_INNER_PRODUCT ? -HUGE_VALF : HUGE_VALF; }
    void set_query(const float *x) override {
        q = x;
        if (sq) sq->set_query(x);
    }
    float operator()(idx_t i) override {
        if (i < 0 || i >= ix.ntotal || ix.row(ix.user, i, buf.data()) != 0) return worst();
        if (sq) { // what IndexScalarQuantizer's computer gives for the stored code
            ix.codec->sq.compute_codes(buf.data(), code.data(), 1);
            return sq->query_to_code(code.data());
        }
        return ix.metric_type == faiss::METRIC_INNER_PRODUCT ? faiss::fvec_inner_product(q, buf.data(), ix.d)
                                                             : faiss::fvec_L2sqr(q, buf.data(), ix.d);
    }
    float symmetric_dis(idx_t i, idx_t j) override {
        if (!ix.fetch(i, buf.data(), code.data()) || !ix.fetch(j, other.data(), code.data())) return worst();
        return ix.metric_type == faiss::METRIC_INNER_PRODUCT ? faiss::fvec_inner_product(buf.data(), other.data(), ix.d)
                                                             : faiss::fvec_L2sqr(buf.data(), other.data(), ix.d);
    }
};

faiss::DistanceComputer *RowsIndex::get_distance_computer() const { return new RowsDistance(*this); }
} // namespace

extern "C" int rvcidx_faiss_IndexRefine_base_index(FaissIndex *index, FaissIndex **base) {
    return from_refine(index, base, [](faiss::IndexRefine *r) { return r->base_index; });
}

extern "C" int rvcidx_faiss_IndexRefine_refine_index(FaissIndex *index, FaissIndex **refine_index) {
    return from_refine(index, refine_index, [](faiss::IndexRefine *r) { return r->refine_index; });
}

extern "C" int rvcidx_faiss_IndexRefine_new(FaissIndex *base, FaissIndex *refine_index, FaissIndex **out) {
    try {
        auto *r = new faiss::IndexRefine(reinterpret_cast<faiss::Index *>(base),
                                         reinterpret_cast<faiss::Index *>(refine_index));
        r->own_fields = true;        // deletes the base index
        r->own_refine_index = true; // and the SQ (an IndexRefine built by hand owns neither by default)
        *out = reinterpret_cast<FaissIndex *>(r);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

extern "C" int rvcidx_faiss_IndexRefine_describe(FaissIndex *index, int *refine, float *k_factor) {
    try {
        auto *r = dynamic_cast<faiss::IndexRefine *>(reinterpret_cast<faiss::Index *>(index));
        if (!r) return fail("not an IndexRefine");
        auto *sq = dynamic_cast<const faiss::IndexScalarQuantizer *>(r->refine_index);
        auto *rows = dynamic_cast<const RowsIndex *>(r->refine_index);
        if (rows) sq = rows->codec.get();
        *refine = dynamic_cast<const faiss::IndexFlat *>(r->refine_index) || (rows && !sq) ? 0
                  : sq && sq->sq.qtype == faiss::ScalarQuantizer::QT_fp16 ? 1
                  : sq && sq->sq.qtype == faiss::ScalarQuantizer::QT_8bit ? 2
                                                                          : -1;
        *k_factor = r->k_factor;
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

extern "C" int rvcidx_faiss_IndexIVF_by_residual(FaissIndex *index, int *residual) {
    try {
        auto *any = reinterpret_cast<faiss::Index *>(index);
        if (auto *refine = dynamic_cast<faiss::IndexRefine *>(any)) any = refine->base_index;
        if (!dynamic_cast<const faiss::IndexIVF *>(any)) return fail("not an IVF index");
        auto *fast_scan = dynamic_cast<const faiss::IndexIVFFastScan *>(any); /* 1.7.3: by_residual lives here */
        *residual = fast_scan && fast_scan->by_residual ? 1 : 0;
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

extern "C" int rvcidx_faiss_IndexRefineFlat_reserve(FaissIndex *index, int64_t rows) {
    try {
        auto *refine = dynamic_cast<faiss::IndexRefine *>(reinterpret_cast<faiss::Index *>(index));
        auto *flat = refine ? dynamic_cast<faiss::IndexFlatCodes *>(refine->refine_index) : nullptr;
        if (flat && rows > 0) flat->codes.reserve(static_cast<size_t>(rows) * flat->code_size);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

namespace {

void require(bool ok, const char *what) {
    if (!ok) throw faiss::FaissException(std::string("cannot merge: ") + what);
}

// faiss's own merge check, which FastScan never reaches.
void require_same_quantizer(const faiss::IndexIVF &a, const faiss::IndexIVF &b) {
    require(a.d == b.d && a.nlist == b.nlist && a.code_size == b.code_size && a.metric_type == b.metric_type,
            "the indexes differ in d, nlist, code size or metric");
    require(a.quantizer->ntotal == b.quantizer->ntotal, "the coarse quantizers differ in size");
    require(a.direct_map.no() && b.direct_map.no(), "indexes with a direct map");
    std::vector<float> va(a.d), vb(b.d);
    for (size_t i = 0; i < a.nlist; i++) {
        a.quantizer->reconstruct(i, va.data());
        b.quantizer->reconstruct(i, vb.data());
        require(va == vb, "the coarse quantizers differ (not trained together)");
    }
}

// Sub-quantizer m of entry j in a list packed by pq4_pack_codes_range: blocks
// of bbs entries; in a block, per pair of sub-quantizers, bbs/32 chunks of 32
// bytes; in a chunk, entry v (0..31) sits at perm0^-1(v % 16) in the first 16
// bytes (even m) or the next 16 (odd m), high nibble for v >= 16.
uint8_t packed_code(const uint8_t *list, size_t bbs, size_t M2, size_t j, size_t m) {
    const size_t in_block = j % bbs, v = in_block % 32, low = v & 15;
    const size_t pos = (low < 8 ? 2 * low : 2 * (low - 8) + 1) + (m & 1 ? 16 : 0);
    const uint8_t byte = list[(j / bbs) * (bbs * M2 / 2) + (m / 2) * bbs + (in_block / 32) * 32 + pos];
    return v >= 16 ? byte >> 4 : byte & 15;
}

// Appends src's list entries behind dst's, list by list.
void merge_fastscan(faiss::IndexIVFFastScan &dst, const faiss::IndexIVFFastScan &src, faiss::Index::idx_t add_id) {
    require_same_quantizer(dst, src);
    require(dst.M == src.M && dst.bbs == src.bbs && dst.M2 == src.M2 && dst.by_residual == src.by_residual,
            "the FastScan layouts differ");
    require(dst.bbs % 32 == 0, "FastScan blocks that are not a multiple of 32 entries");
    auto *dl = dynamic_cast<faiss::BlockInvertedLists *>(dst.invlists);
    auto *sl = dynamic_cast<const faiss::BlockInvertedLists *>(src.invlists);
    require(dl && sl, "FastScan lists that are not BlockInvertedLists");
    const size_t cs = dst.code_size, M = dst.M;
    std::vector<uint8_t> flat;
    for (size_t l = 0; l < dst.nlist; l++) {
        const size_t n = sl->list_size(l), n0 = dl->list_size(l);
        if (n == 0) continue;
        flat.assign(n * cs, 0);
        const uint8_t *packed = sl->codes[l].data();
        for (size_t j = 0; j < n; j++)
            for (size_t m = 0; m < M; m++)
                flat[j * cs + m / 2] |= packed_code(packed, dst.bbs, dst.M2, j, m) << (4 * (m & 1));
        dl->resize(l, n0 + n);
        for (size_t j = 0; j < n; j++) dl->ids[l][n0 + j] = sl->ids[l][j] + add_id;
        faiss::pq4_pack_codes_range(flat.data(), M, n0, n0 + n, dst.bbs, dst.M2, dl->codes[l].data());
    }
    dst.ntotal += src.ntotal;
}

void merge_ivf(faiss::Index *dst, faiss::Index *src, faiss::Index::idx_t add_id) {
    auto *dfs = dynamic_cast<faiss::IndexIVFFastScan *>(dst);
    auto *sfs = dynamic_cast<faiss::IndexIVFFastScan *>(src);
    if (dfs || sfs) {
        require(dfs && sfs, "a FastScan index with another kind");
        merge_fastscan(*dfs, *sfs, add_id);
        return;
    }
    auto *divf = dynamic_cast<faiss::IndexIVF *>(dst);
    auto *sivf = dynamic_cast<faiss::IndexIVF *>(src);
    require(divf && sivf, "indexes that are not IVF");
    require_same_quantizer(*divf, *sivf);
    divf->merge_from(*sivf, add_id); // ArrayInvertedLists: faiss merges (and empties src)
}

} // namespace

extern "C" int rvcidx_faiss_merge_into(FaissIndex *dst_, FaissIndex *src_, int64_t add_id, int with_storage) {
    try {
        auto *dst = reinterpret_cast<faiss::Index *>(dst_);
        auto *src = reinterpret_cast<faiss::Index *>(src_);
        auto *dref = dynamic_cast<faiss::IndexRefine *>(dst);
        auto *sref = dynamic_cast<faiss::IndexRefine *>(src);
        if (!dref && !sref) {
            merge_ivf(dst, src, add_id);
            return 0;
        }
        require(dref && sref, "a refine wrapper with a bare index");
        auto *dcodes = dynamic_cast<faiss::IndexFlatCodes *>(dref->refine_index);
        auto *scodes = dynamic_cast<const faiss::IndexFlatCodes *>(sref->refine_index);
        require(dcodes && scodes && dcodes->d == scodes->d && dcodes->code_size == scodes->code_size &&
                        typeid(*dcodes) == typeid(*scodes),
                "refine storages of different kinds");
        auto *dsq = dynamic_cast<const faiss::IndexScalarQuantizer *>(dcodes);
        auto *ssq = dynamic_cast<const faiss::IndexScalarQuantizer *>(scodes);
        require(!dsq || (dsq->sq.qtype == ssq->sq.qtype && dsq->sq.trained == ssq->sq.trained),
                "scalar-quantizer refines not trained together");
        require(add_id == dref->ntotal, "a partial index that does not follow the rows already merged");
        require(with_storage || dcodes->ntotal == dref->ntotal, "storage rows out of step");
        require(with_storage || dcodes->codes.empty(), "a refine storage holding codes, merged without them");
        const faiss::Index::idx_t n = sref->ntotal;
        merge_ivf(dref->base_index, sref->base_index, add_id);
        // the refine codes (floats for RFlat), in row order: the bytes add() would have written
        if (with_storage) dcodes->codes.insert(dcodes->codes.end(), scodes->codes.begin(), scodes->codes.end());
        dcodes->ntotal += n;
        dref->ntotal += n;
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

int rvcidx_faiss_pq_quiet(FaissIndex *index) {
    try {
        auto *pq = dynamic_cast<faiss::IndexIVFPQFastScan *>(reinterpret_cast<faiss::Index *>(index));
        if (pq) pq->pq.cp.min_points_per_centroid = 1; // only the warning reads it: the codes are the same
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

extern "C" int rvcidx_faiss_IndexRefine_take_base(FaissIndex *index, FaissIndex **base) {
    try {
        auto *refine = dynamic_cast<faiss::IndexRefine *>(reinterpret_cast<faiss::Index *>(index));
        if (!refine) return fail("not an IndexRefine");
        faiss::Index *kept = refine->base_index;
        refine->own_fields = false; /* the wrapper and its storage go, the base stays */
        delete refine;
        *base = reinterpret_cast<FaissIndex *>(kept);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

namespace {
// n items of size bytes, as faiss's WRITEANDCHECK.
void put(faiss::IOWriter *f, const void *p, size_t size, size_t n = 1) {
    if ((*f)(p, size, n) != n) throw faiss::FaissException("write error in " + f->name);
}

// faiss 1.7.3's write_index_header (impl/index_write.cpp), which is static there.
void write_header(faiss::IOWriter *f, int d, faiss::Index::idx_t ntotal, bool is_trained, faiss::MetricType metric,
                  float metric_arg) {
    faiss::Index::idx_t dummy = 1 << 20;
    put(f, &d, sizeof d);
    put(f, &ntotal, sizeof ntotal);
    put(f, &dummy, sizeof dummy);
    put(f, &dummy, sizeof dummy);
    put(f, &is_trained, sizeof is_trained);
    put(f, &metric, sizeof metric);
    if (metric > 1) put(f, &metric_arg, sizeof metric_arg);
}
} // namespace

namespace {
// The refine storage as faiss writes it, with the rows streamed: an IndexFlat
// (header, then its floats as a vector), or with sq an IndexScalarQuantizer
// (header, the quantizer, then its codes as a vector).
// Where the storage's bytes come from: rows (floats, SQ-coded when sq) or,
// with codes, the stored bytes themselves.
struct storage_source {
    rvcidx_faiss_rows_fn rows;
    rvcidx_faiss_codes_fn codes;
    void *user;
};

void write_storage_streamed(faiss::IOWriter *w, const faiss::Index *base, const faiss::IndexScalarQuantizer *sq,
                            const storage_source &src, int64_t batch_rows) {
    if (batch_rows < 1) throw faiss::FaissException("batch_rows must be positive");
    const size_t d = static_cast<size_t>(base->d), n = static_cast<size_t>(base->ntotal);
    uint32_t h = sq ? faiss::fourcc("IxSQ")
                    : faiss::fourcc(base->metric_type == faiss::METRIC_INNER_PRODUCT ? "IxFI"
                                    : base->metric_type == faiss::METRIC_L2          ? "IxF2"
                                                                                     : "IxFl");
    put(w, &h, sizeof h);
    write_header(w, base->d, base->ntotal, true, base->metric_type, 0.0f); /* both storages are trained */
    if (sq) { // faiss 1.7.3's write_ScalarQuantizer, static there
        put(w, &sq->sq.qtype, sizeof sq->sq.qtype);
        put(w, &sq->sq.rangestat, sizeof sq->sq.rangestat);
        put(w, &sq->sq.rangestat_arg, sizeof sq->sq.rangestat_arg);
        put(w, &sq->sq.d, sizeof sq->sq.d);
        put(w, &sq->sq.code_size, sizeof sq->sq.code_size);
        size_t trained = sq->sq.trained.size();
        put(w, &trained, sizeof trained);
        put(w, sq->sq.trained.data(), sizeof(float), trained);
    }
    const size_t row_bytes = sq ? sq->sq.code_size : d * sizeof(float);
    size_t total = sq ? n * row_bytes : n * d; /* a vector's size counts its elements */
    put(w, &total, sizeof total);
    std::vector<float> buf(src.codes ? 0 : static_cast<size_t>(batch_rows) * d);
    std::vector<uint8_t> codes(static_cast<size_t>(batch_rows) * row_bytes);
    for (int64_t at = 0; at < base->ntotal; at += batch_rows) {
        int64_t m = std::min<int64_t>(batch_rows, base->ntotal - at);
        const size_t bytes = static_cast<size_t>(m) * row_bytes;
        if (src.codes) {
            if (src.codes(src.user, at, m, codes.data()) != 0) throw faiss::FaissException("reading the codes to write failed");
            put(w, codes.data(), 1, bytes);
            continue;
        }
        if (src.rows(src.user, at, m, buf.data()) != 0) throw faiss::FaissException("reading the rows to write failed");
        if (sq) sq->sq.compute_codes(buf.data(), codes.data(), static_cast<size_t>(m));
        if (sq) put(w, codes.data(), 1, bytes);
        else put(w, buf.data(), sizeof(float), static_cast<size_t>(m) * d);
    }
}

void write_refine_streamed(const faiss::Index *base, const faiss::IndexScalarQuantizer *sq, float k_factor, FILE *fp,
                           const storage_source &src, int64_t batch_rows) {
    faiss::FileIOWriter w(fp);
    uint32_t h = faiss::fourcc("IxRF");
    put(&w, &h, sizeof h);
    write_header(&w, base->d, base->ntotal, base->is_trained, base->metric_type, base->metric_arg);
    faiss::write_index(base, &w);
    write_storage_streamed(&w, base, sq, src, batch_rows);
    put(&w, &k_factor, sizeof k_factor);
}
} // namespace

extern "C" int rvcidx_faiss_write_refine_flat_streamed(const FaissIndex *base_index, float k_factor, FILE *fp,
                                                       rvcidx_faiss_rows_fn rows, void *user, int64_t batch_rows) {
    try {
        write_refine_streamed(reinterpret_cast<const faiss::Index *>(base_index), nullptr, k_factor, fp,
                              storage_source{rows, nullptr, user}, batch_rows);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

extern "C" int rvcidx_faiss_IndexRefine_new_from_rows(FaissIndex *base_, FaissIndex *codec_, rvcidx_faiss_row_fn row,
                                                      void *user, FaissIndex **out) {
    try {
        auto *base = reinterpret_cast<faiss::Index *>(base_);
        auto *codec = dynamic_cast<faiss::IndexScalarQuantizer *>(reinterpret_cast<faiss::Index *>(codec_));
        if (codec_ && (!codec || !codec->is_trained || codec->d != base->d)) return fail("the codec is not a trained SQ of the base's D");
        if (base->ntotal != 0) return fail("the base index must be empty");
        std::unique_ptr<RowsIndex> rows(new RowsIndex(base->d, base->metric_type, nullptr, row, user));
        auto *r = new faiss::IndexRefine(base, rows.get());
        rows.release()->codec.reset(codec);
        r->own_fields = true;
        r->own_refine_index = true;
        *out = reinterpret_cast<FaissIndex *>(r);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

extern "C" int rvcidx_faiss_write_refine_from_rows(const FaissIndex *index, FILE *fp, rvcidx_faiss_rows_fn rows,
                                                   void *user, int64_t batch_rows) {
    try {
        auto *r = dynamic_cast<const faiss::IndexRefine *>(reinterpret_cast<const faiss::Index *>(index));
        auto *storage = r ? dynamic_cast<const RowsIndex *>(r->refine_index) : nullptr;
        if (!storage) return fail("not a refine wrapper over rows read by id");
        if (storage->ntotal != r->base_index->ntotal) return fail("the base index and the rows differ in number");
        write_refine_streamed(r->base_index, storage->codec.get(), r->k_factor, fp, storage_source{rows, nullptr, user},
                              batch_rows);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

extern "C" int rvcidx_faiss_IndexRefine_drop_storage(FaissIndex *index, int64_t *row_bytes) {
    try {
        auto *r = dynamic_cast<faiss::IndexRefine *>(reinterpret_cast<faiss::Index *>(index));
        auto *codes = r ? dynamic_cast<faiss::IndexFlatCodes *>(r->refine_index) : nullptr;
        if (!codes) return fail("not a refine wrapper with a flat or SQ storage");
        std::vector<uint8_t>().swap(codes->codes); // frees them: clear() would keep the capacity
        *row_bytes = static_cast<int64_t>(codes->code_size);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}

extern "C" int rvcidx_faiss_write_refine_codes_streamed(const FaissIndex *index, FILE *fp, rvcidx_faiss_codes_fn codes,
                                                        void *user, int64_t batch_rows) {
    try {
        auto *r = dynamic_cast<const faiss::IndexRefine *>(reinterpret_cast<const faiss::Index *>(index));
        auto *storage = r ? dynamic_cast<const faiss::IndexFlatCodes *>(r->refine_index) : nullptr;
        if (!storage || !storage->codes.empty()) return fail("not a refine wrapper whose storage was dropped");
        auto *sq = dynamic_cast<const faiss::IndexScalarQuantizer *>(storage);
        if (!sq && !dynamic_cast<const faiss::IndexFlat *>(storage)) return fail("a refine storage neither flat nor SQ");
        write_refine_streamed(r->base_index, sq, r->k_factor, fp, storage_source{nullptr, codes, user}, batch_rows);
        return 0;
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}
