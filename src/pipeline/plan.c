/* plan.c — predicts a build's sizes and memory from the shard headers.
 *
 * The memory model follows what each stage holds at its peak; each gets
 * 64 MiB for the process and libraries:
 *  ingest  one 4 MiB block and HDF5's caches (~32 MiB measured, flat in N);
 *  reduce  (a budget) what rvcidx__reduce_predict_ram says, which reduce.c
 *          keeps true;
 *  train   the sample (train_rows x D floats), its assignment, the
 *          centroids, and one BLAS block of distances;
 *  encode  the index (rvcidx_index_predict_bytes: the refine storage, the PQ
 *          codes, ids) and one add batch, or before the adds the PQ sample.
 *          An RFlat index tuned on a held-out speaker never holds more floats
 *          than its tuning index's: the rest are streamed into the file;
 *          past RVCIDX_ROWS_IN_MEMORY (256 MiB) of tuning rows, no refine
 *          storage at all (rows read by id; fp16/sq8 codes streamed too);
 *  eval    the index tuned on: with two speakers or more, all but the last
 *          (build_index.c holds it out as the queries); for ivfflat and the
 *          fp16/sq8 refines also the indexed vectors and the exact flat
 *          index's copy of them (an RFlat index holds its vectors exactly, and
 *          eval searches those for the ground truth; fp16/sq8 copies are not
 *          exact), and for fp16/sq8 what reconstruct_n gives apps; past
 *          RVCIDX_ROWS_IN_MEMORY none of these copies, but one ground-truth
 *          block of rows and its exact index;
 *  merge   (split) the merged index, its refine storage a second time (the
 *          vector grows by reallocation: old and new at once) and the part
 *          being appended.
 * The modes: a budget plans the index of the kept vectors, tuned on all of
 * them (which method `reduce=auto` keeps, and so whether a speaker is held
 * out, is known only after the reduction); per speaker, every speaker's
 * index, the peaks the largest one's (the budget applied to each); index
 * auto, the largest of its candidates (built one after the other).
 * Disk: the store (twice when OUTDIR holds one: a rebuild appends to a
 * copy), every centroids file and index, reduced.h5, and for a rebuild a
 * temporary copy of the largest index (the new file beside the old until
 * it is published; a first build renames its index into place); index auto keeps the best
 * candidate beside the one being built; a split build holds its parts, the
 * merged file and a tuning index file at once.
 * Sizes are estimates, close for the store and the index (their layout is
 * known), looser for memory: README and bench/RESULTS.md §12 compare them with
 * measured peaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "eval/eval_internal.h"
#include "index/index_internal.h"
#include "base/internal.h"
#include "base/param_text.h"
#include "ingest/npy.h"
#include "pipeline/build_internal.h"
#include "reduce/reduce_internal.h"
#include "rvcidx/build.h"
#include "rvcidx/outdir.h"
#include "rvcidx/plan.h"
#include "ingest/sources.h"

#define MIB (1024ull * 1024ull)
#define BASE_RAM (64 * MIB)

/* How the build is run: what rvcidx_plan_build reads of its parameters. */
typedef struct plan_mode {
    int per_speaker;
    unsigned split;
    uint64_t assume_memory, assume_disk; /* 0: RVCIDX_ASSUME_*, else what the machine shows */
    const rvcidx_reduce_params *reduce;  /* the budget */
} plan_mode;

/* Rows per speaker in the store's order (sources.c orders them as ingest does). */
typedef struct speaker_rows {
    uint64_t *rows;
    size_t n;
} speaker_rows;

/* One index's predicted files and stage peaks. */
typedef struct index_cost {
    int64_t nlist;
    uint64_t train_rows, index_bytes, centroids_bytes;
    uint64_t ram_train, ram_encode, ram_eval;
} index_cost;

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

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

/* The free bytes of outdir's filesystem; *known 0 when no statvfs answered
 * (then 0 means unknown, not full). */
