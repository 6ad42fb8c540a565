/* index_io.c — loads, inspects, re-parameterises and saves index files. */
#include "index/index_io.h"

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/index_io_c.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "index/faiss_c_ext.h"
#include "base/faiss_check.h"
#include "base/fsutil.h"
#include "base/internal.h"
#include "rvcidx/eval.h"

int rvcidx__index_describe_loaded(FaissIndex *index, const char *path, rvcidx__index_info *info) {
    memset(info, 0, sizeof *info);
    int refine_kind = -1;
    float k_factor = 0;
    int refine = rvcidx_faiss_IndexRefine_describe(index, &refine_kind, &k_factor) == 0;
    FaissIndex *base = index;
    if (refine && rvcidx_faiss_IndexRefine_base_index(index, &base) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %s", path, faiss_get_last_error());
    if (refine && refine_kind < 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: a refine wrapper whose storage is not flat, SQfp16 or SQ8", path);
    FaissIndexIVF *ivf = faiss_IndexIVF_cast(base);
    info->type = refine ? RVCIDX_INDEX_IVFPQ4FS : RVCIDX_INDEX_IVFFLAT;
    info->refine = refine ? (rvcidx_refine)refine_kind : RVCIDX_REFINE_FLAT;
    info->dim = faiss_Index_d(index);
    info->ntotal = (uint64_t)faiss_Index_ntotal(index);
    info->inner_product = faiss_Index_metric_type(index) == METRIC_INNER_PRODUCT;
    if (refine) {
        info->k_factor = (int)k_factor;
        info->pq_m = info->dim / 2;
    }
    if (refine && rvcidx_faiss_IndexIVF_by_residual(base, &info->residual) != 0)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %s", path, faiss_get_last_error());
    if (ivf) {
        info->nlist = (int64_t)faiss_IndexIVF_nlist(ivf);
        info->nprobe = (int)faiss_IndexIVF_nprobe(ivf);
    }
    if (!refine && !ivf)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: not an IVF index or an IVF index with a refine wrapper", path);
    return 0;
}

int rvcidx__index_load(const char *path, FaissIndex **out, rvcidx__index_info *info) {
    *out = NULL;
    FILE *fp = NULL;
    RVCIDX__TRY(rvcidx__fopen_input(path, &fp)); /* a FIFO is refused, not waited on */
    FaissIndex *index = NULL;
    int failed = faiss_read_index(fp, 0, &index) != 0;
    fclose(fp);
    if (failed) return rvcidx__fail(RVCIDX_EINPUT, "%s: not a faiss index: %s", path, faiss_get_last_error());
    int rc = rvcidx__index_describe_loaded(index, path, info);
    if (rc) {
        faiss_Index_free(index);
        return rc;
    }
    *out = index;
    return 0;
}

int rvcidx__index_set_params(FaissIndex *index, int nprobe, int k_factor) {
    FaissParameterSpace *ps = NULL;
    RVCIDX__FAISS_CHECK(faiss_ParameterSpace_new(&ps), "ParameterSpace_new");
    int rc = faiss_ParameterSpace_set_index_parameter(ps, index, "nprobe", (double)nprobe);
    int refine_kind = -1;
    float old_k = 0;
    if (rc == 0 && k_factor > 0 && rvcidx_faiss_IndexRefine_describe(index, &refine_kind, &old_k) == 0)
        rc = faiss_ParameterSpace_set_index_parameter(ps, index, "k_factor_rf", (double)k_factor);
    faiss_ParameterSpace_free(ps);
    RVCIDX__FAISS_CHECK(rc, "setting nprobe/k_factor");
    return 0;
}

/* How an index reaches its file: faiss's writer, or with rows, the streamed
 * RFlat one (by_id 0: index is the base) or the one of a refine reading its
 * rows by id (by_id 1: index is that wrapper). */
typedef struct index_writer {
    const FaissIndex *index;
    int k_factor, by_id;
    rvcidx_faiss_rows_fn rows;
    rvcidx_faiss_codes_fn codes; /* or the storage's bytes (a merge's parts) */
    void *user;
} index_writer;

enum { STREAM_BATCH_ROWS = 8192 }; /* 24 MiB of D=768 floats at a time */

static int write_index_to(const index_writer *w, FILE *fp) {
    if (w->codes) return rvcidx_faiss_write_refine_codes_streamed(w->index, fp, w->codes, w->user, STREAM_BATCH_ROWS);
    if (!w->rows) return faiss_write_index(w->index, fp);
    if (w->by_id) return rvcidx_faiss_write_refine_from_rows(w->index, fp, w->rows, w->user, STREAM_BATCH_ROWS);
    return rvcidx_faiss_write_refine_flat_streamed(w->index, (float)w->k_factor, fp, w->rows, w->user, STREAM_BATCH_ROWS);
}

static int save_with(const index_writer *w, const char *path) {
    char tmp[PATH_MAX];
    int fd;
    RVCIDX__TRY(rvcidx__tmp_create(path, tmp, sizeof tmp, &fd)); /* never through a link planted at that name */
    FILE *fp = fdopen(fd, "wb");
    if (!fp) close(fd);
    int failed = !fp || write_index_to(w, fp) != 0;
    const char *why = fp ? faiss_get_last_error() : strerror(errno);
    int rc = failed ? rvcidx__fail(RVCIDX_EIO, "%s: writing the index failed: %s", path, why ? why : "unknown") : 0;
    if (fp && fclose(fp) != 0 && rc == 0) rc = rvcidx__fail(RVCIDX_EIO, "%s: writing the index failed: %s", path, strerror(errno));
    if (rc) {
        unlink(tmp);
        return rc;
    }
    return rvcidx__publish_file(tmp, path);
}

int rvcidx__index_save(const FaissIndex *index, const char *path) {
    index_writer w = {.index = index};
    return save_with(&w, path);
}

int rvcidx__index_save_refine_flat_streamed(const FaissIndex *base, int k_factor, rvcidx_faiss_rows_fn rows, void *user,
                                            const char *path) {
    index_writer w = {.index = base, .k_factor = k_factor, .rows = rows, .user = user};
    return save_with(&w, path);
}

int rvcidx__index_save_from_rows(const FaissIndex *index, rvcidx_faiss_rows_fn rows, void *user, const char *path) {
    index_writer w = {.index = index, .by_id = 1, .rows = rows, .user = user};
    return save_with(&w, path);
}

int rvcidx__index_save_codes_streamed(const FaissIndex *index, rvcidx_faiss_codes_fn codes, void *user,
                                      const char *path) {
    index_writer w = {.index = index, .codes = codes, .user = user};
    return save_with(&w, path);
}

int rvcidx_index_set_search_params(const char *path, int nprobe, int k_factor) {
    FaissIndex *index = NULL;
    rvcidx__index_info info;
    RVCIDX__TRY(rvcidx__index_load(path, &index, &info));
    int rc = rvcidx__index_set_params(index, nprobe, k_factor);
    if (rc == 0) rc = rvcidx__index_save(index, path);
    faiss_Index_free(index);
    return rc;
}
