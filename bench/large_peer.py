"""large_peer.py — the Python side of bench/large.sh (run with /usr/bin/python3).

  eval STORE QUERIES OUT.json INDEX [SPEAKER]
      Searches INDEX (read with Debian's python3-faiss 1.7.3, as the apps read
      it: read_index, big = reconstruct_n(0, ntotal), search k=8 at the stored
      setting) with every row of QUERIES (frames of a speaker no build saw),
      and compares with exact search (IndexFlatL2) over the store's rows: all
      of them, or SPEAKER's row range when given (a per-speaker index). The
      exact search streams the store in blocks and keeps each query's best 8,
      so memory is one block plus the index, whatever the store's size.
      Writes 8-recall@8 against exact search over the index's own vectors
      (the rows themselves for an unbudgeted index, whose vectors are then
      read from the store instead of reconstruct_n: at 5M x 768 an app could
      not hold both), the RVC blend error against the exact blend over the
      rows (mean, p95), empty slots, and the seconds each part took.
"""
import json
import sys

import h5py
import numpy as np

import faiss

import benchlib

K = 8
BLOCK = 262144


def exact_topk(x_blocks, q):
    """Best K (distance, global row) of each query over the blocks, exactly."""
    best_d = np.full((q.shape[0], K), np.inf, dtype=np.float32)
    best_i = np.full((q.shape[0], K), -1, dtype=np.int64)
    for base, x in x_blocks:
        flat = faiss.IndexFlatL2(x.shape[1])
        flat.add(x)
        d, i = flat.search(q, K)
        i = np.where(i >= 0, i + base, -1)
        cd = np.concatenate([best_d, d], 1)
        ci = np.concatenate([best_i, i], 1)
        order = np.argsort(cd, axis=1, kind="stable")[:, :K]
        best_d = np.take_along_axis(cd, order, 1)
        best_i = np.take_along_axis(ci, order, 1)
    return best_d, best_i


def store_blocks(feats, first, rows):
    for at in range(0, rows, BLOCK):
        m = min(BLOCK, rows - at)
        yield at, np.ascontiguousarray(feats[first + at:first + at + m], dtype=np.float32)


def speaker_range(f, name):
    for n, first, rows in zip(f["speakers/name"], f["speakers/first_row"], f["speakers/rows"]):
        n = n.decode() if isinstance(n, bytes) else n
        if n == name:
            return int(first), int(rows)
    raise SystemExit(f"large_peer.py: no speaker {name} in the store")


def rows_of(feats, first, ids):
    """The rows ids (>= 0) name, relative to first, as a compact array and ids into it (-1 kept)."""
    keys = np.unique(ids[ids >= 0])
    vec = np.stack([np.asarray(feats[first + int(r)], dtype=np.float32) for r in keys])
    return vec, np.where(ids >= 0, np.searchsorted(keys, ids), -1)


def evaluate(store, queries, out, index_path, speaker=None):
    res = {}
    with h5py.File(queries, "r") as f:
        q = np.ascontiguousarray(f["features"][:], dtype=np.float32)
    with h5py.File(store, "r") as f:
        feats = f["features"]
        first, rows = speaker_range(f, speaker) if speaker else (0, feats.shape[0])
        t = benchlib.now()
        _, truth = exact_topk(store_blocks(feats, first, rows), q)
        tv, tid = rows_of(feats, first, truth)
        res["exact_s"] = benchlib.now() - t
        t = benchlib.now()
        index = faiss.read_index(index_path)
        res["load_s"] = benchlib.now() - t
        t = benchlib.now()
        _, got = index.search(q, K)
        res["search_s"] = benchlib.now() - t
        if index.ntotal == rows:  # every row indexed: its vectors are the store's rows, its own exact k-NN the truth
            gv, gid = rows_of(feats, first, got)
            own = truth
        else:  # a budget: the kept vectors as the apps get them
            big = index.reconstruct_n(0, index.ntotal)
            flat = faiss.IndexFlatL2(big.shape[1])
            flat.add(big)
            _, own = flat.search(q, K)
            del flat
            gv, gid = big, got
    err = benchlib.blend_errors(q, gv, gid, tv, tid)
    res.update({"queries": int(q.shape[0]), "rows": rows, "ntotal": int(index.ntotal),
                "recall_8_8": benchlib.recall_k(got, own),
                "blend_error_mean": float(err.mean()), "blend_error_p95": float(np.percentile(err, 95)),
                "empty_slots": int((got < 0).sum()), "faiss": faiss.__version__})
    with open(out, "w") as fp:
        json.dump(res, fp, indent=1)


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "eval":
        evaluate(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] if len(sys.argv) > 6 else None)
    else:
        raise SystemExit(__doc__)
