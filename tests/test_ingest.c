/* test_ingest.c — stage 1 through the public API: the store holds the shards'
 * rows in RVC's order; re-runs append, skip or rebuild as the tree changed;
 * writes are reproducible, atomic and leave no temporary files behind; bad
 * shards fail the run, or are listed and left out with skip_bad. */
#include "test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rvcidx/demo.h"
#include "rvcidx/error.h"
#include "rvcidx/ingest.h"
#include "rvcidx/log.h"
#include "rvcidx/store.h"

enum { PATH_N = 4096, D = 768 };

/* ---- fixtures ------------------------------------------------------------ */

/* Writes demo speakers prefix<first> .. prefix<first+n-1> under root. */
static void demo_speakers(const char *root, const char *prefix, int first, int n, double minutes) {
    rvcidx_demo_params p = rvcidx_demo_default_params();
    p.speakers = n;
    p.minutes = minutes;
    p.speaker_prefix = prefix;
    p.first_speaker = first;
    assert_int_equal(rvcidx_demo_write(root, &p, NULL), 0);
}

/* A fresh scratch dir with tree/ holding `speakers` demo speakers; store path in out/. */
static void setup_case(const char *name, int speakers, double minutes, char *tree, char *store) {
    char dir[PATH_N];
    test_scratch_dir(name, dir, sizeof dir);
    snprintf(tree, PATH_N, "%s/tree", dir);
    snprintf(store, PATH_N, "%s/out/store.h5", dir);
    char out[PATH_N + 8];
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(mkdir(out, 0777), 0);
    demo_speakers(tree, "speaker", 0, speakers, minutes);
}

static int ingest_one_run(const char *store, const char *src, const rvcidx_ingest_params *p, const rvcidx_run *run,
                          rvcidx_ingest_result *r) {
    const char *srcs[] = {src};
    return rvcidx_ingest(store, srcs, 1, p, run, r);
}

static int ingest_one(const char *store, const char *src, const rvcidx_ingest_params *p,
                      rvcidx_ingest_result *r) {
    return ingest_one_run(store, src, p, NULL, r);
}

static int by_bytes(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *e) { return e->d_name[0] != '.'; }

/* Entries of dir in byte order (Python's sorted(os.listdir())), dot files skipped. */
static int sorted_entries(const char *dir, struct dirent ***names) {
    int n = scandir(dir, names, not_dot, by_bytes);
    assert_true(n >= 0);
    return n;
}

