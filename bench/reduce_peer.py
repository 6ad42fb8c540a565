"""reduce_peer.py — the Python side of bench/reduce.sh (run with /usr/bin/python3).

  reduce_peer.py TREE STORE QUERIES SEED BUDGET... > table

Keeps BUDGET of the N input vectors of STORE (TREE's .npy files, speakers in
sorted order, RVC's concatenation order) by each method below, searches the kept
set EXACTLY (IndexFlatL2, k=8: the reduction's own error, not an index's) with
every row of QUERIES (another speaker's frames), and compares with exact search
over ALL input vectors: RVC blend error (benchlib.blend_errors, rvcidx's
definition: ||blend(got) - blend(all)|| / ||blend(all)||, mean and p95),
8-recall@8 by input-row identity (methods that keep real frames only), empty
slots, and the method's time (1 process, all of the machine's threads).
Methods:
  rvc-mbkm     RVC's recipe: np.random.seed(SEED) shuffle, then the centres of
               MiniBatchKMeans(n_clusters=BUDGET, batch_size=256*cpu_count,
               compute_labels=False, init="random", random_state=SEED)
  faiss-km     faiss.Kmeans(D, BUDGET, niter=10, seed=SEED) centres; not run
               when N x BUDGET is above 6e8 (hours at 1M x 100,000 on 2 cores)
  km2          two-level k-means, as rvcidx's kmeans reduction runs above that
               bound (src/pipeline/reduce_kmeans.c): ceil(sqrt(BUDGET)) groups
               by faiss.Kmeans, every vector to its nearest group, then each
               group's vectors into its share of BUDGET (by its share of the
               vectors, largest remainder), all seeded, niter 10
  km-snap      faiss-km's centres each replaced by its nearest input frame
               (duplicates dropped, so kept <= BUDGET)
  random       uniform random subsample (rvcidx's seeded sampler)
  stratified   per-speaker subsample, BUDGET split by speaker share
  dedup        near-duplicate removal: rounds of approximate nearest neighbour
               (IVF256,Flat nprobe 16) over the kept frames, dropping one frame
               of each closest pair (closest first, at most half per round)
               until BUDGET remain
  hubs         query-aware (a probe, not in rvcidx): every input frame scored
               by how often it is among the k=8 exact nearest neighbours of
               probe frames of the OTHER input speakers (each speaker probes
               the rest with RVCIDX_BENCH_HUB_PROBES of its frames, default
               as rvcidx: 2.5e9 / N within [1000, 10000], past 4 speakers
               at most 1e10 / (N x speakers) but at least 100; rvcidx's
               seeded sampler); the BUDGET most-hit frames
               are kept, ties and frames never hit in a seeded random order.
               Never sees the held-out queries. Its time includes the
               scoring (done once, for the first budget)
  rvcidx-build the vectors of the index `rvcidx build --max-vectors BUDGET`
               wrote (reduce.sh with RVCIDX_BENCH_BUILD=1 passes them in
               RVCIDX_BENCH_INDEXES as BUDGET:PATH:WALL_S), read back with
               reconstruct_n as the apps do; time is the whole build's
BUDGET 0 means all vectors (no reduction: the reference row).
RVCIDX_BENCH_METHODS (space-separated names) runs only those; rvc-mbkm, the
ratio columns' reference, always runs, and only at budget 10,000 when the
input is above 200,000 vectors (RVC's recipe keeps exactly that many: at other
budgets it is still the 10,000-centre reference)."""
import os
import sys
import time
import warnings

import h5py
import numpy as np

import faiss
import benchlib

K = 8


def speakers(tree):
    out = []
    for spk in sorted(os.listdir(tree)):
        feat = os.path.join(tree, spk, "3_feature768")
        if os.path.isdir(feat):
            out.append(sum(np.load(os.path.join(feat, n), mmap_mode="r").shape[0]
                           for n in sorted(os.listdir(feat)) if n.endswith(".npy")))
    return out


