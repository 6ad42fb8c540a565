"""appcheck.py — what every app re-enactment checks, in numpy only (it runs
under each app's pinned numpy, 1.23.5 to 2.4.6, beside its faiss-cpu).

An app script loads the index the way its app does and hands back what the
app would use: the reconstructed vectors and the labels of its searches.
This module checks them against the inputs, computed independently of
rvcidx (prepare.py): reconstruct_n must equal the input frames in RVC's
order (within fp16's or sq8's rounding for those refines: APPCHECK_LOSSY),
no label may be -1 for another speaker's frames, and recall at the
app's k must meet the target. It prints one line and exits 1 on a failure.
"""
import argparse
import json
import os
import sys

import numpy as np


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("index")
    p.add_argument("case", help="folder written by prepare.py: expected.npy, queries.npy, truth.npy")
    p.add_argument("--target", type=float, default=0.95)
    p.add_argument("--k", type=int, default=8, help="only for checking the app's k against the case")
    return p.parse_args()


def load_case(case):
    return (np.load(f"{case}/expected.npy"), np.load(f"{case}/queries.npy"), np.load(f"{case}/truth.npy"))


def read_in_try(faiss, path, app):
    """Applio's and its ports' load: read_index + reconstruct_n in a try that
    prints the error and converts without the index (for us: a failure)."""
    try:
        index = faiss.read_index(path)
        return index, index.reconstruct_n(0, index.ntotal)
    except Exception as error:
        raise SystemExit("FAIL %s: An error occurred reading the FAISS index: %s" % (app, error))


def rvc_blend(score, ix, big_npy):
    """Every k=8 app's blend: weights 1/score^2 (score is faiss's squared L2), normalised."""
    weight = np.square(1 / score)
    weight /= weight.sum(axis=1, keepdims=True)
    blended = np.sum(big_npy[ix] * np.expand_dims(weight, axis=2), axis=1)
    if not np.isfinite(blended).all():
        raise SystemExit("FAIL: the 1/d^2 blend is not finite")
    return blended


def recall_at_k(labels, truth, k):
    hits = sum(len(set(labels[i, :k].tolist()) & set(truth[i, :k].tolist())) for i in range(len(labels)))
    return hits / (len(labels) * k)


def within_rounding(big_npy, expected, lossy, problems):
    """A lossy refine (APPCHECK_LOSSY=fp16|sq8) gives back each component
    within its rounding: fp16 keeps 11 significant bits; sq8 255 steps of
    each dimension's range over the rows it was trained on (here every row:
    the case has fewer than the 65,536 the PQ samples). Within it, the frames
    count as given back; the expected ones are returned for the exact check."""
    err = np.abs(big_npy.astype(np.float64) - expected)
    if lossy == "fp16":
        bound = np.abs(expected) * 2.0 ** -10 + 1e-6
    elif lossy == "sq8":
        bound = (expected.max(axis=0) - expected.min(axis=0)) / 255.0 * 1.01 + 1e-6
    else:
        raise SystemExit("APPCHECK_LOSSY=%r: not fp16 or sq8" % lossy)
    if not (err <= bound).all():
        problems.append("reconstruct_n(0, ntotal) is not within %s rounding of the input frames (max |diff| %g)"
                        % (lossy, float(err.max())))
        return big_npy
    return expected


def check(app, faiss, big_npy, expected, labels, truth, k, target, extra=None):
    """labels: [nq, k] as the app's searches returned them."""
    problems = []
    lossy = os.environ.get("APPCHECK_LOSSY", "")
    if lossy and big_npy.shape == expected.shape:
        big_npy = within_rounding(big_npy, expected, lossy, problems)
    if big_npy.shape != expected.shape or not np.array_equal(big_npy, expected):
        diff = "shape %s vs %s" % (big_npy.shape, expected.shape) if big_npy.shape != expected.shape else \
            "max |diff| %g" % float(np.abs(big_npy.astype(np.float64) - expected).max())
        problems.append("reconstruct_n(0, ntotal) differs from the input frames in RVC's order (%s)" % diff)
    empty = int((labels < 0).sum())
    if empty:
        problems.append("%d of %d labels are -1" % (empty, labels.size))
    recall = recall_at_k(labels, truth, k)
    if recall < target:
        problems.append("%d-recall@%d %.4f < target %.2f" % (k, k, recall, target))
    result = {"app": app, "faiss": faiss.__version__, "numpy": np.__version__, "k": k,
              "recall": round(recall, 4), "empty_labels": empty, "ok": not problems}
    if extra:
        result.update(extra)
    print(json.dumps(result, sort_keys=True))
    for p in problems:
        print("FAIL %s (faiss %s): %s" % (app, faiss.__version__, p))
    sys.exit(1 if problems else 0)
