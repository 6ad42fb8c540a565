/* output_names.c — the one table of the names a build writes in OUTDIR
 * (rvcidx/outdir.h). In base/ because every stage that writes there
 * (eval's reports, the pipeline's manifest and lock) names files by it. */
#include <stdio.h>

#include "base/internal.h"
#include "rvcidx/outdir.h"

static const char *const output_names[RVCIDX_OUT_COUNT] = {
    [RVCIDX_OUT_CENTROIDS] = "centroids.h5",   [RVCIDX_OUT_REPORT_JSON] = "report.json",
    [RVCIDX_OUT_TIMINGS] = "timings.json",     [RVCIDX_OUT_REPORT_MD] = "report.md",
    [RVCIDX_OUT_REPORT_SVG] = "report.svg",    [RVCIDX_OUT_PUBLISHED] = ".rvcidx-published",
    [RVCIDX_OUT_STORE] = "store.h5",           [RVCIDX_OUT_STORE_STAT] = "store.h5.stat.json",
    [RVCIDX_OUT_MANIFEST] = "manifest.json",   [RVCIDX_OUT_RUN] = "run.json",
    [RVCIDX_OUT_FAILED] = ".rvcidx-failed.json", [RVCIDX_OUT_LOCK] = ".rvcidx.lock",
    [RVCIDX_OUT_SPLIT] = ".rvcidx-split",      [RVCIDX_OUT_SUBMIT] = ".rvcidx-submit"};

const char *rvcidx_output_name(rvcidx_output which) {
    return which >= 0 && which < RVCIDX_OUT_COUNT ? output_names[which] : "";
}

int rvcidx_outdir_path(const char *dir, rvcidx_output which, char *buf, size_t n) {
    int len = snprintf(buf, n, "%s/%s", dir, rvcidx_output_name(which));
    if (len < 0 || (size_t)len >= n) return rvcidx__fail(RVCIDX_EINVAL, "%s: path too long", dir);
    return 0;
}
