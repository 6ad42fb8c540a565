/* reduce_budget.c — how many vectors a budget keeps, and how a number of
 * vectors is shared out: over speakers (stratified), over groups (two-level
 * k-means), and the rows k-means trains on. Pure arithmetic. */
#include <stdint.h>

#include "base/internal.h"
#include "reduce/reduce_internal.h"

/* Bytes an app holds for n vectors of dim: the file (PQ4fs codes, the RFlat
 * copy, ids, the coarse centroids at auto nlist) and reconstruct_n's copy. */
static double app_bytes(uint64_t n, int dim, rvcidx_index_type type) {
    double per = (double)dim * 4 /* reconstruct_n */ + (double)dim * 4 /* flat or refine copy */ + 8 /* id */;
    if (type != RVCIDX_INDEX_IVFFLAT) per += (double)dim / 4; /* PQ4fs codes, generously */
    int64_t nlist = rvcidx_auto_nlist(n);
    return per * (double)n + (double)(nlist > 0 ? nlist : 1) * dim * 4 + 65536;
}

int rvcidx__reduce_budget(const rvcidx_reduce_params *p, rvcidx_index_type type, uint64_t rows, int dim,
                          uint64_t *budget) {
    uint64_t b = p->max_vectors;
    if (p->max_app_memory) {
        uint64_t lo = 0, hi = rows;
        while (lo < hi) { /* the largest n that fits */
            uint64_t mid = lo + (hi - lo + 1) / 2;
            if (app_bytes(mid, dim, type) <= (double)p->max_app_memory) lo = mid;
            else hi = mid - 1;
        }
        if (lo < 1000 && lo < rows)
            return rvcidx__fail(RVCIDX_EINVAL, "`max_app_memory` %llu bytes holds %llu vectors of %d floats; "
                                "at least 1000 are needed (or all %llu)", (unsigned long long)p->max_app_memory,
                                (unsigned long long)lo, dim, (unsigned long long)rows);
        if (!b || lo < b) b = lo;
    }
    *budget = b && b < rows ? b : 0;
    return 0;
}

void rvcidx__reduce_split_budget(uint64_t want, const uint64_t *sp_rows, size_t nsp, uint64_t n, uint64_t *share) {
    uint64_t given = 0;
    for (size_t s = 0; s < nsp; s++) given += share[s] = want * sp_rows[s] / n;
    while (given < want) {
        size_t best = 0;
        uint64_t best_rem = 0;
        int found = 0;
        for (size_t s = 0; s < nsp; s++) {
            uint64_t rem = want * sp_rows[s] % n;
            if (share[s] < sp_rows[s] && (!found || rem > best_rem)) best = s, best_rem = rem, found = 1;
        }
        share[best]++, given++;
    }
}

uint64_t rvcidx__reduce_kmeans_rows(uint64_t n, uint64_t want) {
    uint64_t cap = want > RVCIDX_REDUCE_MEASURE_ROWS ? want : RVCIDX_REDUCE_MEASURE_ROWS;
    uint64_t rows = want * 256 < n ? want * 256 : n;
    return rows < cap ? rows : cap;
}