static uint64_t disk_free(const char *outdir, int *known) {
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s", outdir);
    struct statvfs vfs;
    *known = 1;
    while (statvfs(probe, &vfs) != 0) { /* the output directory may not exist yet: ask its parent */
        char *slash = strrchr(probe, '/');
        if (!slash || slash == probe) {
            *known = statvfs("/", &vfs) == 0;
            return *known ? (uint64_t)vfs.f_bavail * vfs.f_frsize : 0;
        }
        *slash = '\0';
    }
    return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

/* The output filesystem's free space, or RVCIDX_DISK_LIMIT when smaller (to
 * cap what builds may take of a shared disk; the tests use it too). */
static uint64_t disk_available(const char *outdir, uint64_t env, int *known) {
    uint64_t free_bytes = disk_free(outdir, known);
    if (env && (!*known || env < free_bytes)) return *known = 1, env;
    return free_bytes;
}

/* The environment's limits and overrides, read before any work so that a
 * typo in one is refused (exit 2) even when the sources are bad too. */
typedef struct plan_env {
    uint64_t mem_limit, disk_limit, assume_memory, assume_disk;
} plan_env;

static int read_env(plan_env *e) {
    RVCIDX__TRY(env_size("RVCIDX_MEMORY_LIMIT", &e->mem_limit));
    RVCIDX__TRY(env_size("RVCIDX_DISK_LIMIT", &e->disk_limit));
    RVCIDX__TRY(env_size("RVCIDX_ASSUME_MEMORY", &e->assume_memory));
    uint64_t rows_in_memory = 0; /* read where it is used (rvcidx__rows_in_memory_max): refused here when bad */
    RVCIDX__TRY(env_size("RVCIDX_ROWS_IN_MEMORY", &rows_in_memory));
    return env_size("RVCIDX_ASSUME_DISK", &e->assume_disk);
}

/* What the plan counts on: what the machine shows, unless the user said
 * otherwise (the parameter first, then the environment). */
static void machine(const char *outdir, const plan_env *e, const plan_mode *m, rvcidx_plan_result *out) {
    uint64_t ram = m->assume_memory ? m->assume_memory : e->assume_memory;
    uint64_t disk = m->assume_disk ? m->assume_disk : e->assume_disk;
    out->ram_seen = mem_available(e->mem_limit);
    int known = 0;
    out->disk_seen = disk_available(outdir, e->disk_limit, &known);
    out->ram_assumed = ram != 0;
    out->disk_assumed = disk != 0;
    out->ram_available = ram ? ram : out->ram_seen;
    out->disk_available = disk ? disk : out->disk_seen;
    out->fits_ram = out->ram_available == 0 || out->ram_peak <= out->ram_available;
    out->fits_disk = (!disk && !known) || out->disk_needed <= out->disk_available; /* a full disk fits nothing */
}

static int count_rows(const rvcidx__shard_list *shards, rvcidx_plan_result *out, speaker_rows *sp) {
    sp->rows = calloc(shards->count ? shards->count : 1, sizeof *sp->rows);
    if (!sp->rows) return rvcidx__fail(RVCIDX_ENOMEM, "plan: out of memory");
    for (size_t i = 0; i < shards->count; i++) {
        sp->n += i == 0 || strcmp(shards->items[i].speaker, shards->items[i - 1].speaker) != 0;
        rvcidx__npy_reader r;
        if (rvcidx__shard_open(&shards->items[i], &r) != 0) continue; /* ingest reports bad shards */
        if (r.info.rows && !out->dim) out->dim = (int)r.info.cols;
        if (r.info.cols == (uint64_t)out->dim) out->rows += r.info.rows, sp->rows[sp->n - 1] += r.info.rows;
        rvcidx__npy_close(&r);
    }
    out->speakers = sp->n;
    out->files = shards->count;
    return out->rows ? 0 : rvcidx__fail(RVCIDX_EINPUT, "%s: the shards hold no rows", shards->items[0].path);
}

/* Rows of the index the tuning measures, for an index of every row: with two
 * speakers or more, the last ones are held out as the queries and the
 * tuning index holds the others (build_index.c, rvcidx__tuning_rows); else
 * all rows. */
static uint64_t tuning_rows(const rvcidx_eval_params *ep, const speaker_rows *sp, uint64_t rows) {
    if (!ep || !ep->tune || ep->queries_store || ep->queries_from == RVCIDX_QUERIES_SELF) return rows;
    return rvcidx__tuning_rows(sp->rows, sp->n, rows);
}

/* The refine a `max_index_size` build ships: the most exact predicted to
 * fit (build_index.c, build_within_size); flat when none does (refused). */
static rvcidx_refine refine_within_size(const rvcidx_index_params *ip, int dim, int64_t nlist, uint64_t rows) {
    if (!ip->max_index_size || ip->type == RVCIDX_INDEX_IVFFLAT) return ip->refine;
    rvcidx_refine_candidate cand[3];
    rvcidx__refine_candidates(ip, dim, nlist, rows, cand);
    for (int i = 0; i < 3; i++)
        if (cand[i].fits) return cand[i].refine;
    return ip->refine;
}

/* The nprobe the sweep climbs to: where other speakers' frames reach the
 * target, about a tenth of the lists on the benchmarks' data (the power of
 * two at or above nlist/10: 64, 128, 128, 256 at 100k, 240k, 300k and 1M
 * rows, bench/RESULTS.md §12); the sweep measures nothing past it that
 * costs more (eval.c). Other data may climb higher. */
static int64_t swept_nprobe(int64_t nlist) {
    int64_t np = 1;
    while (np * 10 < nlist && np < nlist) np *= 2;
    return np < nlist ? np : nlist;
}

/* A by-residual L2 FastScan search (x4fsr) builds look-up tables for every
 * query and probed list of a call. Eval sizes its calls to hold about
 * RVCIDX__EVAL_LUT_BYTES of them at any nprobe (eval_internal.h), so the
 * nprobe the sweep climbs to moves this little; faiss 1.7.3 slices a call
 * further only past 2 GiB of tables (precomputed_table_max_bytes). */
static uint64_t residual_lut_bytes(uint64_t nq, int64_t nprobe, int dim) {
    uint64_t chunk = rvcidx__eval_search_chunk(1, dim / 2, nprobe);
    return (nq < chunk ? nq : chunk) * rvcidx__eval_lut_query_bytes(dim / 2, nprobe);
}

/* A FastScan index filled by adds keeps each list's codes and ids in
 * vectors that grow by doubling: their capacity runs from 1 to 2 times
 * their size, about 1.44 on average (1/ln 2). At 5M x 768 the tuning index
 * of 4.75M rows grew the process by 1.30 GB for 0.95 GB of lists (1.37).
 * The refine storage is reserved exactly (encode.c), IVF-Flat's lists were
 * measured at their size (bench/RESULTS.md §12). */
static uint64_t grown_by_adds(const rvcidx_index_params *ip, uint64_t index_bytes, uint64_t refine_bytes) {
    if (ip->type != RVCIDX_INDEX_IVFPQ4FS) return index_bytes;
    uint64_t lists = index_bytes - refine_bytes;
    return refine_bytes + lists + lists * 44 / 100;
}

/* Encode and eval of one index of a built type (not auto). Past
 * RVCIDX_ROWS_IN_MEMORY (build_index.c, eval_queries.c) the tuning index's
 * refine keeps no rows (by_id) and eval reads its vectors by id, holding
 * one ground-truth block and its exact index instead of two copies. */
static void cost_type(const rvcidx_index_params *ip, const rvcidx_eval_params *ep, int dim, uint64_t rows,
                      uint64_t eval_rows, index_cost *c) {
    uint64_t vec = (uint64_t)dim * sizeof(float);
    int rflat = ip->type == RVCIDX_INDEX_IVFPQ4FS && ip->refine == RVCIDX_REFINE_FLAT;
    uint64_t all = rvcidx_index_predict_bytes(ip, dim, c->nlist, rows);
    uint64_t tuned = rvcidx_index_predict_bytes(ip, dim, c->nlist, eval_rows);
    uint64_t refine_row = rvcidx__refine_row_bytes(ip, dim);
    int by_id = ep && ep->tune && eval_rows < rows && rvcidx__refine_past_limit(ip, dim, eval_rows);
    int vectors_in_memory = (rflat && !by_id) || !rvcidx__vectors_past_limit(dim, eval_rows); /* RFlat's are eval's */
    uint64_t lists_all = grown_by_adds(ip, all, rows * refine_row) - rows * refine_row;
    uint64_t tuned_ram = grown_by_adds(ip, tuned, eval_rows * refine_row);
    /* by id: no refine storage; RFlat tuned on a held-out speaker: the tuning index, then the lists of every row */
    uint64_t held = by_id ? lists_all : rflat && eval_rows < rows ? max_u64(tuned_ram, lists_all)
                                                                 : grown_by_adds(ip, all, rows * refine_row);
    tuned = by_id ? tuned_ram - eval_rows * refine_row : tuned_ram;
    uint64_t pq_sample = (c->train_rows < RVCIDX__PQ_TRAIN_ROWS ? c->train_rows : RVCIDX__PQ_TRAIN_ROWS) * vec;
    c->index_bytes = max_u64(c->index_bytes, all);
    c->ram_encode = max_u64(c->ram_encode, BASE_RAM + max_u64(held + RVCIDX__ADD_BATCH_ROWS * vec, pq_sample));
    uint64_t copies = rflat || !vectors_in_memory ? 0 : 2 * eval_rows * vec;
    if (ip->type == RVCIDX_INDEX_IVFPQ4FS && !rflat && vectors_in_memory)
        copies += eval_rows * vec; /* reconstruct_n's, which eval blends */
    if (!vectors_in_memory) copies += 2 * (uint64_t)RVCIDX__EVAL_TRUTH_BLOCK_ROWS * vec; /* a block, its flat copy */
    if (ep && ip->type == RVCIDX_INDEX_IVFPQ4FS && ip->residual && ip->metric == RVCIDX_METRIC_L2)
        copies += residual_lut_bytes(ep->queries, swept_nprobe(c->nlist), dim); /* eval's queries a call */
    if (ep) c->ram_eval = max_u64(c->ram_eval, BASE_RAM + tuned + copies + ep->queries * vec);
}

/* One index of rows vectors (tuned on its first eval_rows); index auto
 * builds x4fs, x4fsr and IVF-Flat one after the other (IVF-Flat only up to
 * RVCIDX_ROWS_IN_MEMORY of vectors): the largest of each stage. Measured at 1M rows, auto's peak is IVF-Flat's tuning (its exact
 * copies), at 100k-300k x4fsr's look-up tables. */
static void cost_index(const rvcidx_index_params *ip, const rvcidx_eval_params *ep, int dim, uint64_t rows,
                       uint64_t eval_rows, index_cost *c) {
    uint64_t vec = (uint64_t)dim * sizeof(float);
    memset(c, 0, sizeof *c);
    c->nlist = ip->nlist > 0 ? ip->nlist : rvcidx_auto_nlist(rows);
    c->train_rows = rvcidx__train_rows(ip, c->nlist, rows);
    c->centroids_bytes = (uint64_t)c->nlist * vec + 64 * 1024;
    /* faiss's k-means: the sample, its assignment and distance (12 bytes a
     * row), the centroids twice, one BLAS block of 4096 x 1024 distances.
     * Measured at 1M and 5M x 768 (20 speakers): 0.44 and 0.89 GiB. */
    c->ram_train = BASE_RAM + c->train_rows * (vec + 12) + (uint64_t)c->nlist * vec * 2 + 16 * MIB;
    rvcidx_index_params q = *ip;
    q.type = ip->type == RVCIDX_INDEX_IVFFLAT ? RVCIDX_INDEX_IVFFLAT : RVCIDX_INDEX_IVFPQ4FS;
    q.refine = refine_within_size(&q, dim, c->nlist, rows);
    cost_type(&q, ep, dim, rows, eval_rows, c);
    if (ip->type != RVCIDX_INDEX_AUTO) return;
    q.residual = !ip->residual;
    cost_type(&q, ep, dim, rows, eval_rows, c);
    if (rvcidx__vectors_past_limit(dim, rows)) return; /* IVF-Flat is listed, not built (build_auto.c) */
    q.type = RVCIDX_INDEX_IVFFLAT;
    q.refine = RVCIDX_REFINE_FLAT;
    cost_type(&q, ep, dim, rows, eval_rows, c);
}

/* The largest of each stage, the sums of the files, over the indexes planned. */
static void add_index(rvcidx_plan_result *p, const index_cost *c, uint64_t index_rows, uint64_t eval_rows) {
    p->indexes++;
    p->index_bytes += c->index_bytes;
    p->centroids_bytes += c->centroids_bytes;
    p->ram_train = max_u64(p->ram_train, c->ram_train);
    p->ram_encode = max_u64(p->ram_encode, c->ram_encode);
    p->ram_eval = max_u64(p->ram_eval, c->ram_eval);
    if (c->index_bytes < p->largest_index_bytes) return;
    p->largest_index_bytes = c->index_bytes;
    p->nlist = c->nlist;
    p->train_rows = c->train_rows;
    p->index_rows = index_rows;
    p->eval_rows = eval_rows;
}

/* The reduction of rows (nsp speakers) to what the budget keeps: its memory and reduced.h5. */
static int plan_reduction(const rvcidx_index_params *ip, const rvcidx_reduce_params *rp, int dim, uint64_t rows,
                          size_t nsp, rvcidx_plan_result *p, uint64_t *kept) {
    uint64_t budget = 0;
    RVCIDX__TRY(rvcidx__reduce_budget(rp, ip->type, rows, dim, &budget));
    *kept = budget ? budget : rows;
    if (!budget) return 0;
    p->budget = max_u64(p->budget, budget);
    p->ram_reduce = max_u64(p->ram_reduce, BASE_RAM + rvcidx__reduce_predict_ram(rp, rows, dim, nsp, budget));
    p->reduced_bytes = max_u64(p->reduced_bytes, budget * (uint64_t)dim * sizeof(float) + MIB);
    return 0;
}

static size_t speakers_with_rows(const speaker_rows *sp) {
    size_t n = 0;
    for (size_t i = 0; i < sp->n; i++) n += sp->rows[i] > 0;
    return n;
}

/* One index of every row (or of what the budget keeps of them). */
static int plan_whole(const rvcidx_index_params *ip, const rvcidx_reduce_params *rp, const rvcidx_eval_params *ep,
                      const speaker_rows *sp, rvcidx_plan_result *p) {
    uint64_t kept = p->rows;
    RVCIDX__TRY(plan_reduction(ip, rp, p->dim, p->rows, speakers_with_rows(sp), p, &kept));
    uint64_t eval_rows = p->budget ? kept : tuning_rows(ep, sp, p->rows);
    index_cost c;
    cost_index(ip, ep, p->dim, kept, eval_rows, &c);
    add_index(p, &c, kept, eval_rows);
    return 0;
}

/* One index per speaker with rows, the budget applied to each; tuned with
 * the other speakers' frames, so on all of its own. */
static int plan_per_speaker(const rvcidx_index_params *ip, const rvcidx_reduce_params *rp, const rvcidx_eval_params *ep,
                            const speaker_rows *sp, rvcidx_plan_result *p) {
    for (size_t i = 0; i < sp->n; i++) {
        if (!sp->rows[i]) continue;
        uint64_t kept = sp->rows[i];
        RVCIDX__TRY(plan_reduction(ip, rp, p->dim, sp->rows[i], 1, p, &kept));
        index_cost c;
        cost_index(ip, ep, p->dim, kept, kept, &c);
        add_index(p, &c, kept, kept);
    }
    return 0;
}

/* Whether a split's finish tunes on an index in memory reading its rows by
 * id (build_index.c, past RVCIDX_ROWS_IN_MEMORY) instead of a file it
 * encodes whole and loads. */
static int split_tunes_by_id(const rvcidx_index_params *ip, const rvcidx_plan_result *p) {
    return p->eval_rows < p->index_rows && rvcidx__refine_past_limit(ip, p->dim, p->eval_rows);
}

/* A split build encodes parts of index_rows/split rows (each task on its
 * own), then merges them into the first part: an IVF-PQ index's PQ lists
 * only, one part loaded at a time, the refine storage copied from the part
 * files into the merged one (index_merge.c); IVF-Flat grows list by list.
 * Its finish tunes on a tuning index: read by id past the limit, else one
 * it encodes whole and writes as a file (counted in plan_disk) and loads. */
static void plan_split(const rvcidx_index_params *ip, unsigned parts, rvcidx_plan_result *p) {
    uint64_t vec = (uint64_t)p->dim * sizeof(float), part_rows = (p->index_rows + parts - 1) / parts;
    uint64_t part = rvcidx_index_predict_bytes(ip, p->dim, p->nlist, part_rows);
    uint64_t tuned = rvcidx_index_predict_bytes(ip, p->dim, p->nlist, p->eval_rows);
    uint64_t pq_sample = (p->train_rows < RVCIDX__PQ_TRAIN_ROWS ? p->train_rows : RVCIDX__PQ_TRAIN_ROWS) * vec;
    uint64_t refine_row = rvcidx__refine_row_bytes(ip, p->dim);
    int by_id = split_tunes_by_id(ip, p);
    uint64_t tuning = by_id ? tuned - p->eval_rows * refine_row : tuned;
    p->split = parts;
    p->ram_encode = BASE_RAM + max_u64(max_u64(part, tuning) + RVCIDX__ADD_BATCH_ROWS * vec, pq_sample);
    /* the merged lists grow by appends as an index's do (grown_by_adds): measured at 5M, 5.40 GiB */
    p->ram_merge = BASE_RAM + grown_by_adds(ip, p->index_bytes, p->index_rows * refine_row) - p->index_rows * refine_row + part;
    if (!by_id) /* the finish loads the tuning index file whole (its refine storage with it) */
        p->ram_eval = max_u64(p->ram_eval, BASE_RAM + tuned + 2 * (uint64_t)RVCIDX__EVAL_TRUTH_BLOCK_ROWS * vec);
}

/* A store already in outdir is appended to in a copy (store_write.c), beside
 * it until renamed; a first build writes it once. */
static int has_store(const char *outdir) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", outdir, rvcidx_output_name(RVCIDX_OUT_STORE));
    return access(path, F_OK) == 0;
}

