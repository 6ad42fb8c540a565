/* reduce_internal.h — private: `max_vectors` / `max_app_memory`, the index of a
 * chosen subset or summary of the store's rows (reduce.c). */
#ifndef RVCIDX_REDUCE_INTERNAL_H
#define RVCIDX_REDUCE_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "index/knn.h"
#include "rvcidx/index.h"
#include "rvcidx/index_build.h"
#include "rvcidx/reduce.h"
#include "rvcidx/store.h"

#include <faiss/c_api/Index_c.h>

#include "rvcidx/progress.h"

struct rvcidx__backend;
struct rvcidx__ctx; /* backend/run_context.h: the run's device, threads and progress */

/* Where the reduction's k-means and exact searches run and what it reports
 * while they do: the build's backend (a GPU's flat index when there is one;
 * NULL: faiss's CPU IndexFlatL2) and its progress callback (optional),
 * under a stage name ("reduce", "auto: hubs"). */
typedef struct rvcidx__reduce_env {
    struct rvcidx__backend *backend;
    rvcidx_progress_fn progress;
    void *progress_user;
    const char *stage;
} rvcidx__reduce_env;

/* Reports done of total units to env's callback (none: 0); RVCIDX_EINTR
 * when it asks to stop. */
int rvcidx__reduce_report(const rvcidx__reduce_env *env, const char *unit, uint64_t done, uint64_t total,
                          int finished);

/* A progress callback that passes a stage's reports (a sample's reads) on
 * to env's (a rvcidx__reduce_env *) under env's stage name. */
int rvcidx__reduce_relabel(const rvcidx_progress *p, void *env);

/* An empty exact L2 index of dim on env's backend, and its release. */
int rvcidx__reduce_new_flat(const rvcidx__reduce_env *env, int dim, FaissIndex **out);
void rvcidx__reduce_free_flat(const rvcidx__reduce_env *env, FaissIndex *flat);


/* The number of vectors p's `max_vectors` / `max_app_memory` allow for rows
 * vectors of dim floats in an index of type; *budget 0 when all fit (no
 * reduction) (reduce_budget.c). */
int rvcidx__reduce_budget(const rvcidx_reduce_params *p, rvcidx_index_type type, uint64_t rows, int dim,
                          uint64_t *budget);

/* When rp sets a budget below p's rows: on run's device, writes the kept vectors to
 * dir/reduced.h5 (out_path), *reduced the parameters that index all of it,
 * r what was done and the blend error against all rows. Otherwise out_path
 * "" and r->applied 0. */
int rvcidx__reduce_store(const char *store, const char *dir, const rvcidx_index_params *p, const rvcidx_reduce_params *rp,
                         struct rvcidx__ctx *run, char *out_path, size_t n, rvcidx_index_params *reduced,
                         rvcidx_reduce_result *r);

/* want split over nsp parts of sp_rows rows (n in all) by their share,
 * largest remainders first (earlier parts on ties), no part above its rows:
 * speakers for stratified, groups for two-level k-means. */
void rvcidx__reduce_split_budget(uint64_t want, const uint64_t *sp_rows, size_t nsp, uint64_t n, uint64_t *share);

/* The kmeans reduction: want centres of n rows of x (L2 in p), *out
 * want*dim floats, malloc'd, the caller frees; one k-means up to a work
 * bound, two levels above it (reduce_kmeans.c). */
int rvcidx__reduce_kmeans(const rvcidx_index_params *p, const rvcidx__reduce_env *env, int dim, uint64_t want,
                          const float *x, uint64_t n, float **out);
/* Its two-level form whatever the size (the tests reach it at small n). */
int rvcidx__reduce_kmeans_two_level(const rvcidx_index_params *p, const rvcidx__reduce_env *env, int dim,
                                    uint64_t want, const float *x, uint64_t n, float **out);

/* Rows the kmeans method trains want centres on, of n: at most 256 per
 * centre, as training does, and at most max(want, RVCIDX_REDUCE_MEASURE_ROWS)
 * so its memory stays bounded at any n (with as many rows as centres, the
 * centres are those rows). */
uint64_t rvcidx__reduce_kmeans_rows(uint64_t n, uint64_t want);

/* Probe frames per speaker of the `hubs` reduction: 2.5e9 / rows, within
 * [1000, 10000] (10,000 at 250k rows, 2,500 at 1M), and with more than 4
 * speakers at most 1e10 / (rows x speakers), but at least 100: the exact
 * probe searches stay near 1e10 probe-row pairs (about a minute on 2
 * cores) however many speakers there are. */
#define RVCIDX__HUB_PROBES_MIN 1000
#define RVCIDX__HUB_PROBES_MAX 10000
#define RVCIDX__HUB_PAIRS 2.5e9
#define RVCIDX__HUB_PAIRS_ALL 1e10
#define RVCIDX__HUB_PROBES_FLOOR 100

/* The hubs reduction: want rows of [first, first+n) of st, the most hit by
 * the other speakers' probes (nsp >= 2 speakers, their ranges inside it),
 * into *out (want*dim floats, malloc'd, the caller frees), in row order;
 * sp_kept (optional, nsp entries): how many of each speaker's rows were kept
 * (reduce_hubs.c). */
int rvcidx__reduce_hubs(rvcidx_store *st, const rvcidx__reduce_env *env, uint64_t first, uint64_t n,
                        const uint64_t *sp_first, const uint64_t *sp_rows, size_t nsp, uint64_t want, uint64_t seed,
                        float **out, uint64_t *sp_kept);

/* A row to read (counted from a range's first) and the slot it goes to. */
typedef struct rvcidx__row_slot {
    int64_t row;
    uint64_t slot;
} rvcidx__row_slot;

/* Copies rows first+want[i].row of st to out + want[i].slot*dim, reading
 * only the blocks that hold them, each once; sorts want by row
 * (reduce_knn.c). */
int rvcidx__read_rows_at(rvcidx_store *st, uint64_t first, rvcidx__row_slot *want, size_t n, float *out);

/* Exact L2 k-NN (k <= 64) of nq queries q over rows [first, first+n) of st,
 * read and searched a block at a time on env's backend (NULL: the CPU),
 * reported in rows: ids (nq*k, caller's) are rows
 * counted from first, -1 where fewer than k rows exist. */
int rvcidx__knn_store(rvcidx_store *st, const rvcidx__reduce_env *env, uint64_t first, uint64_t n, const float *q,
                      uint64_t nq, int k, int64_t *ids);

/* Peak bytes the reduction of rows vectors of dim (nsp speakers) into
 * budget holds at once, the process's own 64 MiB not counted: what the plan
 * counts for the reduce stage (reduce.c keeps it true). */
uint64_t rvcidx__reduce_predict_ram(const rvcidx_reduce_params *p, uint64_t rows, int dim, size_t nsp, uint64_t budget);

/* The parameters that index all of a reduced store: p without its row
 * range. */
void rvcidx__reduce_params(const rvcidx_index_params *p, rvcidx_index_params *reduced);

/* What a reduction did, every field, for a split build's split.json (its
 * finish, maybe another process, reports what its prepare measured);
 * read: 0, or -1 when o is not such an object. */
json_t *rvcidx__reduce_state_json(const rvcidx_reduce_result *r);
int rvcidx__reduce_state_read(json_t *o, rvcidx_reduce_result *r);

#endif