def rvc_mbkm(x, b, seed):
    from sklearn.cluster import MiniBatchKMeans
    np.random.seed(seed)
    idx = np.arange(x.shape[0])
    np.random.shuffle(idx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        c = MiniBatchKMeans(n_clusters=b, batch_size=256 * os.cpu_count(), compute_labels=False,
                            init="random", random_state=seed).fit(x[idx]).cluster_centers_
    return np.ascontiguousarray(c, dtype=np.float32), None


def faiss_km(x, b, seed):
    km = faiss.Kmeans(x.shape[1], b, niter=10, seed=seed)
    km.train(x)
    return km.centroids.copy(), None


FLAT_WORK = 6.0e8  # n x B above which rvcidx's kmeans reduction runs in two levels


def kmeans(x, k, seed):
    km = faiss.Kmeans(x.shape[1], k, niter=10, seed=seed, min_points_per_centroid=1,
                      max_points_per_centroid=x.shape[0] // k + 1)  # no resampling, as rvcidx__kmeans
    km.train(x)
    return km.centroids.copy()


def km2(x, b, seed):
    n = x.shape[0]
    g = int(np.ceil(np.sqrt(b)))
    top = kmeans(x, g, seed)
    flat = faiss.IndexFlatL2(x.shape[1])
    flat.add(top)
    labels = flat.search(x, 1)[1][:, 0]
    count = np.bincount(labels, minlength=g)
    share = [b * int(c) // n for c in count]
    rem = [b * int(c) % n for c in count]
    while sum(share) < b:  # largest remainder first, earlier groups on ties, none above its rows
        best = max((i for i in range(g) if share[i] < count[i]), key=lambda i: (rem[i], -i))
        share[best] += 1
        rem[best] = -1
    out = []
    for gi in range(g):
        if share[gi] == 0:
            continue
        rows = x[labels == gi]
        out.append(rows if share[gi] == rows.shape[0] else kmeans(rows, share[gi], seed))
    return np.ascontiguousarray(np.concatenate(out), dtype=np.float32), None


def snap(x, centres):
    flat = faiss.IndexFlatL2(x.shape[1])
    flat.add(x)
    _, ids = flat.search(centres, 1)
    rows = np.unique(ids[:, 0])
    return x[rows], rows


def random_sub(x, b, seed):
    rows = benchlib.rvcidx_sample_ids(x.shape[0], b, seed)
    return x[rows], rows


def stratified(x, b, seed, counts):
    rows, first, n = [], 0, x.shape[0]
    want = [b * c // n for c in counts]
    for i in np.argsort([-(b * c % n) for c in counts])[:b - sum(want)]:
        want[i] += 1
    for s, c in enumerate(counts):
        rows.append(first + benchlib.rvcidx_sample_ids(c, want[s], seed + s))
        first += c
    rows = np.concatenate(rows)
    return x[rows], rows


def dedup(x, b, seed):
    keep = np.arange(x.shape[0])
    while keep.size > b:
        sub = x[keep]
        q = faiss.IndexFlatL2(x.shape[1])
        ivf = faiss.IndexIVFFlat(q, x.shape[1], min(256, max(1, keep.size // 64)))
        ivf.cp.seed = seed
        ivf.train(sub)
        ivf.add(sub)
        ivf.nprobe = 16
        d, ids = ivf.search(sub, 2)
        nn = np.where(ids[:, 0] == np.arange(keep.size), ids[:, 1], ids[:, 0])
        dd = np.where(ids[:, 0] == np.arange(keep.size), d[:, 1], d[:, 0])
        drop = np.zeros(keep.size, bool)
        gone = 0
        limit = min(keep.size - b, keep.size // 2)
        for i in np.argsort(dd, kind="stable"):
            if gone >= limit:
                break
            j = nn[i]
            if j < 0 or drop[i] or drop[j]:
                continue
            drop[i] = True  # one of the pair; its partner stays
            gone += 1
        keep = keep[~drop]
    return x[keep], keep


def built_index(path, x, where):
    idx = faiss.read_index(path)
    v = idx.reconstruct_n(0, idx.ntotal)
    rows = np.array([where.get(hash(r.tobytes()), -1) for r in v])
    real = rows >= 0
    real[real] = [np.array_equal(x[i], r) for i, r in zip(rows[real], v[real])]
    return v, (rows if real.all() else None)  # real frames: recall by identity; centres: n/a


def hub_hits(x, counts, seed, probes):
    first = np.cumsum([0] + counts)
    hits = np.zeros(x.shape[0], np.int64)
    for s in range(len(counts)):
        others = np.concatenate([np.arange(first[o], first[o + 1]) for o in range(len(counts)) if o != s])
        idx = faiss.IndexFlatL2(x.shape[1])
        idx.add(x[others])
        probe = x[first[s] + benchlib.rvcidx_sample_ids(counts[s], min(probes, counts[s]), seed + s)]
        ids = idx.search(probe, K)[1]
        np.add.at(hits, others[ids[ids >= 0]], 1)
        del idx
    return hits


def hubs(x, b, seed, counts, memo):
    assert len(counts) >= 2, "hubs needs at least two speakers to probe with"
    if "hits" not in memo:
        n = x.shape[0]  # as rvcidx (src/pipeline/reduce.h)
        probes = int(min(min(10000, max(1000, 2.5e9 / n)), max(100, 1e10 / (n * len(counts)))))
        memo["hits"] = hub_hits(x, counts, seed, int(os.environ.get("RVCIDX_BENCH_HUB_PROBES", probes)))
        print("hubs: %d probes per speaker; %d of %d input frames hit at least once"
              % (min(probes, min(counts)), (memo["hits"] > 0).sum(), x.shape[0]))
    order = np.lexsort((np.random.default_rng(seed).random(x.shape[0]), -memo["hits"]))
    rows = np.sort(order[:b])
    return x[rows], rows


def main():
    tree, store, queries, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    budgets = [int(v) for v in sys.argv[5:]]
    with h5py.File(store, "r") as f:
        x = np.ascontiguousarray(f["features"][:], dtype=np.float32)
    with h5py.File(queries, "r") as f:
        q = np.ascontiguousarray(f["features"][:], dtype=np.float32)
    counts = speakers(tree)
    assert sum(counts) == x.shape[0], (counts, x.shape)
    flat = faiss.IndexFlatL2(x.shape[1])
    flat.add(x)
    truth = flat.search(q, K)[1]
    del flat
    print("N=%d input vectors (%s per speaker), %d queries from a held-out speaker, D=%d, k=%d, seed %d, %d threads"
          % (x.shape[0], "/".join(map(str, counts)), q.shape[0], x.shape[1], K, seed, faiss.omp_get_max_threads()))
    print()
    methods = [
        ("rvc-mbkm", lambda b: rvc_mbkm(x, b, seed)),
        ("faiss-km", lambda b: faiss_km(x, b, seed)),
        ("km-snap", None),
        ("km2", lambda b: km2(x, b, seed)),
        ("random", lambda b: random_sub(x, b, seed)),
        ("stratified", lambda b: stratified(x, b, seed, counts)),
        ("dedup", lambda b: dedup(x, b, seed)),
        ("hubs", lambda b: hubs(x, b, seed, counts, hub_memo)),
    ]
    hub_memo = {}
    chosen = os.environ.get("RVCIDX_BENCH_METHODS", "").split()
    if chosen:
        methods = [m for m in methods if m[0] in chosen or m[0] == "rvc-mbkm" or
                   (m[0] == "km-snap" and "faiss-km" in chosen)]
    built = {int(b): (p, float(w)) for b, p, w in
             (e.split(":") for e in os.environ.get("RVCIDX_BENCH_INDEXES", "").split())}
    where = {hash(r.tobytes()): i for i, r in enumerate(x)} if built else {}
    rvc_memo = {}
    hdr = "| budget | method | kept | blend err mean | p95 | mean / RVC's | p95 / RVC's | 8-recall@8 | empty | time (s) |"
    for b in budgets:
        rows = []
        if b == 0 or b >= x.shape[0]:
            meths = [("all", lambda b: (x, np.arange(x.shape[0])))]
        else:
            meths = [m for m in methods if not (m[0] in ("faiss-km", "km-snap") and x.shape[0] * b > FLAT_WORK)]
            if b in built:
                meths.append(("rvcidx-build", lambda b: built_index(built[b][0], x, where)))
        km_centres, km_time = None, 0.0
        for name, fn in meths:
            t0 = time.perf_counter()
            if name == "km-snap":
                v, r = snap(x, km_centres)
                dt = time.perf_counter() - t0 + km_time
            elif name == "rvc-mbkm" and x.shape[0] > 200000:  # RVC keeps 10,000 centres whatever the budget
                if "c" not in rvc_memo:
                    rvc_memo["c"] = fn(10000)[0], time.perf_counter() - t0
                (v, r), dt = (rvc_memo["c"][0], None), rvc_memo["c"][1]
            else:
                v, r = fn(b)
                dt = built[b][1] if name == "rvcidx-build" else time.perf_counter() - t0
            if name == "faiss-km":
                km_centres, km_time = v, dt
            v = np.ascontiguousarray(v, dtype=np.float32)
            idx = faiss.IndexFlatL2(x.shape[1])
            idx.add(v)
            ids = idx.search(q, K)[1]
            err = np.sort(benchlib.blend_errors(q, v, ids, x, truth))
            if r is not None:
                got = np.where(ids >= 0, r[np.maximum(ids, 0)], -1)
                rec = "%.4f" % benchlib.recall_k(got, truth)
            else:
                rec = "n/a"
            rows.append((name, v.shape[0], err.mean(), err[int(0.95 * (len(err) - 1))], rec, float(np.mean(ids < 0)), dt))
            sys.stdout.flush()
        ref = rows[0]
        print(hdr)
        print("|" + "---|" * 10)
        for name, kept, m, p, rec, e, dt in rows:
            print("| %s | %s | %d | %.5f | %.5f | %.3f | %.3f | %s | %.4f | %.1f |"
                  % (b if b else "all", name, kept, m, p, m / max(ref[2], 1e-300), p / max(ref[3], 1e-300), rec, e, dt))
        print()


if __name__ == "__main__":
    main()
