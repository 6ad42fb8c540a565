/* test_gpu_train.c — GPU k-means against CPU k-means on the same sample.
 * Skips (77) with the reason when no GPU is usable. Where one is: --gpu on
 * trains on it, the centroids file says "cuda", and the GPU centroids are as
 * good as the CPU ones (their index finds the same 8 neighbours as the CPU
 * index for nearly all stored frames: the assignment order of floating-point
 * sums differs on the GPU, so bytes may differ). */
#include "test_util.h"

#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/index_io_c.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "rvcidx/demo.h"
#include "rvcidx/gpu.h"
#include "rvcidx/index.h"
#include "rvcidx/ingest.h"
#include "rvcidx/store.h"

static char dir[4096], store[4200];

static void train_encode(rvcidx_gpu_mode mode, const char *tag, rvcidx_train_result *tr) {
    char centroids[4300], index[4300];
    snprintf(centroids, sizeof centroids, "%s/c-%s.h5", dir, tag);
    snprintf(index, sizeof index, "%s/i-%s.index", dir, tag);
    rvcidx_index_params p = rvcidx_index_default_params();
    rvcidx_run run = rvcidx_run_default();
    run.gpu = mode;
    assert_int_equal(rvcidx_train(store, centroids, &p, &run, tr), 0);
    assert_int_equal(rvcidx_encode(store, centroids, index, &p, &run, NULL), 0);
}

/* The share of the 8 stored neighbours (self left out) the two indexes
 * agree on, for every 7th stored frame: in C through faiss, so the device
 * that runs it needs no Python faiss. */
static double neighbour_overlap(void) {
    rvcidx_store *st = NULL;
    assert_int_equal(rvcidx_store_open(store, &st), 0);
    uint64_t n = rvcidx_store_rows(st), nq = (n + 6) / 7;
    int d = rvcidx_store_dim(st);
    float *x = malloc(sizeof *x * n * d), *q = malloc(sizeof *q * nq * d), *dist = malloc(sizeof *dist * nq * 9);
    idx_t *a = malloc(sizeof *a * nq * 9), *b = malloc(sizeof *b * nq * 9);
    assert_non_null(x), assert_non_null(q), assert_non_null(dist), assert_non_null(a), assert_non_null(b);
    assert_int_equal(rvcidx_store_read_rows(st, 0, n, x), 0);
    rvcidx_store_close(st);
    for (uint64_t i = 0; i < nq; i++) memcpy(q + i * d, x + 7 * i * d, sizeof *q * d);
    idx_t *out[2] = {a, b};
    const char *tags[2] = {"gpu", "cpu"};
    for (int t = 0; t < 2; t++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/i-%s.index", dir, tags[t]);
        FaissIndex *index = NULL;
        assert_int_equal(faiss_read_index_fname(path, 0, &index), 0);
        assert_int_equal(faiss_Index_search(index, (idx_t)nq, q, 9, dist, out[t]), 0);
        faiss_Index_free(index);
    }
    uint64_t shared = 0;
    for (uint64_t i = 0; i < nq; i++)
        for (int u = 1; u < 9; u++)
            for (int v = 1; v < 9; v++) shared += a[i * 9 + u] >= 0 && a[i * 9 + u] == b[i * 9 + v];
    free(x), free(q), free(dist), free(a), free(b);
    return (double)shared / (double)(nq * 8);
}

static void gpu_and_cpu_centroids_agree(void **state) {
    (void)state;
    rvcidx_train_result gpu, cpu;
    train_encode(RVCIDX_GPU_ON, "gpu", &gpu);
    train_encode(RVCIDX_GPU_OFF, "cpu", &cpu);
    assert_non_null(strstr(gpu.device, "cuda"));
    assert_non_null(strstr(cpu.device, "cpu"));
    assert_string_equal(gpu.sample_sha256, cpu.sample_sha256); /* same sample, different device */
    double overlap = neighbour_overlap();
    printf("8-NN overlap of the GPU- and CPU-trained indexes: %.4f (must be > 0.95)\n", overlap);
    assert_true(overlap > 0.95);
}

int main(void) {
    rvcidx_gpu_info info;
    if (rvcidx_gpu_probe(&info) != 0) {
        printf("SKIP: GPU training test: no usable GPU: %s\n", info.reason);
        return 77;
    }
    test_scratch_dir("gpu_train", dir, sizeof dir);
    rvcidx_demo_params d = rvcidx_demo_default_params();
    d.minutes = 2;
    assert_int_equal(rvcidx_demo_write(dir, &d, NULL), 0);
    snprintf(store, sizeof store, "%s/store.h5", dir);
    const char *srcs[] = {dir};
    assert_int_equal(rvcidx_ingest(store, srcs, 1, NULL, NULL, NULL), 0);
    const struct CMUnitTest tests[] = {cmocka_unit_test(gpu_and_cpu_centroids_agree)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
