"""scale_peer.py — the Python side of bench/scale.sh (run with /usr/bin/python3).

  faiss-build TREE OUTDIR NLIST TRAIN_ROWS NITER SEED NPROBE K_FACTOR
      Peer (b): the index rvcidx ships, IVF{NLIST},PQ{D/2}x4fs + IndexRefineFlat,
      built the obvious way with Debian's python3-faiss 1.7.3 and rvcidx's
      parameters: every .npy of TREE loaded and concatenated as RVC loads them;
      faiss.Kmeans(d, NLIST, niter=NITER, seed=SEED) on the TRAIN_ROWS rows
      rvcidx's k-means trains on (its seeded sampler, reproduced bit for bit in
      benchlib; the row numbers are computed before the clock starts, as that
      Python loop is the benchmark's, not the recipe's); the quantizer filled
      with the centroids; the PQ trained on min(TRAIN_ROWS, 65536) rows picked
      the same way, as rvcidx's encode does; every row added in batches of 16384; nprobe and k_factor set to rvcidx's shipped
      setting; write_index. Writes OUTDIR/faiss.index and OUTDIR/build.json
      (stage times).
  eval TREE QUERIES.h5 OUT.json RVCDIR FAISS_INDEX RVCIDX_INDEX [RVCIDX_GPU_INDEX]
      Every row of QUERIES (another speaker's frames) searched in each index at
      its stored setting, against exact k-NN over ALL input vectors (faiss.knn:
      IndexFlatL2's brute force without its copy of them): 8-recall@8,
      1-recall@1, empty slots, RVC blend error, queries/s with this generic
      faiss (see QPS_1THREAD_QUERIES), index file bytes. Saves RVC's vectors
      (reconstruct_n) as RVCDIR/vectors/0.npy, for scale.sh's AVX2 timing.
  report-size RESULTS_DIR N
      The tables of one size, from the files bench/scale.sh left in RESULTS_DIR.
  report-scaling RESULTS_DIR GPU_LINE
      Time and peak memory against N, and the targets at the largest size.
"""
import json
import os
import sys

import h5py
import numpy as np

import faiss

import benchlib
from encode_peer import ADD_BATCH, pq_train_rows
from recall_peer import K, figures, npy_files, qps_1thread


def load_tree(tree):
    return np.concatenate([np.load(p) for p in npy_files(tree)], 0)


def faiss_build(tree, outdir, nlist, train_rows, niter, seed, nprobe, k_factor):
    os.makedirs(outdir, exist_ok=True)
    n = sum(np.load(p, mmap_mode="r").shape[0] for p in npy_files(tree))
    train_ids = benchlib.rvcidx_sample_ids(n, train_rows, seed)
    pq_ids = benchlib.rvcidx_sample_ids(n, min(train_rows, pq_train_rows(n, nlist)), seed)
    t = {}
    t0 = benchlib.now()
    x = load_tree(tree)
    t1 = benchlib.now()
    t["load_s"] = t1 - t0
    d = x.shape[1]
    sample = x[train_ids]
    km = faiss.Kmeans(d, nlist, niter=niter, seed=seed, max_points_per_centroid=sample.shape[0])
    km.train(sample)
    del sample
    t2 = benchlib.now()
    t["kmeans_s"] = t2 - t1
    ivf = faiss.index_factory(d, f"IVF{nlist},PQ{d // 2}x4fs", faiss.METRIC_L2)
    faiss.extract_index_ivf(ivf).quantizer.add(km.centroids)
    ivf.train(x[pq_ids])
    index = faiss.IndexRefineFlat(ivf)
    ps = faiss.ParameterSpace()
    ps.set_index_parameter(index, "nprobe", nprobe)
    ps.set_index_parameter(index, "k_factor_rf", k_factor)
    t3 = benchlib.now()
    t["pq_train_s"] = t3 - t2
    for i in range(0, n, ADD_BATCH):
        index.add(x[i:i + ADD_BATCH])
    t4 = benchlib.now()
    t["add_s"] = t4 - t3
    path = os.path.join(outdir, "faiss.index")
    faiss.write_index(index, path)
    t5 = benchlib.now()
    t["write_s"] = t5 - t4
    t["encode_s"] = t5 - t2
    t["total_s"] = t5 - t0
    json.dump({"index": path, "rows": n, "nlist": nlist, "train_rows": int(len(train_ids)), "iterations": niter, "times": t}, open(os.path.join(outdir, "build.json"), "w"))


