"""benchlib.py — shared helpers for the Python peers of bench/*.sh.

Run with Debian's /usr/bin/python3 (python3-faiss 1.7.3, numpy, h5py, sklearn).
"""
import hashlib
import time

import numpy as np

M64 = (1 << 64) - 1


def _splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


class Xoshiro256ss:
    """rvcidx's src/base/rng.h (xoshiro256** seeded through splitmix64), bit for bit."""

    def __init__(self, seed, stream):
        x = (seed ^ ((stream * 0xD1342543DE82EF95) & M64)) & M64
        self.s = []
        for _ in range(4):
            x, v = _splitmix64(x)
            self.s.append(v)

    def next(self):
        s = self.s
        t = (s[1] << 17) & M64
        v = (s[1] * 5) & M64
        out = ((((v << 7) | (v >> 57)) & M64) * 9) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & M64
        return out

    def uniform(self):
        return (self.next() >> 11) * (2.0 ** -53)


def rvcidx_sample_ids(n, want, seed, stream=0x5A4D1E):
    """The rows rvcidx's sampler (src/index/sample.c, rvcidx__sample_rows) picks: seeded
    selection sampling, ascending. All rows when want >= n."""
    if want >= n:
        return np.arange(n, dtype=np.int64)
    rng = Xoshiro256ss(seed, stream)
    ids = np.empty(want, dtype=np.int64)
    wanted, left, taken = want, n, 0
    for i in range(n):
        if not wanted:
            break
        if rng.uniform() * left < wanted:
            ids[taken] = i
            taken += 1
            wanted -= 1
        left -= 1
    return ids[:taken]


def sha256_rows(x):
    return hashlib.sha256(np.ascontiguousarray(x, dtype=np.float32).tobytes()).hexdigest()


def now():
    return time.perf_counter()


def mean_sq_dist_to_nearest(faiss, x, centroids):
    """Mean squared L2 distance of the rows of x to their nearest centroid (exact)."""
    flat = faiss.IndexFlatL2(centroids.shape[1])
    flat.add(np.ascontiguousarray(centroids, dtype=np.float32))
    total = 0.0
    for i in range(0, x.shape[0], 65536):
        d, _ = flat.search(x[i:i + 65536], 1)
        total += float(d.astype(np.float64).sum())
    return total / x.shape[0]


FLT_MAX = float(np.finfo(np.float32).max)


def rvc_blend(queries, vectors, ids):
    """RVC's blend (infer/modules/vc/pipeline.py): weight = (1/score)^2 normalised,
    npy = sum(big_npy[ix] * weight). ids of -1 index big_npy[-1], as numpy does,
    with faiss's FLT_MAX score (so they weigh nothing unless every slot is empty).
    Scores are recomputed exactly in float64, as rvcidx's eval does (src/eval/eval.c)."""
    v = vectors[ids].astype(np.float64)  # [q, k, d]; id -1 -> the last vector
    diff = v - queries[:, None, :].astype(np.float64)
    score = np.einsum("qkd,qkd->qk", diff, diff)
    score[ids < 0] = FLT_MAX
    w = 1.0 / np.maximum(score * score, 1e-24)
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("qk,qkd->qd", w, v)


def blend_errors(queries, vec_got, ids_got, vec_true, ids_true, chunk=1000):
    """Per query ||blend(got) - blend(exact)|| / ||blend(exact)|| (rvcidx's definition)."""
    out = np.empty(queries.shape[0])
    for i in range(0, queries.shape[0], chunk):
        sl = slice(i, i + chunk)
        bg = rvc_blend(queries[sl], vec_got, ids_got[sl])
        bt = rvc_blend(queries[sl], vec_true, ids_true[sl])
        out[sl] = np.linalg.norm(bg - bt, axis=1) / np.maximum(np.linalg.norm(bt, axis=1), 1e-300)
    return out


def recall_k(ids_got, ids_true):
    """k-recall@k: share of the exact k ids found among the k returned (-1 never counts)."""
    k = ids_true.shape[1]
    hits = 0
    for g, t in zip(ids_got, ids_true):
        hits += len(set(g[g >= 0].tolist()) & set(t.tolist()))
    return hits / (ids_true.shape[0] * k)


def timed_search_qps(index, queries, k, min_runs=2, min_total=0.1, with_ids=False):
    """Queries/s of the fastest of repeated searches (at least min_runs, at least
    min_total seconds in all), as rvcidx eval times its settings; with_ids: also
    the ids of the first search."""
    best, total, runs, ids = None, 0.0, 0, None
    while runs < min_runs or total < min_total:
        t0 = now()
        _, found = index.search(queries, k)
        dt = now() - t0
        if ids is None:
            ids = found
        total += dt
        runs += 1
        best = dt if best is None else min(best, dt)
    qps = queries.shape[0] / best
    return (qps, ids) if with_ids else qps
