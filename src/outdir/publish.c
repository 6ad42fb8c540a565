/* publish.c — an index made public in its folder: renamed into place under
 * its RVC-style name, recorded in .rvcidx-published with its sha256, and
 * the index rvcidx published there before removed (only if it is still
 * that very file).
 *
 * RVC lists every "added_*.index" of a model folder, so a stale one with an
 * old nprobe would confuse it; but OUTDIR may be that folder, where RVC's own
 * index has a name of the same form. Only the file rvcidx itself published
 * there is ever removed. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/hash.h"
#include "base/internal.h"
#include "outdir/outdir_internal.h"
#include "rvcidx/outdir.h"

/* The index rvcidx last published in dir is named in dir/.rvcidx-published. */
void rvcidx__published_before(const char *dir, char *name, size_t n, char sha[65]) {
    char path[PATH_MAX], line[640];
    snprintf(path, sizeof path, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_PUBLISHED));
    name[0] = sha[0] = '\0';
    FILE *fp = NULL;
    if (access(path, F_OK) != 0 || rvcidx__fopen_own(path, &fp) != 0) return;
    if (!fgets(line, sizeof line, fp)) line[0] = '\0';
    fclose(fp);
    char *space = strchr(line, ' ');
    if (!space || strlen(space + 1) < 64) return;
    *space = '\0';
    snprintf(sha, 65, "%.64s", space + 1);
    if (strchr(line, '/') || strncmp(line, "added_", 6) != 0) return; /* only a name of ours, in dir */
    snprintf(name, n, "%s", line);
}

/* Removes the index rvcidx published before, if it is still that very file
 * (same sha256): a record edited to name another file removes nothing. */
static void remove_older_index(const char *dir, const char *keep_name, const char *old_name, const char *old_sha) {
    char path[PATH_MAX], now[65];
    if (!old_name[0] || !strcmp(old_name, keep_name)) return;
    snprintf(path, sizeof path, "%s/%s", dir, old_name);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || rvcidx__sha256_own_file(path, now) != 0) return;
    if (strcmp(now, old_sha) != 0) {
        rvcidx__log(RVCIDX_LOG_WARN, "kept %s: it is not the index rvcidx published there (its sha256 differs)", path);
        return;
    }
    if (unlink(path) == 0) rvcidx__log(RVCIDX_LOG_INFO, "removed the previous index %s", path);
}

/* The RVC name carries the stored nprobe, so it is known only now. */
int rvcidx__publish_index(const char *dir, const char *model, const char *work, const rvcidx_index_params *ip, int dim,
                          rvcidx_index_result *r) {
    rvcidx_index_params named = *ip;
    named.nprobe = r->nprobe;
    char name[512], old[512], old_sha[65], record[PATH_MAX], line[600], sha[65];
    RVCIDX__TRY(rvcidx_index_file_name(&named, dim, r->train.nlist, model, name, sizeof name));
    snprintf(r->index_path, sizeof r->index_path, "%s/%s", dir, name);
    rvcidx__published_before(dir, old, sizeof old, old_sha);
    RVCIDX__TRY(rvcidx__sha256_own_file(work, sha));
    RVCIDX__TRY(rvcidx__publish_file(work, r->index_path));
    snprintf(record, sizeof record, "%s/%s", dir, rvcidx_output_name(RVCIDX_OUT_PUBLISHED));
    snprintf(line, sizeof line, "%s %s", name, sha);
    RVCIDX__TRY(rvcidx__write_text_file(record, line, 1));
    memcpy(r->index_sha256, sha, sizeof r->index_sha256);
    remove_older_index(dir, name, old, old_sha);
    return 0;
}
