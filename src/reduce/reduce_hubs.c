/* reduce_hubs.c — the `hubs` reduction: keep the frames other voices land on.
 *
 * RVC searches a voice's index with ANOTHER voice's frames, and most input
 * frames are never among their nearest neighbours. With two or more
 * speakers, each speaker's seeded probe frames (reduce.h says how many)
 * search the OTHER speakers' frames exactly (k = 8, as RVC's blend); every
 * frame is scored by how often it is hit, the budget is filled with the
 * most-hit frames, and ties (the frames never hit among them) go in a
 * seeded random order. Kept rows are real frames, in store order.
 *
 * The other speakers' frames are searched one block at a time (on the
 * build's backend: a GPU when there is one), so memory stays at one block
 * plus the probes and a score per row whatever the input's size; the cost is
 * probes x rows x D multiply-adds, bounded by taking fewer probes for more
 * rows (about 1.2e13 flop at 1M x 768 with 4 speakers). bench/reduce_peer.py's `hubs` is the same method in Python.
 */
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "base/faiss_check.h"
#include "base/internal.h"
#include "base/rng.h"
#include "index/sample.h"
#include "reduce/reduce_internal.h"

enum { HUB_K = 8, HUB_BLOCK_ROWS = 65536 };

/* The probes of every speaker, back to back, and each one's best HUB_K
 * neighbours among the other speakers' rows so far (ascending). */
typedef struct hub_probes {
    float *x;
    uint64_t *start; /* speaker s's probes: [start[s], start[s+1]) */
    float *dist;
    int64_t *row;
} hub_probes;

static void probes_free(hub_probes *p) {
    free(p->x), free(p->start), free(p->dist), free(p->row);
    memset(p, 0, sizeof *p);
}

static uint64_t probes_per_speaker(uint64_t n, size_t nsp) {
    double rows = (double)(n ? n : 1), v = RVCIDX__HUB_PAIRS / rows;
    v = v < RVCIDX__HUB_PROBES_MIN ? RVCIDX__HUB_PROBES_MIN : v > RVCIDX__HUB_PROBES_MAX ? RVCIDX__HUB_PROBES_MAX : v;
    double all = RVCIDX__HUB_PAIRS_ALL / (rows * (double)nsp); /* binds only past 4 speakers */
    if (all < RVCIDX__HUB_PROBES_FLOOR) all = RVCIDX__HUB_PROBES_FLOOR;
    return (uint64_t)(v < all ? v : all);
}

static int probes_draw(rvcidx_store *st, uint64_t n, const uint64_t *sp_first, const uint64_t *sp_rows, size_t nsp,
                       uint64_t seed, hub_probes *p) {
    int dim = rvcidx_store_dim(st);
    uint64_t per = probes_per_speaker(n, nsp);
    memset(p, 0, sizeof *p);
    p->start = calloc(nsp + 1, sizeof *p->start);
    if (!p->start) return rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory");
    for (size_t s = 0; s < nsp; s++)
        p->start[s + 1] = p->start[s] + (sp_rows[s] < per ? sp_rows[s] : per);
    uint64_t total = p->start[nsp];
    p->x = malloc(sizeof(float) * (size_t)total * (size_t)dim);
    p->dist = malloc(sizeof(float) * (size_t)total * HUB_K);
    p->row = malloc(sizeof(int64_t) * (size_t)total * HUB_K);
    if (!p->x || !p->dist || !p->row) return rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory for probes");
    for (uint64_t i = 0; i < total * HUB_K; i++) p->dist[i] = FLT_MAX, p->row[i] = -1;
    for (size_t s = 0; s < nsp; s++) {
        float *part = NULL;
        uint64_t want = p->start[s + 1] - p->start[s];
        RVCIDX__TRY(rvcidx__sample_rows(st, sp_first[s], sp_rows[s], want, seed + s, NULL, NULL, &part, NULL));
        memcpy(p->x + p->start[s] * (uint64_t)dim, part, sizeof(float) * (size_t)want * (size_t)dim);
        free(part);
    }
    return 0;
}

/* Every speaker t's rows, a block at a time, searched by the other speakers'
 * probes; neighbours are rows counted from first. */