static void free_entries(struct dirent **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* The v1 .npy layout the demo writes: data offset and shape. */
static void npy_layout(const unsigned char *b, size_t *offset, uint64_t *rows, uint64_t *cols) {
    assert_memory_equal(b, "\x93NUMPY", 6);
    *offset = 10 + (b[8] | (size_t)b[9] << 8);
    const char *shape = strstr((const char *)b + 10, "'shape': (");
    assert_non_null(shape);
    unsigned long long r = 0, c = 0;
    assert_int_equal(sscanf(shape, "'shape': (%llu, %llu)", &r, &c), 2);
    *rows = r;
    *cols = c;
}

/* The '<f4' shards under root concatenated in RVC's order (speaker dirs, then
 * files, each byte-sorted), leaving out any file named `skip`. */
static float *tree_rows(const char *root, const char *skip, uint64_t *n_rows) {
    float *all = NULL;
    uint64_t total = 0;
    struct dirent **spk = NULL;
    int n_spk = sorted_entries(root, &spk);
    for (int s = 0; s < n_spk; s++) {
        char feat[PATH_N], path[PATH_N + 256];
        snprintf(feat, sizeof feat, "%s/%s/3_feature768", root, spk[s]->d_name);
        struct dirent **files = NULL;
        int n_files = sorted_entries(feat, &files);
        for (int f = 0; f < n_files; f++) {
            if (skip && !strcmp(files[f]->d_name, skip)) continue;
            snprintf(path, sizeof path, "%s/%s", feat, files[f]->d_name);
            size_t size = 0, offset = 0;
            uint64_t rows = 0, cols = 0;
            unsigned char *b = test_read_file(path, &size);
            assert_non_null(b);
            npy_layout(b, &offset, &rows, &cols);
            assert_int_equal(cols, D);
            assert_int_equal(size, offset + rows * cols * 4);
            all = realloc(all, (total + rows) * D * sizeof(float) + 1);
            assert_non_null(all);
            memcpy(all + total * D, b + offset, rows * D * sizeof(float));
            total += rows;
            free(b);
        }
        free_entries(files, n_files);
    }
    free_entries(spk, n_spk);
    *n_rows = total;
    return all;
}

/* All of /features (caller frees). */
static float *store_rows(const char *store, uint64_t *n_rows) {
    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    assert_int_equal(rvcidx_store_dim(st), D);
    *n_rows = rvcidx_store_rows(st);
    float *rows = malloc(*n_rows * D * sizeof(float) + 1);
    assert_non_null(rows);
    assert_int_equal(rvcidx_store_read_rows(st, 0, *n_rows, rows), 0);
    rvcidx_store_close(st);
    return rows;
}

/* The store's /features are exactly the tree's shards in RVC's order. */
static void assert_store_matches_tree(const char *store, const char *tree, const char *skip) {
    uint64_t want_n = 0, got_n = 0;
    float *want = tree_rows(tree, skip, &want_n);
    float *got = store_rows(store, &got_n);
    assert_int_equal(got_n, want_n);
    assert_memory_equal(got, want, want_n * D * sizeof(float));
    free(want);
    free(got);
}

/* Path of the i-th (byte-sorted) shard of speaker dir `spk`. */
static void shard_path(const char *tree, const char *spk, int i, char *out) {
    char feat[PATH_N];
    snprintf(feat, sizeof feat, "%s/%s/3_feature768", tree, spk);
    struct dirent **files = NULL;
    int n = sorted_entries(feat, &files);
    assert_true(i < n);
    snprintf(out, PATH_N, "%s/%s", feat, files[i]->d_name);
    free_entries(files, n);
}

/* Overwrites column 0 of row `row` (-1: the last row) of a shard. */
static void poke_float(const char *path, int64_t row, float value) {
    size_t size = 0, offset = 0;
    uint64_t rows = 0, cols = 0;
    unsigned char *b = test_read_file(path, &size);
    assert_non_null(b);
    npy_layout(b, &offset, &rows, &cols);
    if (row < 0) row = (int64_t)rows - 1;
    assert_true((uint64_t)row < rows);
    memcpy(b + offset + row * cols * 4, &value, 4);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, size, fp), size);
    fclose(fp);
    free(b);
}

