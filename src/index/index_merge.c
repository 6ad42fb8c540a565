/* index_merge.c — the last step of a split build: partial indexes, each
 * encoded from the same trained empty index over a contiguous row range,
 * appended in row order into one index (ids become global row numbers).
 * The appending itself is faiss_c_ext.cpp's: the C API has no FastScan or
 * refine-storage merge. */
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <omp.h>
#include <string.h>

#include "index/faiss_c_ext.h"
#include "index/index_io.h"
#include "base/internal.h"

static int check_same_kind(const rvcidx__index_info *a, const rvcidx__index_info *b, const char *path) {
    if (a->type != b->type || a->dim != b->dim || a->nlist != b->nlist || a->inner_product != b->inner_product)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: not a part of the same split build (type, D, nlist or metric differ)", path);
    return 0;
}

static int report_merged(const rvcidx_progress_fn fn, void *user, uint64_t done, uint64_t total) {
    if (!fn) return 0;
    rvcidx_progress pr = {"merge", "parts", done, total, 0, done == total};
    return fn(&pr, user) ? rvcidx__fail(RVCIDX_EINTR, "merge: stopped on request") : 0;
}

static int merge_one(FaissIndex *merged, const char *path, const rvcidx__index_info *first) {
    FaissIndex *part = NULL;
    rvcidx__index_info info;
    RVCIDX__TRY(rvcidx__index_load(path, &part, &info));
    int rc = check_same_kind(first, &info, path);
    if (rc == 0 && rvcidx_faiss_merge_into(merged, part, faiss_Index_ntotal(merged)) != 0)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: %s; remove it and run its part again", path, faiss_get_last_error());
    faiss_Index_free(part);
    return rc;
}

int rvcidx_index_merge(const char *const *part_paths, size_t n, const char *out_path, rvcidx_progress_fn progress,
                       void *progress_user, rvcidx_encode_result *result) {
    if (!part_paths || n == 0 || !out_path) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_index_merge: no parts");
    double start = omp_get_wtime();
    FaissIndex *merged = NULL;
    rvcidx__index_info first;
    RVCIDX__TRY(rvcidx__index_load(part_paths[0], &merged, &first));
    int rc = report_merged(progress, progress_user, 1, n);
    for (size_t i = 1; rc == 0 && i < n; i++) {
        rc = merge_one(merged, part_paths[i], &first);
        if (rc == 0) rc = report_merged(progress, progress_user, i + 1, n);
    }
    if (rc == 0) rc = rvcidx__index_save(merged, out_path);
    if (rc == 0 && result) {
        memset(result, 0, sizeof *result);
        result->dim = first.dim;
        result->nlist = first.nlist;
        result->ntotal = (uint64_t)faiss_Index_ntotal(merged);
        result->seconds = omp_get_wtime() - start;
    }
    faiss_Index_free(merged);
    return rc;
}
