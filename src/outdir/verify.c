/* verify.c — `rvcidx verify`: an output directory against its manifest.
 *
 * Hashes come first: an index is handed to faiss only after its sha256
 * matched, because faiss's reader is not safe on tampered files.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fsutil.h"
#include "base/hash.h"
#include "index/index_io.h"
#include "base/internal.h"
#include "outdir/manifest.h"
#include "rvcidx/store.h"
#include "rvcidx/outdir.h"

typedef struct verify_run {
    const char *outdir;
    rvcidx_verify_mode mode;
    size_t mismatches, checked;
} verify_run;

static void mismatch(verify_run *v, const char *fmt, const char *a, const char *b) {
    char line[PATH_MAX * 2 + 256];
    snprintf(line, sizeof line, fmt, a, b);
    if (v->mode == RVCIDX_VERIFY_ALL) rvcidx__log(RVCIDX_LOG_ERROR, "verify: %s/%s", v->outdir, line);
    v->mismatches++;
}

/* Outputs live inside OUTDIR: a tampered manifest must not point verify (and
 * then faiss) at files elsewhere. */
static int path_is_inside(const char *rel) {
    if (!rel[0] || rel[0] == '/') return 0;
    for (const char *p = rel; *p; p++)
        if ((p == rel || p[-1] == '/') && p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0')) return 0;
    return 1;
}

/* 1 when the output matches its recorded size and sha256. */
static int check_output(verify_run *v, json_t *o) {
    const char *rel = json_string_value(json_object_get(o, "path"));
    const char *want = json_string_value(json_object_get(o, "sha256"));
    json_int_t size = json_integer_value(json_object_get(o, "size"));
    if (!rel || !want) {
        mismatch(v, "manifest.json: an output entry lacks path or sha256%s%s", "", "");
        return 0;
    }
    if (!path_is_inside(rel)) return mismatch(v, "manifest.json: output path '%s' leaves the directory%s", rel, ""), 0;
    char path[PATH_MAX], sha[65];
    snprintf(path, sizeof path, "%s/%s", v->outdir, rel);
    struct stat st;
    v->checked++;
    if (lstat(path, &st) != 0) return mismatch(v, "%s: missing%s", rel, ""), 0;
    if (!S_ISREG(st.st_mode)) return mismatch(v, "%s: not a regular file (a link, FIFO or device was put there)%s", rel, ""), 0;
    if ((json_int_t)st.st_size != size) return mismatch(v, "%s: size differs from the manifest%s", rel, ""), 0;
    if (v->mode == RVCIDX_VERIFY_SIZES) return 1;
    if (rvcidx__sha256_own_file(path, sha) != 0) return mismatch(v, "%s: unreadable%s", rel, ""), 0;
    if (strcmp(sha, want) != 0) return mismatch(v, "%s: sha256 differs from the manifest (%s)", rel, sha), 0;
    return 1;
}

static int is_sha256_hex(const char *s) {
    if (!s || strlen(s) != 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

static int listed(json_t *outputs, const char *rel) {
    size_t i;
    json_t *o;
    json_array_foreach(outputs, i, o) {
        const char *p = json_string_value(json_object_get(o, "path"));
        if (p && rel && !strcmp(p, rel)) return 1;
    }
    return 0;
}

/* What a complete build's manifest must hold; a manifest that leaves its
 * store or an index out of its outputs, or whose entries have the wrong
 * types, proves nothing and is reported, never passed. */
static void check_shape(verify_run *v, json_t *doc) {
    json_t *outputs = json_object_get(doc, "outputs"), *indexes = json_object_get(doc, "indexes"), *o;
    size_t i;
    const char *format = json_string_value(json_object_get(doc, "format"));
    if (!format || strcmp(format, "rvcidx-manifest") != 0)
        mismatch(v, "manifest.json: not an rvcidx manifest (format is not rvcidx-manifest)%s%s", "", "");
    if (json_integer_value(json_object_get(doc, "format_version")) != 1)
        mismatch(v, "manifest.json: format_version is not 1, the version this rvcidx writes%s%s", "", "");
    if (!json_is_array(outputs) || json_array_size(outputs) == 0) {
        mismatch(v, "manifest.json: 'outputs' is missing, empty or not a list%s%s", "", "");
        return;
    }
    if (!json_is_array(indexes) || json_array_size(indexes) == 0)
        mismatch(v, "manifest.json: 'indexes' is missing, empty or not a list%s%s", "", "");
    json_array_foreach(outputs, i, o) {
        json_t *size = json_object_get(o, "size");
        if (!json_is_string(json_object_get(o, "path")) || !json_is_integer(size) || json_integer_value(size) < 0 ||
            !is_sha256_hex(json_string_value(json_object_get(o, "sha256"))))
            mismatch(v, "manifest.json: output entry %s has no path, size or sha256 of the right type%s",
                     json_is_string(json_object_get(o, "path")) ? json_string_value(json_object_get(o, "path")) : "?", "");
    }
    if (!listed(outputs, rvcidx_output_name(RVCIDX_OUT_STORE))) mismatch(v, "manifest.json: the outputs leave out store.h5%s%s", "", "");
    json_array_foreach(indexes, i, o) {
        const char *rel = json_string_value(json_object_get(o, "path"));
        if (!rel || !listed(outputs, rel))
            mismatch(v, "manifest.json: index %s is not among the outputs (its hash is not recorded)%s", rel ? rel : "?", "");
    }
}

static int output_ok(json_t *ok_paths, const char *rel) {
    return rel && json_is_true(json_object_get(ok_paths, rel));
}

/* The rows an index must hold: the store's, or its speaker's with
 * --per-speaker; -1 when the store is not there to say (a mismatch already). */
static int64_t expected_rows(verify_run *v, json_t *doc, json_t *ix, json_t *ok_paths) {
    if (!output_ok(ok_paths, rvcidx_output_name(RVCIDX_OUT_STORE))) return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", v->outdir, rvcidx_output_name(RVCIDX_OUT_STORE));
    rvcidx_store *st = NULL;
    if (rvcidx_store_open(path, &st) != 0) return -1;
    int64_t rows = (int64_t)rvcidx_store_rows(st);
    json_t *per_speaker = json_object_get(json_object_get(json_object_get(doc, "request"), "parameters"), "per_speaker");
    const char *name = json_string_value(json_object_get(ix, "name"));
    if (json_is_true(per_speaker)) {
        rows = -2;
        for (size_t i = 0; name && i < rvcidx_store_speaker_count(st); i++) {
            rvcidx_store_speaker spk;
            if (rvcidx_store_get_speaker(st, i, &spk) == 0 && !strcmp(spk.name, name)) rows = (int64_t)spk.rows;
        }
    }
    rvcidx_store_close(st);
    return rows;
}

/* What a build writes beside each index must be listed too, with its hash. */
static void check_index_companions(verify_run *v, json_t *outputs, json_t *ix, const char *rel) {
    char dir[PATH_MAX], want[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s", rel);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    snprintf(want, sizeof want, "%s%s%s", slash ? dir : "", slash ? "/" : "", rvcidx_output_name(RVCIDX_OUT_CENTROIDS));
    if (!listed(outputs, want)) mismatch(v, "manifest.json: %s is not among the outputs%s", want, "");
    snprintf(want, sizeof want, "%s%s%s", slash ? dir : "", slash ? "/" : "", rvcidx_output_name(RVCIDX_OUT_REPORT_JSON));
    if (json_object_get(ix, "recall") && !listed(outputs, want)) mismatch(v, "manifest.json: %s is not among the outputs%s", want, "");
    json_t *recall = json_object_get(ix, "recall");
    const char *keys[] = {"recall_1", "recall_k", "empty_share"};
    for (size_t i = 0; recall && i < 3; i++) {
        json_t *x = json_object_get(recall, keys[i]);
        if (!json_is_number(x) || json_number_value(x) < 0 || json_number_value(x) > 1)
            mismatch(v, "manifest.json: %s: recall figure %s is not a share between 0 and 1", rel, keys[i]);
    }
}

static void check_index(verify_run *v, json_t *doc, json_t *ix, json_t *ok_paths) {
    const char *rel = json_string_value(json_object_get(ix, "path"));
    if (!output_ok(ok_paths, rel)) {
        if (rel) rvcidx__log(RVCIDX_LOG_WARN, "verify: %s/%s: not loaded (its hash did not match)", v->outdir, rel);
        return;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", v->outdir, rel);
    FaissIndex *index = NULL;
    rvcidx__index_info info;
    if (rvcidx__index_load(path, &index, &info) != 0) {
        mismatch(v, "%s: does not load: %s", rel, rvcidx_last_error());
        return;
    }
    faiss_Index_free(index);
    const char *factory = json_string_value(json_object_get(ix, "factory"));
    int want_flat = factory && strstr(factory, ",Flat") != NULL;
    int want_residual = factory && strstr(factory, "x4fsr,") != NULL;
    if ((info.type == RVCIDX_INDEX_IVFFLAT) != want_flat || info.residual != want_residual)
        mismatch(v, "%s: index type is not %s", rel, factory ? factory : "?");
    if (info.dim != json_integer_value(json_object_get(ix, "dim"))) mismatch(v, "%s: d differs from the manifest%s", rel, "");
    if ((json_int_t)info.ntotal != json_integer_value(json_object_get(ix, "ntotal")))
        mismatch(v, "%s: ntotal differs from the manifest%s", rel, "");
    if ((json_int_t)info.nlist != json_integer_value(json_object_get(ix, "nlist")))
        mismatch(v, "%s: nlist differs from the manifest%s", rel, "");
    int64_t rows = expected_rows(v, doc, ix, ok_paths);
    json_t *reduction = json_object_get(ix, "reduction"); /* `max_vectors`: the index holds the kept vectors */
    if (json_is_object(reduction) && rows >= 0) {
        if (json_integer_value(json_object_get(reduction, "input_vectors")) != rows)
            mismatch(v, "%s: the reduction's input_vectors differ from the store's rows%s", rel, "");
        rows = json_integer_value(json_object_get(reduction, "kept"));
    }
    if (rows != -1 && rows != (int64_t)info.ntotal)
        mismatch(v, "%s: holds other rows than the store gives it (ntotal differs from the store's rows%s)", rel,
                 rows == -2 ? ": no such speaker" : "");
}

int rvcidx_verify(const char *outdir, rvcidx_verify_mode mode, size_t *mismatches, size_t *checked) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", outdir, rvcidx_output_name(RVCIDX_OUT_MANIFEST));
    json_error_t err;
    struct stat st;
    int present = lstat(path, &st) == 0;
    json_t *doc = present ? rvcidx__json_load_own(path, &err) : NULL;
    if (!present) return rvcidx__fail(RVCIDX_EINPUT, "%s: no manifest: not a complete rvcidx build", path);
    verify_run v = {outdir, mode, 0, 0};
    if (!doc) { /* there, but damaged or tampered: a mismatch, like any other */
        mismatch(&v, "manifest.json: unreadable (%s)%s", err.text, "");
        if (mismatches) *mismatches = v.mismatches;
        if (checked) *checked = 0;
        return 0;
    }
    check_shape(&v, doc);
    json_t *ok_paths = json_object(), *o;
    size_t i;
    json_array_foreach(json_object_get(doc, "outputs"), i, o) {
        const char *rel = json_string_value(json_object_get(o, "path"));
        if (check_output(&v, o) && rel) json_object_set_new(ok_paths, rel, json_true());
    }
    json_array_foreach(json_object_get(doc, "indexes"), i, o) {
        const char *rel = json_string_value(json_object_get(o, "path"));
        if (rel) check_index_companions(&v, json_object_get(doc, "outputs"), o, rel);
        if (mode == RVCIDX_VERIFY_ALL) check_index(&v, doc, o, ok_paths);
    }
    json_decref(ok_paths);
    json_decref(doc);
    if (mismatches) *mismatches = v.mismatches;
    if (checked) *checked = v.checked;
    return 0;
}
