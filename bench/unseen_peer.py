"""unseen_peer.py — the Python side of bench/unseen.sh (run with /usr/bin/python3).

  eval INDEX UNSEEN.h5 TIMINGS.json OUT.json

Reads INDEX with Debian's python3-faiss 1.7.3 as the apps read it, and
searches it (k=8) with every frame of each speaker in UNSEEN.h5 (voices no
build saw, `rvcidx ingest` of `rvcidx demo --first 90` speakers) at two
settings read from the build's TIMINGS.json (report.json with the speeds):

  bound   the chosen setting (stored in the file): the cheapest whose lower
          confidence bound over the held-out speakers reaches the target
  mean    the cheapest setting of the same sweep whose mean recall reaches
          it (what a choice by the point estimate ships)

and compares with exact search over the index's own vectors
(reconstruct_n). Writes per setting: nprobe, k_factor, each unseen
speaker's 8-recall@8, how many reach the target, and the search time per
16-frame block on 1 thread from the sweep's own measurement (16 / queries
per second on one thread, on the tuning index).
"""
import json
import sys

import h5py
import numpy as np

import faiss

import benchlib

K = 8


def speakers(path):
    with h5py.File(path, "r") as f:
        feats = f["features"]
        for name, first, rows in zip(f["speakers/name"], f["speakers/first_row"], f["speakers/rows"]):
            name = name.decode() if isinstance(name, bytes) else name
            yield name, np.ascontiguousarray(feats[int(first):int(first) + int(rows)], dtype=np.float32)


def mean_choice(report):
    """The cheapest measured setting reaching the target on the mean, as the sweep prices them."""
    ok = [p for p in report["settings"] if p["recall_k"] >= report["target_recall_k"] and p["empty_share"] == 0]
    return min(ok, key=lambda p: p["cost_estimate"]) if ok else None


def set_params(index, nprobe, k_factor):
    """nprobe on the IVF index (inside the refine wrapper, which 1.7.3's extract_index_ivf does not open)."""
    top = faiss.downcast_index(index)
    if k_factor:
        top.k_factor = k_factor
        top = faiss.downcast_index(top.base_index)
    faiss.extract_index_ivf(top).nprobe = nprobe


def evaluate(index_path, unseen, report_path, out):
    report = json.load(open(report_path))
    index = faiss.read_index(index_path)
    xb = index.reconstruct_n(0, index.ntotal)
    flat = faiss.IndexFlatL2(xb.shape[1])
    flat.add(xb)
    del xb
    voices = list(speakers(unseen))
    truth = {name: flat.search(q, K)[1] for name, q in voices}
    del flat
    target = report["target_recall_k"]
    bound = report.get("recall_bound", {"groups": [], "no_margin": False})  # absent before the bound existed
    res = {"target": target, "ntotal": int(index.ntotal), "nlist": report["nlist"],
           "held_out": [g.get("speaker", "") for g in bound["groups"]],
           "no_margin": bound["no_margin"], "faiss": faiss.__version__}
    for rule, point in (("bound", report["chosen_setting"]), ("mean", mean_choice(report))):
        if point is None:
            res[rule] = None
            continue
        set_params(index, point["nprobe"], point["k_factor"])
        recalls = {name: benchlib.recall_k(index.search(q, K)[1], truth[name]) for name, q in voices}
        qps = point.get("qps_1_thread", 0)
        res[rule] = {"nprobe": point["nprobe"], "k_factor": point["k_factor"], "tuning_recall": point["recall_k"],
                     "tuning_bound": point.get("recall_k_bound"), "unseen": recalls,
                     "unseen_meeting": sum(r >= target for r in recalls.values()),
                     "block_ms_from_qps": 16e3 / qps if qps else None}
    with open(out, "w") as fp:
        json.dump(res, fp, indent=1)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "eval":
        evaluate(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)
