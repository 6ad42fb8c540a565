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
 * The other speakers' frames are searched one block at a time, so memory
 * stays at one block plus the probes whatever the input's size; the cost is
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
#include "pipeline/reduce.h"

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

/* Probes [a, b) against one block of rows starting at row base. */
static int search_block(FaissIndexFlatL2 *flat, hub_probes *p, uint64_t a, uint64_t b, int dim, int64_t base,
                        float *nd, int64_t *nr) {
    if (a >= b) return 0;
    if (faiss_Index_search(flat, (idx_t)(b - a), p->x + a * (uint64_t)dim, HUB_K, nd, nr) != 0)
        return rvcidx__fail(RVCIDX_EFAISS, "faiss: search failed: %s", faiss_get_last_error());
    for (uint64_t q = a; q < b; q++)
        rvcidx__knn_merge(p->dist + q * HUB_K, p->row + q * HUB_K, nd + (q - a) * HUB_K, nr + (q - a) * HUB_K, base,
                          HUB_K);
    return 0;
}

/* Every speaker t's rows, a block at a time, searched by the other speakers'
 * probes; neighbours are rows counted from first. */
static int search_all(rvcidx_store *st, uint64_t first, const uint64_t *sp_first, const uint64_t *sp_rows, size_t nsp,
                      hub_probes *p) {
    int dim = rvcidx_store_dim(st), rc = 0;
    uint64_t total = p->start[nsp];
    float *block = malloc(sizeof(float) * (size_t)HUB_BLOCK_ROWS * (size_t)dim);
    float *nd = malloc(sizeof(float) * (size_t)total * HUB_K);
    int64_t *nr = malloc(sizeof(int64_t) * (size_t)total * HUB_K);
    if (!block || !nd || !nr) rc = rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory");
    for (size_t t = 0; rc == 0 && t < nsp; t++) {
        for (uint64_t at = 0; rc == 0 && at < sp_rows[t]; at += HUB_BLOCK_ROWS) {
            uint64_t m = sp_rows[t] - at < HUB_BLOCK_ROWS ? sp_rows[t] - at : HUB_BLOCK_ROWS;
            FaissIndexFlatL2 *flat = NULL;
            if ((rc = rvcidx_store_read_rows(st, sp_first[t] + at, m, block)) != 0) break;
            if (faiss_IndexFlatL2_new_with(&flat, dim) != 0 || faiss_Index_add(flat, (idx_t)m, block) != 0)
                rc = rvcidx__fail(RVCIDX_EFAISS, "faiss: IndexFlatL2: %s", faiss_get_last_error());
            int64_t base = (int64_t)(sp_first[t] - first + at);
            if (rc == 0) rc = search_block(flat, p, 0, p->start[t], dim, base, nd, nr); /* speakers before t */
            if (rc == 0) rc = search_block(flat, p, p->start[t + 1], total, dim, base, nd, nr); /* and after */
            if (flat) faiss_Index_free(flat);
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

/* keep[i] = 1 for the want most-hit of n rows, seeded ties. */
static int choose_rows(const hub_probes *p, uint64_t nprobes, uint64_t n, uint64_t want, uint64_t seed,
                       unsigned char *keep) {
    hub_rank *rank = calloc((size_t)n, sizeof *rank);
    if (!rank) return rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory for %llu rows", (unsigned long long)n);
    uint64_t mix = seed ^ 0x4855425355ULL;
    for (uint64_t i = 0; i < n; i++) rank[i].row = i, rank[i].key = rvcidx__splitmix64(&mix);
    for (uint64_t i = 0; i < nprobes * HUB_K; i++)
        if (p->row[i] >= 0 && (uint64_t)p->row[i] < n) rank[p->row[i]].hits++;
    qsort(rank, (size_t)n, sizeof *rank, by_rank);
    memset(keep, 0, (size_t)n);
    for (uint64_t i = 0; i < want; i++) keep[rank[i].row] = 1;
    free(rank);
    return 0;
}

/* The kept rows of [first, first+n), in order, streamed a block at a time. */
static int read_kept(rvcidx_store *st, uint64_t first, uint64_t n, const unsigned char *keep, uint64_t want, float *out) {
    int dim = rvcidx_store_dim(st);
    float *block = malloc(sizeof(float) * (size_t)HUB_BLOCK_ROWS * (size_t)dim);
    if (!block) return rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory");
    uint64_t got = 0;
    int rc = 0;
    for (uint64_t at = 0; rc == 0 && at < n && got < want; at += HUB_BLOCK_ROWS) {
        uint64_t m = n - at < HUB_BLOCK_ROWS ? n - at : HUB_BLOCK_ROWS;
        if ((rc = rvcidx_store_read_rows(st, first + at, m, block)) != 0) break;
        for (uint64_t i = 0; i < m; i++)
            if (keep[at + i])
                memcpy(out + (got++) * (uint64_t)dim, block + i * (uint64_t)dim, sizeof(float) * (size_t)dim);
    }
    free(block);
    return rc;
}

int rvcidx__reduce_hubs(rvcidx_store *st, uint64_t first, uint64_t n, const uint64_t *sp_first, const uint64_t *sp_rows,
                        size_t nsp, uint64_t want, uint64_t seed, float **out, uint64_t *sp_kept) {
    *out = NULL;
    if (nsp < 2)
        return rvcidx__fail(RVCIDX_EINVAL, "`reduce=hubs` scores frames by other speakers' probes: it needs at least two "
                            "speakers in the input (use --reduce auto, kmeans or stratified)");
    int dim = rvcidx_store_dim(st);
    hub_probes p = {0};
    unsigned char *keep = malloc((size_t)n);
    *out = malloc(sizeof(float) * (size_t)want * (size_t)dim);
    int rc = keep && *out ? 0 : rvcidx__fail(RVCIDX_ENOMEM, "`reduce=hubs`: out of memory for %llu vectors",
                                             (unsigned long long)want);
    if (rc == 0) rc = probes_draw(st, n, sp_first, sp_rows, nsp, seed, &p);
    if (rc == 0) rc = search_all(st, first, sp_first, sp_rows, nsp, &p);
    if (rc == 0) rc = choose_rows(&p, p.start[nsp], n, want, seed, keep);
    if (rc == 0) rc = read_kept(st, first, n, keep, want, *out);
    for (size_t s = 0; rc == 0 && sp_kept && s < nsp; s++) {
        sp_kept[s] = 0;
        for (uint64_t i = sp_first[s] - first; i < sp_first[s] - first + sp_rows[s]; i++) sp_kept[s] += keep[i];
    }
    probes_free(&p);
    free(keep);
    if (rc) free(*out), *out = NULL;
    return rc;
}
