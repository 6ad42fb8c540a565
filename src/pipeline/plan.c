/* plan.c — predicts a build's sizes and memory from the shard headers.
 *
 * The memory model follows what each stage holds at its peak:
 *  ingest  one 4 MiB block and HDF5's caches (~32 MiB measured, flat in N);
 *  train   the sample (train_rows x D floats), the centroids, and faiss's
 *          assignment buffers (one distance block per 256 rows of the sample);
 *  encode  the index (rvcidx_index_predict_bytes: the refine storage, the
 *          PQ codes, ids), one add batch and the PQ sample;
 *  eval    the loaded index; for ivfflat and the fp16/sq8 refines also the
 *          indexed vectors and the exact flat index's copy of them (an RFlat
 *          index holds its vectors exactly, and eval searches those for the
 *          ground truth; fp16/sq8 copies are not exact).
 * Each gets 64 MiB for the process and libraries. Sizes are estimates, close
 * for the store and the index (their layout is known), looser for memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "index/index_internal.h"
#include "base/internal.h"
#include "base/param_text.h"
#include "ingest/npy.h"
#include "rvcidx/plan.h"
#include "ingest/sources.h"

#define MIB (1024ull * 1024ull)

/* "12G", "800M", "1048576": bytes, 0 when unreadable. */
static uint64_t parse_size(const char *text) {
    char *end = NULL;
    double v = text ? strtod(text, &end) : 0;
    if (!text || end == text || v <= 0) return 0;
    switch (*end) {
    case 'G': case 'g': v *= 1024.0 * 1024 * 1024; break;
    case 'M': case 'm': v *= 1024.0 * 1024; break;
    case 'K': case 'k': v *= 1024.0; break;
    default: break;
    }
    return (uint64_t)v;
}

/* A size the user set in the environment variable name: 0 and *out = 0 when
 * unset; a typo must not silently mean "no limit", so anything but a
 * positive size ("12G", "800M", "1.5T", "1048576") is refused. */
static int env_size(const char *name, uint64_t *out) {
    const char *text = getenv(name);
    *out = 0;
    if (!text) return 0;
    if (rvcidx__size_parse(text, out) != 0 || *out == 0)
        return rvcidx__fail(RVCIDX_EINVAL, "%s=%s: not a size; set a positive size like 12G, 800M or 1048576 "
                            "(bytes), or unset it", name, text);
    return 0;
}

/* A job's real limit: MemAvailable, the cgroup's memory.max (Slurm and
 * containers set one; MemAvailable shows the whole host), and
 * RVCIDX_MEMORY_LIMIT when set, whichever is smallest. */
static uint64_t mem_available(uint64_t env) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    if (f) fclose(f);
    uint64_t avail = (uint64_t)kb * 1024;
    f = fopen("/sys/fs/cgroup/memory.max", "r");
    if (f && fgets(line, sizeof line, f)) {
        uint64_t cg = parse_size(line);
        if (cg && (avail == 0 || cg < avail)) avail = cg;
    }
    if (f) fclose(f);
    if (env && (avail == 0 || env < avail)) avail = env;
    return avail;
}

