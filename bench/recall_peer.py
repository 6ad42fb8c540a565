"""recall_peer.py — the Python side of bench/recall.sh (run with /usr/bin/python3).

  build TREE OUTDIR SEED
      RVC's own index recipe (WebUI train_index), with Debian's python3-faiss 1.7.3
      and sklearn: every .npy of TREE (speakers, then files, in sorted order) loaded
      and concatenated, shuffled (np.random.seed(SEED), then np.random.shuffle as RVC
      does), above 200,000 vectors replaced by the centres of
      MiniBatchKMeans(n_clusters=10000, batch_size=256*cpu_count, compute_labels=False,
      init="random", random_state=SEED), IVF{n},Flat with n = min(int(16*sqrt(N)), N//39),
      nprobe 1, index.train, add in batches of 8192, write_index (the trained and the
      added file, as RVC writes both). Writes OUTDIR/added_*.index, OUTDIR/perm.npy
      and OUTDIR/build.json (stage times).
  eval TREE STORE QUERIES RVCDIR RVCIDX_INDEX OUT.json
      RVC's index against exact search (IndexFlatL2) over ALL input vectors, queried
      with every row of QUERIES, for nprobe 1, 2, 4, ... min(nlist, 256): 8-recall@8,
      1-recall@1, empty slots, RVC blend error, queries/s on 1 thread; the same
      figures for rvcidx's shipped index at its stored setting (a cross-check of
      rvcidx's own eval); and RVCDIR/vectors/0.npy = index.reconstruct_n(0, ntotal),
      so that rvcidx eval can time RVC's index with rvcidx's (AVX2) faiss. Checks
      that STORE holds TREE's vectors in RVC's concatenation order.
"""
import json
import os
import sys
import warnings

import h5py
import numpy as np

import faiss
import threadpoolctl

import benchlib

K = 8


def npy_files(tree):
    out = []
    for spk in sorted(os.listdir(tree)):
        feat = os.path.join(tree, spk, "3_feature768")
        if os.path.isdir(feat):
            out += [os.path.join(feat, n) for n in sorted(os.listdir(feat)) if n.endswith(".npy")]
    return out