# Debian's python3-faiss is a generic build: it scans FastScan codes without
# SIMD, so its speed says little about what RVC users see (PyPI's faiss-cpu and
# rvcidx's faiss use AVX2); bench/scale.sh times every index with rvcidx's
# AVX2 faiss as well. Here: one search of every query on all threads (the
# answers scored, its time reported), and one single-thread search of 1,000
# of the queries.
QPS_1THREAD_QUERIES = 1000


def one_index(path, q, x, truth, to_input, vectors=None):
    index = faiss.read_index(path)
    if vectors is None:
        vectors = x
    once = {"min_runs": 1, "min_total": 0}
    qps_all, ids = benchlib.timed_search_qps(index, q, K, with_ids=True, **once)
    q1 = q[np.linspace(0, q.shape[0] - 1, min(QPS_1THREAD_QUERIES, q.shape[0])).astype(np.int64)]
    qps1, _ = qps_1thread(index, q1, **once)
    f = figures(q, ids, vectors, to_input, x, truth)
    f.update(qps_1_thread=qps1, qps_all_threads=qps_all, file_bytes=os.path.getsize(path), ntotal=int(index.ntotal))
    try:
        rf = faiss.downcast_index(index)
        base = faiss.downcast_index(rf.base_index)
        f.update(nprobe=int(base.nprobe), k_factor=float(rf.k_factor))
    except AttributeError:
        f.update(nprobe=int(faiss.extract_index_ivf(index).nprobe), k_factor=None)
    return f


def evaluate(tree, queries, out, rvcdir, faiss_index, rvcidx_index, gpu_index=None):
    x = load_tree(tree)
    with h5py.File(queries, "r") as f:
        q = f["features"][:]
    truth = faiss.knn(q, x, K)[1]  # IndexFlatL2's search, without its copy of x
    rows = np.arange(x.shape[0])
    res = {"rows": int(x.shape[0]), "queries": int(q.shape[0]), "threads_all": faiss.omp_get_max_threads()}
    res["rvcidx"] = one_index(rvcidx_index, q, x, truth, rows)
    res["faiss"] = one_index(faiss_index, q, x, truth, rows)
    if gpu_index:
        res["rvcidx_gpu"] = one_index(gpu_index, q, x, truth, rows)
    b = json.load(open(os.path.join(rvcdir, "build.json")))
    rvc = faiss.read_index(b["index"])
    big_npy = rvc.reconstruct_n(0, rvc.ntotal)  # what RVC's inference blends from
    del rvc
    os.makedirs(os.path.join(rvcdir, "vectors"), exist_ok=True)  # for bench/scale.sh's AVX2 timing of RVC's index
    np.save(os.path.join(rvcdir, "vectors", "0.npy"), big_npy)
    to_input = None if b["centres_only"] else np.load(os.path.join(rvcdir, "perm.npy"))
    res["rvc"] = one_index(b["index"], q, x, truth, to_input, big_npy)
    res["rvc"]["centres_only"] = b["centres_only"]
    json.dump(res, open(out, "w"), indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "faiss-build":
        a = sys.argv[2:]
        faiss_build(a[0], a[1], *map(int, a[2:8]))
    elif sys.argv[1] == "eval":
        evaluate(*sys.argv[2:9])
    elif sys.argv[1] == "report-size":
        import scale_report
        scale_report.size(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "report-scaling":
        import scale_report
        scale_report.scaling(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: scale_peer.py faiss-build|eval ...")