static uint64_t disk_free(const char *outdir) {
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s", outdir);
    struct statvfs vfs;
    while (statvfs(probe, &vfs) != 0) { /* the output directory may not exist yet: ask its parent */
        char *slash = strrchr(probe, '/');
        if (!slash || slash == probe) return statvfs("/", &vfs) == 0 ? (uint64_t)vfs.f_bavail * vfs.f_frsize : 0;
        *slash = '\0';
    }
    return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

/* The output filesystem's free space, or RVCIDX_DISK_LIMIT when smaller (to
 * cap what builds may take of a shared disk; the tests use it too). */
static uint64_t disk_available(const char *outdir, uint64_t env) {
    uint64_t free_bytes = disk_free(outdir);
    return env && (free_bytes == 0 || env < free_bytes) ? env : free_bytes;
}

static int count_rows(const rvcidx__shard_list *shards, rvcidx_plan_result *out) {
    for (size_t i = 0; i < shards->count; i++) {
        rvcidx__npy_reader r;
        if (rvcidx__npy_open(&r, shards->items[i].path) != 0) continue; /* ingest reports bad shards */
        if (r.info.rows && !out->dim) out->dim = (int)r.info.cols;
        if (r.info.cols == (uint64_t)out->dim) out->rows += r.info.rows;
        rvcidx__npy_close(&r);
        out->speakers += i == 0 || strcmp(shards->items[i].speaker, shards->items[i - 1].speaker) != 0;
    }
    out->files = shards->count;
    return out->rows ? 0 : rvcidx__fail(RVCIDX_EINPUT, "%s: the shards hold no rows", shards->items[0].path);
}

static void predict(const rvcidx_index_params *ip, const rvcidx_eval_params *ep, rvcidx_plan_result *p) {
    uint64_t n = p->rows, d = (uint64_t)p->dim, vec = d * sizeof(float);
    p->nlist = ip->nlist > 0 ? ip->nlist : rvcidx_auto_nlist(n);
    p->train_rows = rvcidx__train_rows(ip, p->nlist, n);
    p->store_bytes = n * vec + p->files * 512 + MIB;
    p->centroids_bytes = (uint64_t)p->nlist * vec + 64 * 1024;
    p->index_bytes = rvcidx_index_predict_bytes(ip, p->dim, p->nlist, n);
    p->disk_needed = 2 * p->store_bytes + p->centroids_bytes + 2 * p->index_bytes;
    uint64_t base = 64 * MIB;
    p->ram_ingest = base + 32 * MIB;
    p->ram_train = base + p->train_rows * vec + (uint64_t)p->nlist * vec * 2 + 256 * (uint64_t)p->nlist * 4 * 64;
    p->ram_encode = base + p->index_bytes + 16384 * vec + 65536 * vec;
    /* ivfflat (auto builds it too) and the lossy refines: eval reads the vectors from the store and
     * fills an exact flat index with them; only RFlat holds them exactly already */
    int exact_inside = ip->type == RVCIDX_INDEX_IVFPQ4FS && ip->refine == RVCIDX_REFINE_FLAT && !ip->max_index_size;
    uint64_t copies = exact_inside ? 0 : 2 * n * vec;
    if (ip->type == RVCIDX_INDEX_IVFPQ4FS && (ip->refine != RVCIDX_REFINE_FLAT || ip->max_index_size))
        copies += n * vec; /* and what reconstruct_n gives apps, which eval blends with */
    p->ram_eval = ep ? base + copies + p->index_bytes + (uint64_t)ep->queries * vec : 0;
    p->ram_peak = p->ram_ingest;
    if (p->ram_train > p->ram_peak) p->ram_peak = p->ram_train;
    if (p->ram_encode > p->ram_peak) p->ram_peak = p->ram_encode;
    if (p->ram_eval > p->ram_peak) p->ram_peak = p->ram_eval;
}

/* Too few frames fail before ingest with the numbers, not later in faiss's
 * words (index_params.c and eval_queries.c check the same for each index). */
static int check_enough_rows(const char *src, uint64_t rows, const rvcidx_index_params *ip, const rvcidx_eval_params *ep) {
    if (ip->type != RVCIDX_INDEX_IVFFLAT && rows < 16)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %llu rows (frames) in all, but an IVF-PQ4 index needs at least 16 to "
                            "train its codes; add more audio (about a second is 50 frames) or use `index=ivfflat`", src,
                            (unsigned long long)rows);
    if (ep && rows <= (uint64_t)ep->k)
        return rvcidx__fail(RVCIDX_EINPUT, "%s: %llu rows (frames) in all, but measuring %d-recall@%d needs at least %d; "
                            "add more audio or lower `k`", src, (unsigned long long)rows, ep->k, ep->k, ep->k + 1);
    return 0;
}

int rvcidx_plan(const char *const *srcs, int n_srcs, const char *outdir, const rvcidx_ingest_params *ingest,
                const rvcidx_index_params *index, const rvcidx_eval_params *eval, rvcidx_plan_result *out) {
    if (!srcs || !outdir || !index || !out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_plan: NULL argument");
    memset(out, 0, sizeof *out);
    uint64_t mem_limit = 0, disk_limit = 0;
    RVCIDX__TRY(env_size("RVCIDX_MEMORY_LIMIT", &mem_limit));
    RVCIDX__TRY(env_size("RVCIDX_DISK_LIMIT", &disk_limit));
    rvcidx__shard_list shards;
    RVCIDX__TRY(rvcidx__sources_collect(srcs, n_srcs, ingest ? ingest->dim : 0, &shards));
    int rc = count_rows(&shards, out);
    rvcidx__shard_list_free(&shards);
    if (rc == 0) rc = check_enough_rows(srcs[0], out->rows, index, eval);
    if (rc) return rc;
    predict(index, eval, out);
    out->ram_available = mem_available(mem_limit);
    out->disk_available = disk_available(outdir, disk_limit);
    out->fits_ram = out->ram_available == 0 || out->ram_peak <= out->ram_available;
    out->fits_disk = out->disk_available == 0 || out->disk_needed <= out->disk_available;
    return 0;
}

static double gib(uint64_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

void rvcidx_plan_shortfall(const rvcidx_plan_result *p, char *buf, size_t n) {
    char ram[96] = "", disk[96] = "";
    if (!p->fits_ram) snprintf(ram, sizeof ram, "%.2f GiB of memory (%.1f available)", gib(p->ram_peak), gib(p->ram_available));
    if (!p->fits_disk) snprintf(disk, sizeof disk, "%.2f GiB of disk (%.1f free)", gib(p->disk_needed), gib(p->disk_available));
    snprintf(buf, n, "%s%s%s", ram, ram[0] && disk[0] ? " and " : "", disk);
}