static int64_t mtime_ns(const char *path) {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static uint64_t tree_bytes(const char *tree) {
    char cmd[PATH_N + 64];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.npy' -printf '%%s\\n' | awk '{s+=$1} END {print s}'", tree);
    FILE *p = popen(cmd, "r");
    unsigned long long total = 0;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%llu", &total), 1);
    pclose(p);
    return total;
}

/* The directory the store is in (where its temporary files go). */
static void store_dir(const char *store, char *out) {
    char buf[PATH_N];
    snprintf(buf, sizeof buf, "%s", store);
    snprintf(out, PATH_N, "%s", dirname(buf));
}

static int temp_files_in(const char *store) {
    char dir[PATH_N], pattern[PATH_N + 64];
    store_dir(store, dir);
    snprintf(pattern, sizeof pattern, "'%s'/.*.rvcidx-tmp.*", dir);
    return test_count_glob(pattern);
}

/* Warnings the library logged, one per line. */
static char warnings[8192];

static void keep_warnings(rvcidx_log_level level, const char *msg, void *user) {
    (void)user;
    if (level != RVCIDX_LOG_WARN) return;
    size_t used = strlen(warnings);
    snprintf(warnings + used, sizeof warnings - used, "%s\n", msg);
}

/* ---- the store ----------------------------------------------------------- */

static void created_store_holds_every_row_in_rvc_order(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N];
    setup_case("ingest_create", 2, 0.2, tree, store);
    rvcidx_ingest_result r;
    assert_int_equal(ingest_one(store, tree, NULL, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_CREATED);
    assert_string_equal(r.reason, "");
    assert_int_equal(r.rows, 1200);
    assert_int_equal(r.rows_added, 1200);
    assert_int_equal(r.dim, D);
    assert_int_equal(r.speakers, 2);
    assert_true(r.files >= 4);
    assert_int_equal(r.files_added, r.files);
    assert_int_equal(r.bytes_read, 1200 * D * 4); /* every data byte once */
    assert_store_matches_tree(store, tree, NULL);

    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    assert_int_equal(rvcidx_store_speaker_count(st), 2);
    for (size_t i = 0; i < 2; i++) {
        rvcidx_store_speaker spk;
        assert_int_equal(rvcidx_store_get_speaker(st, i, &spk), 0);
        assert_string_equal(spk.name, i == 0 ? "speaker0" : "speaker1");
        assert_int_equal(spk.first_row, 600 * i);
        assert_int_equal(spk.rows, 600);
    }
    assert_int_equal(rvcidx_store_source_count(st), r.files);
    uint64_t next = 0;
    for (size_t i = 0; i < r.files; i++) {
        rvcidx_store_source src;
        assert_int_equal(rvcidx_store_get_source(st, i, &src), 0);
        assert_string_equal(src.status, "ok");
        assert_string_equal(src.dtype, "<f4");
        assert_string_equal(src.note, "");
        assert_int_equal(strlen(src.sha256), 64);
        assert_non_null(strstr(src.path, "3_feature768/"));
        assert_int_equal(src.first_row, next);
        next += src.rows;
    }
    assert_int_equal(next, 1200);
    rvcidx_store_source src;
    assert_int_equal(rvcidx_store_get_source(st, r.files, &src), RVCIDX_EINVAL);
    rvcidx_store_close(st);
}

static void same_inputs_give_byte_identical_stores(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], other[PATH_N + 16];
    setup_case("ingest_repro", 2, 0.2, tree, store);
    snprintf(other, sizeof other, "%s.copy.h5", store);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    assert_int_equal(ingest_one(other, tree, NULL, NULL), 0);
    size_t na = 0, nb = 0;
    unsigned char *a = test_read_file(store, &na), *b = test_read_file(other, &nb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

/* ---- re-runs ------------------------------------------------------------- */

static void rerun_is_unchanged_and_leaves_the_file_alone(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N];
    setup_case("ingest_unchanged", 2, 0.2, tree, store);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    size_t n0 = 0, n1 = 0;
    unsigned char *before = test_read_file(store, &n0);
    int64_t mtime = mtime_ns(store);
    rvcidx_ingest_result r;
    assert_int_equal(ingest_one(store, tree, NULL, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_UNCHANGED);
    assert_int_equal(r.rows, 1200);
    assert_int_equal(r.rows_added, 0);
    assert_int_equal(r.files_added, 0);
    unsigned char *after = test_read_file(store, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    assert_int_equal(mtime_ns(store), mtime);
    free(before);
    free(after);
}

static void speaker_sorting_last_is_appended_behind_identical_rows(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N];
    setup_case("ingest_append", 2, 0.2, tree, store);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    uint64_t n_before = 0, n_after = 0;
    float *before = store_rows(store, &n_before);
    demo_speakers(tree, "speaker", 2, 1, 0.1); /* speaker2 sorts last */
    rvcidx_ingest_result r;
    assert_int_equal(ingest_one(store, tree, NULL, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_APPENDED);
    assert_string_equal(r.reason, "");
    assert_int_equal(r.rows_added, 300);
    assert_int_equal(r.rows, 1500);
    assert_int_equal(r.speakers, 3);
    rvcidx_store *st = NULL;
    rvcidx_store_speaker spk;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    assert_int_equal(rvcidx_store_get_speaker(st, 2, &spk), 0);
    assert_string_equal(spk.name, "speaker2");
    assert_int_equal(spk.first_row, 1200);
    assert_int_equal(spk.rows, 300);
    rvcidx_store_close(st);
    float *after = store_rows(store, &n_after);
    assert_int_equal(n_after, n_before + 300);
    assert_memory_equal(after, before, n_before * D * sizeof(float));
    assert_store_matches_tree(store, tree, NULL);
    free(before);
    free(after);
}

static void speaker_sorting_first_forces_a_rebuild(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N];
    setup_case("ingest_sorts_first", 2, 0.2, tree, store);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    demo_speakers(tree, "a", 0, 1, 0.1); /* "a0" sorts before "speaker0" */
    rvcidx_ingest_result r;
    assert_int_equal(ingest_one(store, tree, NULL, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_REBUILT);
    assert_non_null(strstr(r.reason, "sorts before"));
    assert_int_equal(r.rows, 1500);
    assert_store_matches_tree(store, tree, NULL);
}

static void modified_shard_forces_a_rebuild(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], shard[PATH_N];
    setup_case("ingest_modified", 2, 0.2, tree, store);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    shard_path(tree, "speaker0", 1, shard);
    poke_float(shard, 0, 42.0f); /* same size, new bytes */
    rvcidx_ingest_result r;
    assert_int_equal(ingest_one(store, tree, NULL, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_REBUILT);
    assert_non_null(strstr(r.reason, "changed"));
    assert_store_matches_tree(store, tree, NULL);
}

static void deleted_shard_forces_a_rebuild(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], shard[PATH_N];
    setup_case("ingest_deleted", 2, 0.2, tree, store);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    shard_path(tree, "speaker0", 1, shard);
    assert_int_equal(unlink(shard), 0);
    rvcidx_ingest_result r;
    assert_int_equal(ingest_one(store, tree, NULL, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_REBUILT);
    assert_non_null(strstr(r.reason, "gone"));
    assert_true(r.rows < 1200);
    assert_store_matches_tree(store, tree, NULL);
}

static void check_stat_reads_nothing_when_unchanged_hash_reads_everything(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], shard[PATH_N];
    setup_case("ingest_check_stat", 2, 0.2, tree, store);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    rvcidx_ingest_params p = rvcidx_ingest_default_params();
    rvcidx_ingest_result r;
    p.check = RVCIDX_CHECK_STAT;
    assert_int_equal(ingest_one(store, tree, &p, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_UNCHANGED);
    assert_int_equal(r.bytes_read, 0);
    p.check = RVCIDX_CHECK_HASH;
    assert_int_equal(ingest_one(store, tree, &p, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_UNCHANGED);
    assert_int_equal(r.bytes_read, tree_bytes(tree));
    /* a touched shard is hashed again in stat mode: its bytes, nothing else */
    shard_path(tree, "speaker1", 0, shard);
    struct timespec later[2] = {{0, UTIME_OMIT}, {2000000000, 0}};
    assert_int_equal(utimensat(AT_FDCWD, shard, later, 0), 0);
    struct stat st;
    assert_int_equal(stat(shard, &st), 0);
    p.check = RVCIDX_CHECK_STAT;
    assert_int_equal(ingest_one(store, tree, &p, &r), 0);
    assert_int_equal(r.outcome, RVCIDX_INGEST_UNCHANGED);
    assert_int_equal(r.bytes_read, (uint64_t)st.st_size);
}

/* ---- atomicity ----------------------------------------------------------- */

typedef struct stopper {
    int calls, stop_after;
} stopper;

static int stop_later(const rvcidx_progress *p, void *user) {
    (void)p;
    stopper *s = user;
    return ++s->calls > s->stop_after;
}

static void interrupted_run_keeps_the_previous_store_and_no_temp(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N];
    setup_case("ingest_interrupt", 2, 0.2, tree, store);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    size_t n0 = 0, n1 = 0;
    unsigned char *before = test_read_file(store, &n0);
    /* the first run appends (copy of the store), the second rebuilds (new file) */
    const char *prefixes[] = {"tail", "a"};
    for (int i = 0; i < 2; i++) {
        demo_speakers(tree, prefixes[i], 0, 1, 0.2);
        stopper s = {0, 2};
        rvcidx_ingest_params p = rvcidx_ingest_default_params();
        rvcidx_run run = rvcidx_run_default();
        run.progress = stop_later;
        run.progress_user = &s;
        assert_int_equal(ingest_one_run(store, tree, &p, &run, NULL), RVCIDX_EINTR);
        assert_int_equal(s.calls, 3);
        unsigned char *after = test_read_file(store, &n1);
        assert_int_equal(n1, n0);
        assert_memory_equal(after, before, n0);
        free(after);
        assert_int_equal(temp_files_in(store), 0);
    }
    free(before);
}

static pid_t pid_of_a_dead_process(void) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execlp("true", "true", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return pid;
}

static void stale_temp_of_a_dead_process_is_removed(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], dir[PATH_N], stale[PATH_N + 64], live[PATH_N + 64];
    setup_case("ingest_stale_temp", 1, 0.1, tree, store);
    store_dir(store, dir);
    snprintf(stale, sizeof stale, "%s/.store.h5.rvcidx-tmp.%ld", dir, (long)pid_of_a_dead_process());
    snprintf(live, sizeof live, "%s/.store.h5.rvcidx-tmp.1", dir); /* pid 1 is alive */
    for (int i = 0; i < 2; i++) {
        FILE *fp = fopen(i ? live : stale, "wb");
        assert_non_null(fp);
        fputs("half a store", fp);
        fclose(fp);
    }
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    assert_int_equal(access(stale, F_OK), -1);
    assert_int_equal(access(live, F_OK), 0);
    assert_int_equal(unlink(live), 0);
}

/* The --check stat sidecar (STORE.stat.json) is written the same atomic way,
 * so a crash can leave its temporary file too. */
static void stale_temp_of_the_stat_sidecar_is_removed(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], dir[PATH_N], stale[PATH_N + 64];
    setup_case("ingest_stale_sidecar", 1, 0.1, tree, store);
    store_dir(store, dir);
    snprintf(stale, sizeof stale, "%s/.store.h5.stat.json.rvcidx-tmp.%ld", dir, (long)pid_of_a_dead_process());
    FILE *fp = fopen(stale, "wb");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(ingest_one(store, tree, NULL, NULL), 0);
    assert_int_equal(access(stale, F_OK), -1);
}

/* ---- sources ------------------------------------------------------------- */

/* logs/<model>/3_feature768 passed directly, or a model directory passed as
 * ".", is still that model: same speaker name, same store as passing logs/<model>. */
static void feature_folder_or_dot_source_is_named_after_its_model(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], src[PATH_N + 32], cwd[PATH_N];
    setup_case("ingest_source_names", 2, 0.1, tree, store);
    snprintf(src, sizeof src, "%s/speaker1/3_feature768", tree);
    assert_int_equal(ingest_one(store, src, NULL, NULL), 0);
    rvcidx_store *st = NULL;
    rvcidx_store_speaker spk;
    rvcidx_store_source shard;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    assert_int_equal(rvcidx_store_get_speaker(st, 0, &spk), 0);
    assert_int_equal(rvcidx_store_get_source(st, 0, &shard), 0);
    assert_string_equal(spk.name, "speaker1");
    assert_string_equal(shard.path, "3_feature768/0_0.npy");
    rvcidx_store_close(st);

    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(src, sizeof src, "%s/speaker0", tree);
    assert_int_equal(chdir(src), 0);
    int rc = ingest_one(store, ".", NULL, NULL);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    assert_int_equal(rvcidx_store_get_speaker(st, 0, &spk), 0);
    assert_string_equal(spk.name, "speaker0");
    rvcidx_store_close(st);
}