static void plan_disk(const char *outdir, const rvcidx_index_params *ip, rvcidx_plan_result *p) {
    p->store_bytes = p->rows * (uint64_t)p->dim * sizeof(float) + p->files * 512 + MIB;
    int rebuild = has_store(outdir); /* a first build publishes its index by renaming it: no second copy */
    p->disk_needed = (rebuild ? 2 : 1) * p->store_bytes + p->centroids_bytes + p->index_bytes +
                     (rebuild ? p->largest_index_bytes : 0) + p->reduced_bytes;
    if (ip->type == RVCIDX_INDEX_AUTO) p->disk_needed += p->largest_index_bytes; /* the best so far, the next built */
    if (p->split) /* the parts, the trained index, the tuning index file (none when read by id) */
        p->disk_needed += p->index_bytes + p->centroids_bytes +
                          (split_tunes_by_id(ip, p) ? 0 : rvcidx_index_predict_bytes(ip, p->dim, p->nlist, p->eval_rows));
}

static void plan_peak(rvcidx_plan_result *p) {
    p->ram_ingest = BASE_RAM + 32 * MIB;
    uint64_t stages[] = {p->ram_ingest, p->ram_reduce, p->ram_train, p->ram_encode, p->ram_merge, p->ram_eval};
    p->ram_peak = 0;
    for (size_t i = 0; i < sizeof stages / sizeof *stages; i++) p->ram_peak = max_u64(p->ram_peak, stages[i]);
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

static int plan_mode_run(const char *const *srcs, int n_srcs, const char *outdir, const rvcidx_ingest_params *ingest,
                         const rvcidx_index_params *index, const rvcidx_eval_params *eval, const plan_mode *m,
                         rvcidx_plan_result *out) {
    int frames = ingest && ingest->n_frames;
    if ((!srcs && !frames) || !outdir || !index || !out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_plan_build: NULL argument");
    memset(out, 0, sizeof *out);
    plan_env env;
    RVCIDX__TRY(read_env(&env));
    rvcidx__shard_list shards;
    RVCIDX__TRY(rvcidx__sources_gather(srcs, n_srcs, ingest, &shards));
    speaker_rows sp = {NULL, 0};
    int rc = count_rows(&shards, out, &sp);
    rvcidx__shard_list_free(&shards);
    if (rc == 0) rc = check_enough_rows(frames ? "the frames in memory" : srcs[0], out->rows, index, eval);
    out->per_speaker = m->per_speaker;
    out->budget_set = m->reduce->max_vectors || m->reduce->max_app_memory;
    if (rc == 0)
        rc = m->per_speaker ? plan_per_speaker(index, m->reduce, eval, &sp, out) : plan_whole(index, m->reduce, eval, &sp, out);
    free(sp.rows);
    if (rc) return rc;
    if (m->split) plan_split(index, m->split, out);
    plan_disk(outdir, index, out);
    plan_peak(out);
    machine(outdir, &env, m, out);
    return 0;
}

int rvcidx_plan_build(const rvcidx_build_params *p, rvcidx_plan_result *out) {
    if (!p || !out) return rvcidx__fail(RVCIDX_EINVAL, "rvcidx_plan_build: NULL argument");
    rvcidx_build_params r; /* `for`'s needs applied, as the build runs */
    RVCIDX__TRY(rvcidx_build_params_resolve(p, &r));
    plan_mode m = {r.per_speaker, r.split, r.assume_memory, r.assume_disk, &r.reduce};
    return plan_mode_run(r.sources, r.n_sources, r.outdir, &r.ingest, &r.index, &r.eval, &m, out);
}

static double gib(uint64_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

void rvcidx_plan_shortfall(const rvcidx_plan_result *p, char *buf, size_t n) {
    char ram[96] = "", disk[96] = "";
    if (!p->fits_ram)
        snprintf(ram, sizeof ram, "%.2f GiB of memory (%.1f %s)", gib(p->ram_peak), gib(p->ram_available),
                 p->ram_assumed ? "assumed" : "available");
    if (!p->fits_disk)
        snprintf(disk, sizeof disk, "%.2f GiB of disk (%.1f %s)", gib(p->disk_needed), gib(p->disk_available),
                 p->disk_assumed ? "assumed" : "free");
    snprintf(buf, n, "%s%s%s", ram, ram[0] && disk[0] ? " and " : "", disk);
}

/* Appends "what" to a list of n items so far. */
static size_t add_advice(char *buf, size_t n, size_t len, int *items, const char *what) {
    if (len >= n) return len;
    int w = snprintf(buf + len, n - len, "%s%s", *items ? ", " : "", what);
    (*items)++;
    return w < 0 ? len : len + (size_t)w;
}

/* For the user who knows better than what the plan sees. */
static void add_override(const rvcidx_plan_result *p, char *buf, size_t n, size_t len) {
    int both = !p->fits_ram && !p->fits_disk;
    if (len < n)
        snprintf(buf + len, n - len, "; if this machine has more %s than it shows, say how much with %s%s%s, or skip "
                 "the check (`no_plan_check`)", both ? "memory or disk" : !p->fits_ram ? "memory" : "disk",
                 !p->fits_ram ? "`assume_memory=SIZE`" : "", both ? " and " : "", !p->fits_disk ? "`assume_disk=SIZE`" : "");
}

void rvcidx_plan_advice(const rvcidx_plan_result *p, char *buf, size_t n) {
    size_t len = 0;
    int items = 0;
    buf[0] = '\0';
    if (!p->fits_ram) {
        len = add_advice(buf, n, len, &items, "use a machine with more memory");
        if (!p->budget_set)
            len = add_advice(buf, n, len, &items, "index fewer vectors (`max_vectors`, `max_app_memory`)");
        if (!p->per_speaker && !p->split && p->speakers >= 2) /* a split build is one index */
            len = add_advice(buf, n, len, &items, "build one smaller index per speaker (`per_speaker`)");
    }
    if (!p->fits_disk) {
        len = add_advice(buf, n, len, &items, "free space on the output filesystem");
        if (!p->budget_set && p->fits_ram) len = add_advice(buf, n, len, &items, "index fewer vectors (`max_vectors`)");
    }
    if (items) add_override(p, buf, n, len);
}
