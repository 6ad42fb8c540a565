/* faiss_c_ext.h — private: the calls rvcidx needs that faiss 1.7.3's C API
 * lacks, implemented in faiss_c_ext.cpp (the project's only C++ file).
 * Same conventions as faiss's C API: 0 on success, otherwise the message is
 * in faiss_get_last_error(). */
#ifndef RVCIDX_FAISS_C_EXT_H
#define RVCIDX_FAISS_C_EXT_H

#include <faiss/c_api/Index_c.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The index an IndexRefine wraps (borrowed: owned by the wrapper). Fails
 * when index is not an IndexRefine. */
int rvcidx_faiss_IndexRefine_base_index(FaissIndex *index, FaissIndex **base);

/* The exact index an IndexRefine re-ranks with (borrowed: owned by the
 * wrapper; an IndexFlat for RFlat). Fails when index is not an IndexRefine. */
int rvcidx_faiss_IndexRefine_refine_index(FaissIndex *index, FaissIndex **refine_index);

/* A refine wrapper that owns base and refine_index (both trained), as
 * faiss's factory makes for "...,Refine(SQ8)": the C API has only
 * IndexRefineFlat. On failure nothing is taken over. */
int rvcidx_faiss_IndexRefine_new(FaissIndex *base, FaissIndex *refine_index, FaissIndex **out);

/* What an IndexRefine re-ranks with: *refine 0 an exact IndexFlat (RFlat),
 * 1 SQfp16, 2 SQ8, -1 anything else; *k_factor its k_factor. Fails when
 * index is not an IndexRefine. */
int rvcidx_faiss_IndexRefine_describe(FaissIndex *index, int *refine, float *k_factor);

/* *residual 1 when the IVF index (or the one inside a refine wrapper)
 * encodes residuals to its list centroids (factory "x4fsr"), else 0:
 * the C API does not expose IndexIVF::by_residual. Fails when index is not
 * an IVF index. */
int rvcidx_faiss_IndexIVF_by_residual(FaissIndex *index, int *residual);

/* Makes room in an IndexRefine's storage (flat or SQ codes) for rows
 * vectors in all (no-op for other indexes), so that adding up to that many reallocates
 * nothing: a std::vector grown by adds doubles, and holds its old and its
 * new copy at once while it does (at 1M x 768 floats, 1.3 GB over the
 * index's own size). */
int rvcidx_faiss_IndexRefineFlat_reserve(FaissIndex *index, int64_t rows);

/* Appends src's vectors to dst, their ids shifted by add_id (the number of
 * rows before src's first). Both must come from the same trained empty
 * index: IVF-Flat, IVF-PQ FastScan, or either inside a refine wrapper.
 * Without with_storage a refine wrapper's storage only counts the rows
 * (its codes dropped before: rvcidx_faiss_IndexRefine_drop_storage). src
 * is left unusable (its lists may have been moved). */
int rvcidx_faiss_merge_into(FaissIndex *dst, FaissIndex *src, int64_t add_id, int with_storage);

/* No per-sub-quantizer "WARNING clustering" lines on stderr when an IVF-PQ
 * FastScan index trains on a small sample (no-op for other indexes); the
 * trained codes are unchanged. */
int rvcidx_faiss_pq_quiet(FaissIndex *index);

/* Frees the refine wrapper index and its storage and hands back the base
 * index inside it, now the caller's (free with faiss_Index_free). */
int rvcidx_faiss_IndexRefine_take_base(FaissIndex *index, FaissIndex **base);

/* Fills out with rows [first, first + n) of the vectors the base index
 * holds, as added; 0 on success. */
typedef int (*rvcidx_faiss_rows_fn)(void *user, int64_t first, int64_t n, float *out);

/* Writes to fp what faiss_write_index writes for an IndexRefineFlat around
 * base_index (trained, ntotal rows added) whose flat storage holds the
 * rows rows() gives, with this k_factor; the rows are asked for in order,
 * batch_rows at a time, and never all held. */
int rvcidx_faiss_write_refine_flat_streamed(const FaissIndex *base_index, float k_factor, FILE *fp,
                                            rvcidx_faiss_rows_fn rows, void *user, int64_t batch_rows);

/* Fills out with row id (dim floats) of the rows an index was given, in
 * order; 0 on success. Called from many threads at once: it must be
 * thread-safe, and a failure must be remembered by the caller's side (the
 * search it happens in cannot stop: that row then ranks last). */
typedef int (*rvcidx_faiss_row_fn)(void *user, int64_t id, float *out);

/* A refine wrapper around base (trained; taken over) whose storage holds no
 * vectors: row i is what row(user, i, out) gives, and with codec (a trained
 * SQfp16 or SQ8 IndexScalarQuantizer, taken over) it is coded as that
 * refine stores it; NULL keeps it exact, as RFlat. Searches, reconstruct()
 * and k_factor behave as the refine that holds those rows: the same
 * distances (the same faiss functions on the same floats or codes). add()
 * adds to base and counts the rows, which must be row()'s, in order. On
 * failure nothing is taken over. */
int rvcidx_faiss_IndexRefine_new_from_rows(FaissIndex *base, FaissIndex *codec, rvcidx_faiss_row_fn row, void *user,
                                           FaissIndex **out);

/* Writes to fp what faiss_write_index writes for a refine wrapper made by
 * rvcidx_faiss_IndexRefine_new_from_rows (its base holding ntotal rows)
 * were its storage an IndexFlat (no codec) or the codec's
 * IndexScalarQuantizer holding those rows: rows() gives them in order,
 * batch_rows at a time, never all held. */
int rvcidx_faiss_write_refine_from_rows(const FaissIndex *index, FILE *fp, rvcidx_faiss_rows_fn rows, void *user,
                                        int64_t batch_rows);

/* Frees the codes (floats for RFlat) of a refine wrapper's flat or SQ
 * storage, which keeps counting its rows; *row_bytes: the bytes each row's
 * code took. */
int rvcidx_faiss_IndexRefine_drop_storage(FaissIndex *index, int64_t *row_bytes);

/* Fills out with the stored bytes of rows [first, first + n) of a refine
 * storage (row_bytes each, in order); 0 on success. */
typedef int (*rvcidx_faiss_codes_fn)(void *user, int64_t first, int64_t n, uint8_t *out);

/* Writes to fp what faiss_write_index writes for index (a refine wrapper
 * whose storage was dropped, its base holding every row) were its storage
 * holding the bytes codes() gives, batch_rows rows at a time. */
int rvcidx_faiss_write_refine_codes_streamed(const FaissIndex *index, FILE *fp, rvcidx_faiss_codes_fn codes, void *user,
                                             int64_t batch_rows);

#ifdef __cplusplus
}
#endif
#endif