/* ---- bad and empty shards -------------------------------------------------- */

static void skip_bad_lists_a_nan_shard_and_keeps_the_others_in_order(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], shard[PATH_N], strict[PATH_N + 16];
    setup_case("ingest_skip_bad", 1, 0.3, tree, store);
    shard_path(tree, "speaker0", 2, shard); /* one in the middle */
    poke_float(shard, -1, NAN); /* the last row: the rows before it are rolled back */
    const char *name = strrchr(shard, '/') + 1;

    rvcidx_ingest_params p = rvcidx_ingest_default_params();
    p.skip_bad = 1;
    rvcidx_ingest_result r;
    assert_int_equal(ingest_one(store, tree, &p, &r), 0);
    assert_int_equal(r.files_rejected, 1);
    assert_store_matches_tree(store, tree, name);
    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    assert_int_equal(rvcidx_store_source_count(st), r.files);
    rvcidx_store_source src;
    assert_int_equal(rvcidx_store_get_source(st, 2, &src), 0);
    assert_non_null(strstr(src.path, name));
    assert_string_equal(src.status, "rejected");
    assert_non_null(strstr(src.note, "NaN"));
    assert_int_equal(src.rows, 0);
    assert_int_equal(rvcidx_store_get_source(st, 3, &src), 0);
    assert_string_equal(src.status, "ok");
    rvcidx_store_speaker spk;
    assert_int_equal(rvcidx_store_get_speaker(st, 0, &spk), 0);
    assert_int_equal(spk.rows, rvcidx_store_rows(st));
    rvcidx_store_close(st);

    /* without skip_bad the same tree fails and writes nothing */
    snprintf(strict, sizeof strict, "%s.strict.h5", store);
    assert_int_equal(ingest_one(strict, tree, NULL, NULL), RVCIDX_EINPUT);
    assert_non_null(strstr(rvcidx_last_error(), "bad shard"));
    assert_int_equal(access(strict, F_OK), -1);
    assert_int_equal(temp_files_in(store), 0);
}