def build(tree, outdir, seed):
    os.makedirs(outdir, exist_ok=True)
    times = {}
    t0 = benchlib.now()
    big_npy = np.concatenate([np.load(p) for p in npy_files(tree)], 0)
    times["load_s"] = benchlib.now() - t0
    n_input = big_npy.shape[0]
    np.random.seed(seed)
    big_npy_idx = np.arange(big_npy.shape[0])
    np.random.shuffle(big_npy_idx)
    big_npy = big_npy[big_npy_idx]
    t1 = benchlib.now()
    times["shuffle_s"] = t1 - t0 - times["load_s"]
    centres = big_npy.shape[0] > 2e5
    if centres:
        from sklearn.cluster import MiniBatchKMeans

        with warnings.catch_warnings():  # sklearn 1.2's FutureWarning about n_init's default (3)
            warnings.simplefilter("ignore", FutureWarning)
            big_npy = MiniBatchKMeans(n_clusters=10000, batch_size=256 * os.cpu_count(), compute_labels=False,
                                      init="random", random_state=seed).fit(big_npy).cluster_centers_
    t2 = benchlib.now()
    times["minibatch_kmeans_s"] = t2 - t1
    n_ivf = min(int(16 * np.sqrt(big_npy.shape[0])), big_npy.shape[0] // 39)
    index = faiss.index_factory(768, "IVF%s,Flat" % n_ivf)
    index_ivf = faiss.extract_index_ivf(index)
    index_ivf.nprobe = 1
    index.train(big_npy)
    t3 = benchlib.now()
    times["ivf_train_s"] = t3 - t2
    faiss.write_index(index, "%s/trained_IVF%s_Flat_nprobe_%s_rvc_v2.index" % (outdir, n_ivf, index_ivf.nprobe))
    batch_size_add = 8192
    for i in range(0, big_npy.shape[0], batch_size_add):
        index.add(big_npy[i:i + batch_size_add])
    path = "%s/added_IVF%s_Flat_nprobe_%s_rvc_v2.index" % (outdir, n_ivf, index_ivf.nprobe)
    faiss.write_index(index, path)
    t4 = benchlib.now()
    times["add_write_s"] = t4 - t3
    times["recipe_s"] = t4 - t0
    np.save(os.path.join(outdir, "perm.npy"), big_npy_idx)
    json.dump({"index": path, "input_vectors": n_input, "ntotal": int(index.ntotal), "nlist": n_ivf,
               "centres_only": bool(centres), "times": times,
               "minibatch_batch_size": 256 * os.cpu_count() if centres else None}, open(f"{outdir}/build.json", "w"))


def load(store):
    with h5py.File(store, "r") as f:
        return f["features"][:]


def figures(q, got_index_ids, vectors, to_input_ids, x, truth):
    """Recall, empty share and blend error of one answer set.
    got_index_ids: ids in the index; vectors: the index's vectors (RVC's big_npy);
    to_input_ids: maps index ids to input rows, or None when the index holds none."""
    nq = q.shape[0]
    if to_input_ids is not None:
        got = np.where(got_index_ids >= 0, to_input_ids[np.maximum(got_index_ids, 0)], -1)
        rk = benchlib.recall_k(got, truth)
        r1 = float(np.mean(got[:, 0] == truth[:, 0]))
    else:
        rk = r1 = 0.0
    err = np.sort(benchlib.blend_errors(q, vectors, got_index_ids, x, truth))
    return {"recall_k": rk, "recall_1": r1, "empty_share": float(np.mean(got_index_ids < 0)),
            "blend_error_mean": float(err.mean()), "blend_error_p95": float(err[int(0.95 * (nq - 1))])}


def qps_1thread(index, q, **timing):
    """(queries/s on 1 thread, the ids found): the fastest of >= 2 searches and >= 0.1 s
    (timing: other min_runs / min_total for benchlib.timed_search_qps)."""
    # One thread for OpenBLAS's own pool too (faiss's coarse GEMM), as rvcidx eval does.
    with threadpoolctl.threadpool_limits(limits=1):
        return benchlib.timed_search_qps(index, q, K, with_ids=True, **timing)


def evaluate(tree, store, queries, rvcdir, rvcidx_index, out):
    x = load(store)
    same_order = bool(np.array_equal(np.concatenate([np.load(p) for p in npy_files(tree)], 0), x))
    q = load(queries)
    b = json.load(open(f"{rvcdir}/build.json"))
    perm = np.load(f"{rvcdir}/perm.npy")
    flat = faiss.IndexFlatL2(x.shape[1])
    flat.add(x)
    truth = flat.search(q, K)[1]
    del flat
    res = {"rows": int(x.shape[0]), "queries": int(q.shape[0]), "build": b, "store_in_rvc_order": same_order, "rvc": [], "threads_all": faiss.omp_get_max_threads()}
    # RVC's index, as its inference loads it
    index = faiss.read_index(b["index"])
    big_npy = index.reconstruct_n(0, index.ntotal)
    os.makedirs(f"{rvcdir}/vectors", exist_ok=True)
    np.save(f"{rvcdir}/vectors/0.npy", big_npy)
    ivf = faiss.extract_index_ivf(index)
    to_input = None if b["centres_only"] else perm
    nprobe = 1
    while nprobe <= min(ivf.nlist, 256):
        ivf.nprobe = nprobe
        qps, ids = qps_1thread(index, q)
        f = figures(q, ids, big_npy, to_input, x, truth)
        f.update(nprobe=nprobe, qps_1_thread=qps)
        res["rvc"].append(f)
        nprobe *= 2
    # rvcidx's shipped index, searched as RVC would (the stored setting)
    index = faiss.read_index(rvcidx_index)
    rf = faiss.downcast_index(index)
    base = faiss.downcast_index(rf.base_index)
    big_npy = index.reconstruct_n(0, index.ntotal)
    res["rvcidx_reconstruct_exact"] = bool(np.array_equal(big_npy, x))
    qps, ids = qps_1thread(index, q)
    f = figures(q, ids, big_npy, np.arange(x.shape[0]), x, truth)
    f.update(nprobe=int(base.nprobe), k_factor=float(rf.k_factor), qps_1_thread=qps)
    res["rvcidx_shipped_in_python"] = f
    json.dump(res, open(out, "w"), indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "eval":
        evaluate(*sys.argv[2:8])
    else:
        sys.exit("usage: recall_peer.py build|eval ...")
