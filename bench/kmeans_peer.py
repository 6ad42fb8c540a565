"""kmeans_peer.py — the Python side of bench/kmeans.sh (run with /usr/bin/python3).

  run STORE NLIST NITER SEED OUT.npy   k-means of ALL rows of STORE with
      faiss.Kmeans (Debian's python3-faiss 1.7.3), timing only km.train;
      prints one JSON line {"load_s", "kmeans_s", "rows"} and saves the centroids.
  quality STORE C1.npy|C1.h5 ...       mean squared L2 distance of every row to its
      nearest centroid, for each centroid set, and the largest absolute
      difference of each set's centroids to the first set's (one JSON line).
"""
import json
import sys

import h5py
import numpy as np

import faiss

import benchlib


def load(store):
    with h5py.File(store, "r") as f:
        return f["features"][:]


def load_centroids(path):
    if path.endswith(".h5"):
        with h5py.File(path, "r") as f:
            return f["centroids"][:]
    return np.load(path)


def run(store, nlist, niter, seed, out):
    t0 = benchlib.now()
    x = load(store)
    t1 = benchlib.now()
    n, d = x.shape
    # max_points_per_centroid = n: the whole store is the sample, as rvcidx's --train-rows N.
    km = faiss.Kmeans(d, nlist, niter=niter, seed=seed, max_points_per_centroid=n)
    t2 = benchlib.now()
    km.train(x)
    t3 = benchlib.now()
    np.save(out, km.centroids)
    print(json.dumps({"rows": n, "load_s": t1 - t0, "kmeans_s": t3 - t2}))


def quality(store, paths):
    x = load(store)
    cs = [load_centroids(p) for p in paths]
    res = {p: benchlib.mean_sq_dist_to_nearest(faiss, x, c) for p, c in zip(paths, cs)}
    res["max_abs_diff_to_first"] = {p: float(np.abs(c - cs[0]).max()) for p, c in zip(paths, cs)}
    print(json.dumps(res))


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif sys.argv[1] == "quality":
        quality(sys.argv[2], sys.argv[3:])
    else:
        sys.exit("usage: kmeans_peer.py run|quality ...")