/* Rows are appended to the store ~4 MiB at a time (1280 rows at D=768): a bad
 * shard found after part of it reached the store must be cut from the store. */
static void rejected_shard_straddling_an_appended_block_is_rolled_back(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], shard[PATH_N];
    setup_case("ingest_skip_straddle", 1, 0.8, tree, store); /* 2400 rows */
    uint64_t first = 0, rows = 0, cols = 0;
    for (int i = 0; first + rows <= 1300; i++) { /* find the shard holding row 1300 */
        first += rows;
        shard_path(tree, "speaker0", i, shard);
        size_t size = 0, offset = 0;
        unsigned char *b = test_read_file(shard, &size);
        assert_non_null(b);
        npy_layout(b, &offset, &rows, &cols);
        free(b);
    }
    assert_true(first < 1280); /* it starts inside the first block */
    poke_float(shard, -1, NAN);
    rvcidx_ingest_params p = rvcidx_ingest_default_params();
    p.skip_bad = 1;
    rvcidx_ingest_result r;
    assert_int_equal(ingest_one(store, tree, &p, &r), 0);
    assert_int_equal(r.files_rejected, 1);
    assert_int_equal(r.rows, 2400 - rows);
    assert_int_equal(r.rows_added, r.rows); /* the rejected shard's rows are not counted */
    assert_store_matches_tree(store, tree, strrchr(shard, '/') + 1);
}

