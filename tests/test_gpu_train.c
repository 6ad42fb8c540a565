/* test_gpu_train.c — GPU k-means against CPU k-means on the same sample.
 * Skips (77) with the reason when no GPU is usable. Where one is: --gpu on
 * trains on it, the centroids file says "cuda", and the GPU centroids are as
 * good as the CPU ones (their index finds the same 8 neighbours as the CPU
 * index for nearly all stored frames: the assignment order of floating-point
 * sums differs on the GPU, so bytes may differ). */
#include "test_util.h"

#include <hdf5.h>

#include "rvcidx/demo.h"
#include "rvcidx/gpu.h"
#include "rvcidx/index.h"
#include "rvcidx/ingest.h"

static char dir[4096], store[4200];

static void train_encode(rvcidx_gpu_mode mode, const char *tag, rvcidx_train_result *tr) {
    char centroids[4300], index[4300];
    snprintf(centroids, sizeof centroids, "%s/c-%s.h5", dir, tag);
    snprintf(index, sizeof index, "%s/i-%s.index", dir, tag);
    rvcidx_index_params p = rvcidx_index_default_params();
    p.gpu = mode;
    assert_int_equal(rvcidx_train(store, centroids, &p, tr), 0);
    assert_int_equal(rvcidx_encode(store, centroids, index, &p, NULL), 0);
}

static void gpu_and_cpu_centroids_agree(void **state) {
    (void)state;
    rvcidx_train_result gpu, cpu;
    train_encode(RVCIDX_GPU_ON, "gpu", &gpu);
    train_encode(RVCIDX_GPU_OFF, "cpu", &cpu);
    assert_non_null(strstr(gpu.device, "cuda"));
    assert_non_null(strstr(cpu.device, "cpu"));
    assert_string_equal(gpu.sample_sha256, cpu.sample_sha256); /* same sample, different device */
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import faiss,h5py,numpy as np;"
             "x=h5py.File('%s','r')['features'][:];q=x[::7];"
             "a=faiss.read_index('%s/i-gpu.index').search(q,9)[1][:,1:];"
             "b=faiss.read_index('%s/i-cpu.index').search(q,9)[1][:,1:];"
             "r=np.mean([len(set(u)&set(v))/8 for u,v in zip(a,b)]);print('overlap',r);"
             "assert r>0.95\"",
             store, dir, dir);
    assert_int_equal(system(cmd), 0);
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
    assert_int_equal(rvcidx_ingest(store, srcs, 1, NULL, NULL), 0);
    const struct CMUnitTest tests[] = {cmocka_unit_test(gpu_and_cpu_centroids_agree)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
