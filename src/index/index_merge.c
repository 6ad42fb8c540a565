/* index_merge.c — the last step of a split build: partial indexes, each
 * encoded from the same trained empty index over a contiguous row range,
 * appended in row order into one index (ids become global row numbers).
 * The appending itself is faiss_c_ext.cpp's: the C API has no FastScan or
 * refine-storage merge. A refine's storage (the floats of RFlat, most of
 * the file) is not merged in memory: each part's is dropped once its PQ
 * lists are appended, and the merged file gets the parts' stored bytes
 * copied from their files in order, so the merge holds the PQ index and one
 * part at a time. */
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsutil.h"

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

/* The parts' refine storages, read back from their files in row order:
 * faiss writes a refine wrapper's storage last but for k_factor (4 bytes),
 * its codes as a vector (an 8-byte count, then the elements). */
typedef struct part_codes {
    const char *const *paths;
    size_t n, at;      /* parts; the one being read */
    int64_t *rows;     /* rows of each part */
    int64_t row_bytes; /* bytes of one row's code */
    int flat;          /* the count is of floats (RFlat), else of bytes */
    int64_t left;      /* rows of part `at` still to read */
    FILE *fp;
    char why[512]; /* the first failure's message: the writer's own would replace it */
} part_codes;

static int open_part_codes(part_codes *pc) {
    const char *path = pc->paths[pc->at];
    RVCIDX__TRY(rvcidx__fopen_input(path, &pc->fp));
    uint64_t bytes = (uint64_t)pc->rows[pc->at] * (uint64_t)pc->row_bytes, count = 0;
    uint64_t want = pc->flat ? bytes / sizeof(float) : bytes;
    long size = fseek(pc->fp, 0, SEEK_END) == 0 ? ftell(pc->fp) : -1;
    int ok = size >= 0 && (uint64_t)size >= bytes + 12 &&
             fseek(pc->fp, (long)((uint64_t)size - 4 - bytes - 8), SEEK_SET) == 0 && fread(&count, 8, 1, pc->fp) == 1 &&
             count == want;
    if (!ok) return rvcidx__fail(RVCIDX_EINPUT, "%s: its refine storage is not where a part's is; remove it and run "
                                 "its part again", path);
    pc->left = pc->rows[pc->at];
    return 0;
}

static int part_failed(part_codes *pc) {
    snprintf(pc->why, sizeof pc->why, "%s", rvcidx_last_error());
    return -1;
}

static int read_part_codes(void *user, int64_t first, int64_t n, uint8_t *out) {
    (void)first; /* asked in order, each row once */
    part_codes *pc = user;
    while (n > 0) {
        if (!pc->fp && pc->at >= pc->n) return rvcidx__fail(RVCIDX_EINPUT, "merge: the parts hold fewer rows"), part_failed(pc);
        if (!pc->fp && open_part_codes(pc) != 0) return part_failed(pc);
        int64_t m = n < pc->left ? n : pc->left;
        if (m > 0 && fread(out, (size_t)pc->row_bytes, (size_t)m, pc->fp) != (size_t)m)
            return rvcidx__fail(RVCIDX_EIO, "%s: reading its stored vectors failed", pc->paths[pc->at]), part_failed(pc);
        out += m * pc->row_bytes, n -= m, pc->left -= m;
        if (pc->left == 0) {
            fclose(pc->fp);
            pc->fp = NULL;
            pc->at++;
        }
    }
    return 0;
}

static int merge_one(FaissIndex *merged, const char *path, const rvcidx__index_info *first, int with_storage,
                     int64_t *rows) {
    FaissIndex *part = NULL;
    rvcidx__index_info info;
    RVCIDX__TRY(rvcidx__index_load(path, &part, &info));
    int rc = check_same_kind(first, &info, path);
    *rows = faiss_Index_ntotal(part);
    if (rc == 0 && rvcidx_faiss_merge_into(merged, part, faiss_Index_ntotal(merged), with_storage) != 0)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: %s; remove it and run its part again", path, faiss_get_last_error());
    faiss_Index_free(part);
    return rc;
}

static int save_merged(FaissIndex *merged, part_codes *pc, int nprobe, int k_factor, const char *out_path) {
    if (nprobe > 0) RVCIDX__TRY(rvcidx__index_set_params(merged, nprobe, k_factor));
    if (!pc->row_bytes) return rvcidx__index_save(merged, out_path);
    int rc = rvcidx__index_save_codes_streamed(merged, read_part_codes, pc, out_path);
    if (pc->fp) fclose(pc->fp);
    return rc && pc->why[0] ? rvcidx__fail(RVCIDX_EINPUT, "%s", pc->why) : rc;
}

int rvcidx__index_merge_set(const char *const *part_paths, size_t n, const char *out_path, rvcidx_progress_fn progress,
                            void *progress_user, int nprobe, int k_factor, rvcidx_encode_result *result) {
    if (!part_paths || n == 0 || !out_path) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_index_merge: no parts");
    double start = omp_get_wtime();
    FaissIndex *merged = NULL;
    rvcidx__index_info first;
    RVCIDX__TRY(rvcidx__index_load(part_paths[0], &merged, &first));
    part_codes pc = {.paths = part_paths, .n = n, .flat = first.refine == RVCIDX_REFINE_FLAT};
    pc.rows = calloc(n, sizeof *pc.rows);
    int rc = pc.rows ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "merge: out of memory");
    if (rc == 0) pc.rows[0] = faiss_Index_ntotal(merged);
    if (rc == 0 && first.type == RVCIDX_INDEX_IVFPQ4FS && rvcidx_faiss_IndexRefine_drop_storage(merged, &pc.row_bytes) != 0)
        rc = rvcidx__fail(RVCIDX_EINPUT, "%s: %s", part_paths[0], faiss_get_last_error());
    if (rc == 0) rc = report_merged(progress, progress_user, 1, n);
    for (size_t i = 1; rc == 0 && i < n; i++) {
        rc = merge_one(merged, part_paths[i], &first, pc.row_bytes == 0, &pc.rows[i]);
        if (rc == 0) rc = report_merged(progress, progress_user, i + 1, n);
    }
    if (rc == 0) rc = save_merged(merged, &pc, nprobe, k_factor, out_path);
    if (rc == 0 && result) {
        memset(result, 0, sizeof *result);
        result->dim = first.dim;
        result->nlist = first.nlist;
        result->ntotal = (uint64_t)faiss_Index_ntotal(merged);
        result->seconds = omp_get_wtime() - start;
    }
    free(pc.rows);
    faiss_Index_free(merged);
    return rc;
}

int rvcidx_index_merge(const char *const *part_paths, size_t n, const char *out_path, const rvcidx_run *run,
                       rvcidx_encode_result *result) {
    return rvcidx__index_merge_set(part_paths, n, out_path, run ? run->progress : NULL, run ? run->progress_user : NULL,
                                   0, 0, result);
}
