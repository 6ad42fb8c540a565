"""encode_peer.py — the Python side of bench/encode.sh (run with /usr/bin/python3).

  run STORE CENTROIDS.h5 NPROBE K_FACTOR SEED OUT.index
      Builds IVF{nlist},PQ{D/2}x4fs + IndexRefineFlat the obvious way with Debian's
      python3-faiss 1.7.3: the quantizer filled with rvcidx's centroids, the PQ
      trained on the rows rvcidx's encode trains on (min(N, 64*nlist, 65536) rows
      picked by rvcidx's seeded sampler, reproduced bit for bit in benchlib), every
      row added in batches of 16384, write_index. Prints one JSON line of timings.
  sample-sha STORE N_TRAIN SEED
      sha256 of that PQ training sample (to check it against rvcidx's).
  recall STORE NQ K INDEX...
      NQ stored vectors (seeded) searched for K+1 neighbours in each index and in
      IndexFlatL2, the query's own id dropped from both: K-recall@K and 1-recall@1.
"""
import json
import sys

import h5py
import numpy as np

import faiss

import benchlib

ADD_BATCH = 16384
PQ_TRAIN_ROWS = 65536


def load(store):
    with h5py.File(store, "r") as f:
        return f["features"][:]


def pq_train_rows(n, nlist):
    """rvcidx encode: min(train_rows, 65536), train_rows auto = min(N, 64 * nlist)."""
    return min(n, 64 * nlist, PQ_TRAIN_ROWS)


def run(store, centroids, nprobe, k_factor, seed, out):
    t0 = benchlib.now()
    x = load(store)
    with h5py.File(centroids, "r") as f:
        c = f["centroids"][:]
    t1 = benchlib.now()
    n, d = x.shape
    nlist = c.shape[0]
    n_train = pq_train_rows(n, nlist)
    train = x[benchlib.rvcidx_sample_ids(n, n_train, seed)]
    t2 = benchlib.now()
    ivf = faiss.index_factory(d, f"IVF{nlist},PQ{d // 2}x4fs", faiss.METRIC_L2)
    faiss.extract_index_ivf(ivf).quantizer.add(c)
    ivf.train(train)
    index = faiss.IndexRefineFlat(ivf)
    ps = faiss.ParameterSpace()
    ps.set_index_parameter(index, "nprobe", nprobe)
    ps.set_index_parameter(index, "k_factor_rf", k_factor)
    t3 = benchlib.now()
    for i in range(0, n, ADD_BATCH):
        index.add(x[i:i + ADD_BATCH])
    t4 = benchlib.now()
    faiss.write_index(index, out)
    t5 = benchlib.now()
    print(json.dumps({"rows": n, "nlist": nlist, "pq_train_rows": n_train, "pq_train_sha256": benchlib.sha256_rows(train),
                      "load_s": t1 - t0, "sample_s": t2 - t1, "train_s": t3 - t2, "add_s": t4 - t3,
                      "write_s": t5 - t4, "encode_s": t5 - t2}))


def sample_sha(store, n_train, seed):
    x = load(store)
    print(benchlib.sha256_rows(x[benchlib.rvcidx_sample_ids(x.shape[0], n_train, seed)]))


def search_params(index):
    rf = faiss.downcast_index(index)
    base = faiss.downcast_index(rf.base_index)
    return int(base.nprobe), float(rf.k_factor), type(base).__name__


def recall(store, nq, k, paths):
    x = load(store)
    rng = np.random.RandomState(4321)
    qids = np.sort(rng.choice(x.shape[0], nq, replace=False))
    q = x[qids]

    def drop_self(ids):
        out = np.empty((nq, k), dtype=np.int64)
        for i in range(nq):
            row = [v for v in ids[i] if v != qids[i]][:k]
            out[i] = row + [-1] * (k - len(row))
        return out

    flat = faiss.IndexFlatL2(x.shape[1])
    flat.add(x)
    truth = drop_self(flat.search(q, k + 1)[1])
    res = {}
    for p in paths:
        index = faiss.read_index(p)
        nprobe, kf, base = search_params(index)
        got = drop_self(index.search(q, k + 1)[1])
        res[p] = {"recall_k": benchlib.recall_k(got, truth), "recall_1": float(np.mean(got[:, 0] == truth[:, 0])),
                  "nprobe": nprobe, "k_factor": kf, "base": base, "ntotal": int(index.ntotal)}
    print(json.dumps(res))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    elif cmd == "sample-sha":
        sample_sha(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "recall":
        recall(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    else:
        sys.exit("usage: encode_peer.py run|sample-sha|recall ...")
