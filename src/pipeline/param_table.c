/* param_table.c — the one table of a build's parameters (rvcidx/params.h).
 *
 * Adding a parameter: a row here, its field in the group's params struct
 * and its case in that group's setter (rvcidx__*_param_set). The command's
 * option, its parsing and --help, the Python package's rvcidx.parameters()
 * and docs/parameters.md's reference follow from the row; test_params
 * checks each row against the setter (its range, its choices, its default).
 */
#include <string.h>

#include "base/param_text.h"
#include "rvcidx/params.h"

#define NONE 0, 0

static const rvcidx_param_info table[] = {
    /* ---- the build ---- */
    {"outdir", "build", RVCIDX_PARAM_PATH, "", NONE, "", "OUTDIR", "-o", "where the artifacts go (required)", ""},
    {"name", "build", RVCIDX_PARAM_TEXT, "", NONE, "", "NAME", "--name",
     "model name in the index file name (default: the first source's name)", ""},
    {"per_speaker", "build", RVCIDX_PARAM_FLAG, "", NONE, "0", "", "--per-speaker",
     "one index per speaker (model directory) instead of one for all", ""},
    {"assume_memory", "build", RVCIDX_PARAM_SIZE, "", NONE, "0", "SIZE", "--assume-memory",
     "count on SIZE of memory (e.g. 64G) instead of what this machine shows",
     "(MemAvailable, the cgroup's memory.max, RVCIDX_MEMORY_LIMIT), more or less;\n"
     "logged with what was seen (or RVCIDX_ASSUME_MEMORY); 0: none"},
    {"assume_disk", "build", RVCIDX_PARAM_SIZE, "", NONE, "0", "SIZE", "--assume-disk",
     "the same for the output filesystem's free space", "(RVCIDX_DISK_LIMIT; or RVCIDX_ASSUME_DISK)"},
    {"no_plan_check", "build", RVCIDX_PARAM_FLAG, "", NONE, "0", "", "--no-plan-check",
     "build even when the plan says it does not fit (logs a warning)", ""},
    {"split", "build", RVCIDX_PARAM_INT, "", 1, 4096, "", "N", "--split",
     "encode the rows in N contiguous parts and merge them in row order",
     "(one index encoded in parts, e.g. by cluster tasks; see 'rvcidx submit';\n"
     "the index is byte-identical to the build without it)"},
    {"stage", "build", RVCIDX_PARAM_CHOICE, "all|prepare|part|finish", NONE, "all", "all|prepare|part|finish",
     "--stage", "with --split: run one stage",
     "prepare = ingest and train once; part = encode one part; finish = merge,\ntune, publish"},
    {"part", "build", RVCIDX_PARAM_INT, "", 0, 4095, "", "I", "--part",
     "the part for --stage part (default $SLURM_ARRAY_TASK_ID)", ""},
    {"for", "build", RVCIDX_PARAM_CHOICE, "rvc|rvc-realtime|applio|applio-realtime|ultimate-rvc|w-okada", NONE, "",
     "APP", "--for", "build for the app that loads the index ('--for help' says what each needs)",
     "an index type every call of the app succeeds on, its k, tuning at its\n"
     "query pattern. Default: the seed's IVF,PQx4fs,RFlat at k 8, which serves\n"
     "rvc, applio and ultimate-rvc"},
    /* ---- the run (rvcidx/run.h): where and on how many threads, not what ---- */
    {"gpu", "run", RVCIDX_PARAM_CHOICE, "auto|on|off", NONE, "auto", "auto|on|off", "--gpu",
     "k-means and exact searches on the GPU when one is usable (on: or fail; off: the CPU)", ""},
    {"gpu_device", "run", RVCIDX_PARAM_INT, "", 0, 1023, "0", "N", "--gpu-device", "the CUDA device to use", ""},
    {"threads", "run", RVCIDX_PARAM_INT, "", 0, 4096, "0", "N", "--threads", "CPU threads (0: all)", ""},
    /* ---- the budget (rvcidx/reduce.h) ---- */
    {"max_vectors", "reduce", RVCIDX_PARAM_INT, "all", 1, 1099511627776.0, "all", "N|all", "--max-vectors",
     "index at most N vectors, chosen by --reduce (RVC apps hold N*D*4 bytes of them in RAM)",
     "the report and manifest record the blend error against all frames\n(docs/parameters.md, Reduction)"},
    {"max_app_memory", "reduce", RVCIDX_PARAM_SIZE, "none", NONE, "none", "SIZE", "--max-app-memory",
     "the N whose index file plus the app's N*D*4 copy fit SIZE (e.g. 512M, 2G)",
     "with --max-vectors the smaller N"},
    {"reduce", "reduce", RVCIDX_PARAM_CHOICE, "kmeans|stratified|random|auto|hubs", NONE, "auto",
     "auto|kmeans|stratified|hubs|random", "--reduce", "how the vectors kept are chosen",
     "auto (default) measures k-means centres, a seeded per-speaker subsample\n"
     "and (3+ speakers) hubs against all frames and keeps the lowest blend error;\n"
     "or one of them (hubs: the frames other speakers' probes land on), or a\n"
     "seeded uniform subsample"},
    /* ---- eval: recall against exact search, tuning nprobe/k_factor ---- */
    {"k", "eval", RVCIDX_PARAM_INT, "", 1, 1024, "8", "K", "--k", "neighbours per query, RVC's 8", ""},
    {"eval_queries", "eval", RVCIDX_PARAM_INT, "", 1, 1099511627776.0, "1000", "N", "--eval-queries",
     "queries sampled", ""},
    {"queries_from", "eval", RVCIDX_PARAM_CHOICE, "auto|self|other-speakers", NONE, "auto",
     "auto|self|other-speakers", "--queries-from", "what the queries are",
     "other speakers' frames (RVC converts another voice): the store's rows outside\n"
     "the index, or, for one index of several speakers, its last speaker held out\n"
     "of a tuning index; self: leave-one-out on the indexed frames. auto:\n"
     "other-speakers when the store has several, else self ('eval': self)"},
    {"queries", "eval", RVCIDX_PARAM_PATH, "", NONE, "", "STORE.h5", "--queries", "external queries instead", ""},
    {"target_recall", "eval", RVCIDX_PARAM_NUMBER, "", 0, 1, "0.95", "R", "--target-recall",
     "k-recall@k to reach", ""},
    {"no_tune", "eval", RVCIDX_PARAM_FLAG, "", NONE, "0", "", "--no-tune",
     "measure only the setting stored in the index", ""},
    {"no_timing", "eval", RVCIDX_PARAM_FLAG, "", NONE, "0", "", "--no-timing",
     "recall only: no queries/s measurement (faster)", ""},
    {"max_block_ms", "eval", RVCIDX_PARAM_NUMBER, "", 0.001, 1000000, "", "MS", "--max-block-ms",
     "a realtime time budget: the highest recall whose p99 search time per block fits MS",
     "(timed here: another machine may choose another setting); it replaces the\n"
     "10 ms limit of --for rvc-realtime and w-okada, which ships the cheapest\n"
     "setting within it"},
    {"block_frames", "eval", RVCIDX_PARAM_INT, "", 1, 65536, "", "N", "--block-frames",
     "frames a realtime search call holds (default 16, RVC realtime's 0.25 s block)", "--for sets its app's"},
    {"search_threads", "eval", RVCIDX_PARAM_INT, "", 0, 4096, "", "N", "--search-threads",
     "threads the budget is timed on (default 1; 0: all cores)", ""},
    /* ---- ingest ---- */
    {"dim", "ingest", RVCIDX_PARAM_CHOICE, "256|768", NONE, "", "256|768", "--dim",
     "pick 3_feature256 (v1) or 3_feature768 (v2) when both exist", ""},
    {"version", "ingest", RVCIDX_PARAM_CHOICE, "v1|v2", NONE, "", "v1|v2", "--version", "the same, by RVC version", ""},
    {"skip_bad", "ingest", RVCIDX_PARAM_FLAG, "", NONE, "0", "", "--skip-bad",
     "leave bad shards out (listed in the store) instead of failing", ""},
    {"check", "ingest", RVCIDX_PARAM_CHOICE, "hash|stat", NONE, "hash", "hash|stat", "--check",
     "recognise stored shards by sha256 (default) or size+mtime", ""},
    /* ---- index ---- */
    {"index", "index", RVCIDX_PARAM_CHOICE, "ivfpq4fs|ivfpq4fsr|ivfflat|auto", NONE, "ivfpq4fs",
     "ivfpq4fs|ivfpq4fsr|ivfflat|auto", "--index", "the index type",
     "ivfpq4fs (default): the seed's IVF,PQ{D/2}x4fs,RFlat; ivfpq4fsr: its PQ\n"
     "encodes residuals; ivfflat: RVC's IVF,Flat; auto (build only): builds and\n"
     "tunes the three, ships the lowest measured p99 per block at the target\n"
     "(under --max-block-ms: the highest recall; table in report.md)"},
    {"metric", "index", RVCIDX_PARAM_CHOICE, "l2|ip|cosine", NONE, "l2", "l2|ip|cosine", "--metric",
     "as RVC: l2 (cosine stores L2-normalised vectors)", ""},
    {"nlist", "index", RVCIDX_PARAM_INT, "auto", 1, 16777216, "auto", "N|auto", "--nlist",
     "IVF lists (auto: 2*sqrt(N), at least 39 rows per list)", ""},
    {"seed", "index", RVCIDX_PARAM_INT, "", 0, 18446744073709551615.0, "1234", "S", "--seed",
     "sampling and k-means seed", ""},
    {"iterations", "index", RVCIDX_PARAM_INT, "", 1, 1000, "10", "N", "--iterations", "k-means iterations", ""},
    {"train_rows", "index", RVCIDX_PARAM_INT, "auto", 1, 1099511627776.0, "auto", "N|auto", "--train-rows",
     "k-means sample (auto: min(N, 64*nlist))", ""},
    {"nprobe", "index", RVCIDX_PARAM_INT, "", 1, 16777216, "16", "N", "--nprobe",
     "lists searched, written into the index (tuning chooses it)", ""},
    {"k_factor", "index", RVCIDX_PARAM_INT, "", 1, 1024, "8", "N", "--k-factor",
     "refine candidates per result (tuning chooses it)", ""},
    {"refine", "index", RVCIDX_PARAM_CHOICE, "flat|fp16|sq8", NONE, "flat", "flat|fp16|sq8", "--refine",
     "what the IVF-PQ index re-ranks with and reconstruct_n returns",
     "flat (default) the float vectors; fp16 half floats (file about 0.55x); sq8\n"
     "8-bit codes (about 0.3x). Apps still hold N*D*4 bytes after loading\n"
     "(reconstruct_n), only the file shrinks; recall and blend error are\n"
     "measured against the original vectors (docs/parameters.md)"},
    {"max_index_size", "index", RVCIDX_PARAM_SIZE, "", NONE, "0", "SIZE", "--max-index-size",
     "ship the most exact refine (flat, fp16, sq8) whose file fits in SIZE (e.g. 500M, 2G)",
     "chosen by predicted size and checked on the file built; none fits: exit 8,\nsizes said; 0: none"},
};

size_t rvcidx_params_count(void) { return sizeof table / sizeof *table; }

const rvcidx_param_info *rvcidx_params_info(size_t i) { return i < rvcidx_params_count() ? &table[i] : NULL; }

const rvcidx_param_info *rvcidx_params_find(const char *name) {
    char k[32];
    if (rvcidx__param_key(name, k, sizeof k) != 0) return NULL;
    for (size_t i = 0; i < rvcidx_params_count(); i++)
        if (!strcmp(table[i].name, k)) return &table[i];
    return NULL;
}

const char *rvcidx_param_type_name(rvcidx_param_type type) {
    static const char *const names[] = {"flag", "int", "number", "size", "choice", "text", "path"};
    return (int)type >= 0 && (int)type < 7 ? names[type] : "?";
}