static int search_all(rvcidx_store *st, const rvcidx__reduce_env *env, uint64_t first, const uint64_t *sp_first,
                      const uint64_t *sp_rows, size_t nsp, hub_probes *p) {
    int dim = rvcidx_store_dim(st), rc = 0;
    uint64_t total = p->start[nsp], all_rows = 0, searched = 0;
    for (size_t t = 0; t < nsp; t++) all_rows += sp_rows[t];
    float *block = malloc(sizeof(float) * (size_t)HUB_BLOCK_ROWS * (size_t)dim);
    float *nd = malloc(sizeof(float) * (size_t)total * HUB_K);
    int64_t *nr = malloc(sizeof(int64_t) * (size_t)total * HUB_K);
    if (!block || !nd || !nr) rc = rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory");
    for (size_t t = 0; rc == 0 && t < nsp; t++) {
        for (uint64_t at = 0; rc == 0 && at < sp_rows[t]; at += HUB_BLOCK_ROWS) {
            uint64_t m = sp_rows[t] - at < HUB_BLOCK_ROWS ? sp_rows[t] - at : HUB_BLOCK_ROWS;
            FaissIndex *flat = NULL;
            if ((rc = rvcidx_store_read_rows(st, sp_first[t] + at, m, block)) != 0) break;
            if ((rc = rvcidx__reduce_new_flat(env, dim, &flat)) != 0) break;
            if (faiss_Index_add(flat, (idx_t)m, block) != 0)
                rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: `reduce=hubs`: add failed: %s", faiss_get_last_error());
            int64_t base = (int64_t)(sp_first[t] - first + at);
            uint64_t after = p->start[t + 1];
            if (rc == 0) /* the probes of the speakers before t, then of those after */
                rc = rvcidx__knn_search_merge(flat, p->x, p->start[t], HUB_K, 0, base, p->dist, p->row, nd, nr);
            if (rc == 0)
                rc = rvcidx__knn_search_merge(flat, p->x + after * (uint64_t)dim, total - after, HUB_K, 0, base,
                                              p->dist + after * HUB_K, p->row + after * HUB_K, nd, nr);
            rvcidx__reduce_free_flat(env, flat);
            searched += m;
            if (rc == 0) rc = rvcidx__reduce_report(env, "rows", searched, all_rows, searched == all_rows);
        }
    }
    free(block), free(nd), free(nr);
    return rc;
}

typedef struct hub_rank {
    uint32_t hits;
    uint64_t key, row;
} hub_rank;

static int by_rank(const void *a, const void *b) {
    const hub_rank *x = a, *y = b;
    if (x->hits != y->hits) return x->hits > y->hits ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* The want most-hit of n rows (seeded ties) into kept, in row order, each
 * row's slot its place in that order. */
static int choose_rows(const hub_probes *p, uint64_t nprobes, uint64_t n, uint64_t want, uint64_t seed,
                       rvcidx__row_slot *kept) {
    hub_rank *rank = calloc((size_t)n, sizeof *rank);
    unsigned char *keep = calloc((size_t)n, 1);
    if (!rank || !keep) {
        free(rank), free(keep);
        return rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory for %llu rows", (unsigned long long)n);
    }
    uint64_t mix = seed ^ 0x4855425355ULL;
    for (uint64_t i = 0; i < n; i++) rank[i].row = i, rank[i].key = rvcidx__splitmix64(&mix);
    for (uint64_t i = 0; i < nprobes * HUB_K; i++)
        if (p->row[i] >= 0 && (uint64_t)p->row[i] < n) rank[p->row[i]].hits++;
    qsort(rank, (size_t)n, sizeof *rank, by_rank);
    for (uint64_t i = 0; i < want; i++) keep[rank[i].row] = 1;
    uint64_t at = 0;
    for (uint64_t i = 0; i < n; i++) /* row order: the store's order of the kept frames */
        if (keep[i]) kept[at] = (rvcidx__row_slot){(int64_t)i, at}, at++;
    free(rank), free(keep);
    return 0;
}

/* How many of the kept rows (in row order) fall in each speaker's range. */
static void count_kept(const rvcidx__row_slot *kept, uint64_t want, uint64_t first, const uint64_t *sp_first,
                       const uint64_t *sp_rows, size_t nsp, uint64_t *sp_kept) {
    uint64_t i = 0;
    for (size_t s = 0; s < nsp; s++) {
        uint64_t a = sp_first[s] - first, b = a + sp_rows[s];
        sp_kept[s] = 0;
        while (i < want && (uint64_t)kept[i].row < a) i++;
        for (; i < want && (uint64_t)kept[i].row < b; i++) sp_kept[s]++;
    }
}

int rvcidx__reduce_hubs(rvcidx_store *st, const rvcidx__reduce_env *env, uint64_t first, uint64_t n,
                        const uint64_t *sp_first, const uint64_t *sp_rows, size_t nsp, uint64_t want, uint64_t seed,
                        float **out, uint64_t *sp_kept) {
    *out = NULL;
    if (nsp < 2)
        return rvcidx__fail(RVCIDX_EINVAL, "`reduce=hubs` scores frames by other speakers' probes: it needs at least two "
                            "speakers in the input (use --reduce auto, kmeans or stratified)");
    int dim = rvcidx_store_dim(st);
    hub_probes p = {0};
    rvcidx__row_slot *kept = malloc(sizeof *kept * (size_t)want);
    *out = malloc(sizeof(float) * (size_t)want * (size_t)dim);
    int rc = kept && *out ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory for %llu vectors",
                                             (unsigned long long)want);
    if (rc == 0) rc = probes_draw(st, n, sp_first, sp_rows, nsp, seed, &p);
    if (rc == 0) rc = search_all(st, env, first, sp_first, sp_rows, nsp, &p);
    if (rc == 0) rc = choose_rows(&p, p.start[nsp], n, want, seed, kept);
    if (rc == 0 && sp_kept) count_kept(kept, want, first, sp_first, sp_rows, nsp, sp_kept);
    if (rc == 0) rc = rvcidx__read_rows_at(st, first, kept, (size_t)want, *out);
    probes_free(&p);
    free(kept);
    if (rc) free(*out), *out = NULL;
    return rc;
}