/* A 0-row '<f4' [0, 768] shard, as np.save(np.zeros((0, 768), np.float32)) writes it. */
static void write_empty_shard(const char *path) {
    char header[128];
    int len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, %d), }", D);
    memset(header + len, ' ', sizeof header - (size_t)len);
    header[sizeof header - 10 - 1] = '\n';
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite("\x93NUMPY\x01\x00\x76\x00", 1, 10, fp); /* header length 118: 10 + 118 = 128 */
    fwrite(header, 1, sizeof header - 10, fp);
    fclose(fp);
}

static void zero_row_shard_is_listed_empty_with_a_warning(void **state) {
    (void)state;
    char tree[PATH_N], store[PATH_N], empty[PATH_N + 64];
    setup_case("ingest_empty_shard", 1, 0.2, tree, store);
    snprintf(empty, sizeof empty, "%s/speaker0/3_feature768/0_00.npy", tree); /* sorts second */
    write_empty_shard(empty);
    warnings[0] = '\0';
    rvcidx_log_set_sink(keep_warnings, NULL, RVCIDX_LOG_WARN);
    rvcidx_ingest_result r;
    int rc = ingest_one(store, tree, NULL, &r);
    rvcidx_log_set_sink(NULL, NULL, RVCIDX_LOG_ERROR);
    assert_int_equal(rc, 0);
    assert_int_equal(r.files_empty, 1);
    assert_int_equal(r.rows, 600);
    assert_non_null(strstr(warnings, "0_00.npy: 0 rows"));
    assert_store_matches_tree(store, tree, NULL);
    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    rvcidx_store_source src;
    assert_int_equal(rvcidx_store_get_source(st, 1, &src), 0);
    assert_string_equal(src.path, "3_feature768/0_00.npy");
    assert_string_equal(src.status, "empty");
    assert_int_equal(src.rows, 0);
    rvcidx_store_close(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(created_store_holds_every_row_in_rvc_order),
        cmocka_unit_test(same_inputs_give_byte_identical_stores),
        cmocka_unit_test(rerun_is_unchanged_and_leaves_the_file_alone),
        cmocka_unit_test(speaker_sorting_last_is_appended_behind_identical_rows),
        cmocka_unit_test(speaker_sorting_first_forces_a_rebuild),
        cmocka_unit_test(modified_shard_forces_a_rebuild),
        cmocka_unit_test(deleted_shard_forces_a_rebuild),
        cmocka_unit_test(check_stat_reads_nothing_when_unchanged_hash_reads_everything),
        cmocka_unit_test(interrupted_run_keeps_the_previous_store_and_no_temp),
        cmocka_unit_test(stale_temp_of_a_dead_process_is_removed),
        cmocka_unit_test(stale_temp_of_the_stat_sidecar_is_removed),
        cmocka_unit_test(feature_folder_or_dot_source_is_named_after_its_model),
        cmocka_unit_test(skip_bad_lists_a_nan_shard_and_keeps_the_others_in_order),
        cmocka_unit_test(rejected_shard_straddling_an_appended_block_is_rolled_back),
        cmocka_unit_test(zero_row_shard_is_listed_empty_with_a_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
