#!/usr/bin/env python3
"""bench/voice_stats.py — how voice-like a set of frames is, in the measures
that decide how an IVF-PQ index behaves on it.

    python3 bench/voice_stats.py FRAMES.npy [MORE.npy ...]   # one column each, in a table

Every measure is taken on n frames in their order (a clip, or a demo
speaker's clips one after the other); n is the first file's frame count
(the 1,743 ContentVec frames of ultimate-rvc's reference clip) unless
--frames says otherwise. The neighbour measures query the last 20% of the
frames against the first 80%, as an index is built on some frames and
searched with others; the others take every frame.

  lid         local intrinsic dimension: per query, the maximum-likelihood
              estimate (Levina and Bickel) from its 20 nearest base frames;
              the median over queries
  pr          PCA participation ratio, (sum l)^2 / sum l^2
  inertia     k-means with 64 centres (faiss, 25 iterations, seed 1234):
              its inertia over the total variance
  var_ratio   per-dimension variance, max over min
  contrast    relative contrast: per query, mean distance to the base over
              nearest distance; the median over queries
  norm_cv     frame norms, standard deviation over mean
  smooth      frame-to-frame step over the distance between random frames:
              mean |x[t+1] - x[t]| / mean |x[i] - x[j]| (0 still, 1 unrelated)
  lid_5fold, contrast_5fold
              lid and contrast with each fifth of the frames queried against
              the rest in turn, averaged: on one clip the single split is
              noisy (the real frames' lid is 14.4, 12.5, 10.9, 17.2 and 17.3
              over the five, the last being the split above)
"""
import argparse
import sys

import numpy as np

MEASURES = ("lid", "pr", "inertia", "var_ratio", "contrast", "norm_cv", "smooth", "lid_5fold", "contrast_5fold")
K_LID = 20


def _sq_dists(q, b):
    d = (q * q).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * q @ b.T
    return np.maximum(d, 0.0)


def _kmeans_inertia(x, k, seed=1234):
    import faiss
    km = faiss.Kmeans(x.shape[1], k, niter=25, seed=seed, verbose=False, min_points_per_centroid=1)
    km.train(np.ascontiguousarray(x, dtype=np.float32))
    dist, _ = km.index.search(np.ascontiguousarray(x, dtype=np.float32), 1)
    return float(dist.sum())


def _neighbour_measures(queries, base):
    """Median local intrinsic dimension and relative contrast of queries against base."""
    d = np.sqrt(_sq_dists(queries, base))
    nearest = np.maximum(np.sort(d, axis=1)[:, :K_LID], 1e-12)
    lid = np.median(1.0 / np.log(nearest[:, -1:] / nearest[:, :-1]).mean(1))
    contrast = np.median(d.mean(1) / np.maximum(d.min(1), 1e-12))
    return float(lid), float(contrast)


def stats(frames):
    """The measures of frames (n x D, in time order), as a dict."""
    x = np.asarray(frames, dtype=np.float64)
    n = x.shape[0]
    lid, contrast = _neighbour_measures(x[int(round(n * 0.8)):], x[:int(round(n * 0.8))])
    folds = []
    for k in range(5):
        lo, hi = n * k // 5, n * (k + 1) // 5
        folds.append(_neighbour_measures(x[lo:hi], np.concatenate([x[:lo], x[hi:]])))
    centred = x - x.mean(0)
    var = centred.var(0)
    eig = np.maximum(np.linalg.eigvalsh(centred.T @ centred / n), 0.0)
    total = float((centred * centred).sum())
    rng = np.random.default_rng(1234)
    i, j = rng.integers(0, n, 4 * n), rng.integers(0, n, 4 * n)
    keep = i != j
    norms = np.linalg.norm(x, axis=1)
    return {
        "lid": lid,
        "pr": float(eig.sum() ** 2 / (eig * eig).sum()),
        "inertia": _kmeans_inertia(x, 64) / total,
        "var_ratio": float(var.max() / max(var.min(), 1e-30)),
        "contrast": contrast,
        "norm_cv": float(norms.std() / norms.mean()),
        "smooth": float(np.linalg.norm(np.diff(x, axis=0), axis=1).mean() /
                        np.linalg.norm(x[i[keep]] - x[j[keep]], axis=1).mean()),
        "lid_5fold": float(np.mean([f[0] for f in folds])),
        "contrast_5fold": float(np.mean([f[1] for f in folds])),
    }


def load_frames(path, n):
    """The first n frames of an .npy file, or of a demo speaker's folder of
    them in file order (clip, then slice: `C_S.npy`)."""
    import os
    import re
    if os.path.isdir(path):
        def key(name):
            m = re.match(r"(\d+)_(\d+)\.npy$", name)
            return (int(m.group(1)), int(m.group(2))) if m else (1 << 30, 0)
        parts, have = [], 0
        for name in sorted((f for f in os.listdir(path) if f.endswith(".npy")), key=key):
            a = np.load(os.path.join(path, name))
            parts.append(a)
            have += len(a)
            if n and have >= n:
                break
        x = np.concatenate(parts)
    else:
        x = np.load(path)
    return x[:n] if n else x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help=".npy files or folders of a demo speaker's .npy files")
    ap.add_argument("--frames", type=int, default=0, help="frames taken from each (default: the first's count)")
    a = ap.parse_args(argv)
    n = a.frames or len(load_frames(a.paths[0], 0))
    cols = [stats(load_frames(p, n)) for p in a.paths]
    print("| measure | " + " | ".join(a.paths) + " |")
    print("| --- |" + " ---: |" * len(cols))
    for m in MEASURES:
        print("| %s | " % m + " | ".join("%.3g" % c[m] for c in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
