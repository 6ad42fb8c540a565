"""prepare.py — the expected side of the app tests, computed without rvcidx.

Reads the .npy shards as RVC's train_index does (speakers, then files, in
byte order of their names: Python's sorted(os.listdir())), concatenates them:
expected.npy, what reconstruct_n(0, ntotal) must give. Samples another
speaker's frames as queries (RVC converts another voice) and finds their
exact neighbours over every indexed frame in float64: truth.npy.

Usage: prepare.py DATASET_DIR VOICE_DIR OUT_DIR [--queries N] [--k K]
"""
import os
import sys

import numpy as np


def rvc_order(root):
    frames = []
    for speaker in sorted(os.listdir(root)):
        feat = os.path.join(root, speaker, "3_feature768")
        for name in sorted(os.listdir(feat)):
            if name.endswith(".npy"):
                frames.append(np.load(os.path.join(feat, name)))
    return np.concatenate(frames).astype(np.float32)


def exact_knn(base, queries, k):
    b = base.astype(np.float64)
    out = np.empty((len(queries), k), dtype=np.int64)
    bn = (b * b).sum(1)
    for s in range(0, len(queries), 256):
        q = queries[s:s + 256].astype(np.float64)
        d = bn[None, :] - 2 * q @ b.T + (q * q).sum(1)[:, None]
        top = np.argpartition(d, k, axis=1)[:, :k]
        order = np.take_along_axis(d, top, 1).argsort(1)
        out[s:s + 256] = np.take_along_axis(top, order, 1)
    return out


def main():
    data, voice, out = sys.argv[1:4]
    nq = int(sys.argv[sys.argv.index("--queries") + 1]) if "--queries" in sys.argv else 1000
    k = int(sys.argv[sys.argv.index("--k") + 1]) if "--k" in sys.argv else 8
    os.makedirs(out, exist_ok=True)
    expected = rvc_order(data)
    other = rvc_order(voice)
    queries = other[np.linspace(0, len(other) - 1, nq).astype(np.int64)]
    np.save(os.path.join(out, "expected.npy"), expected)
    np.save(os.path.join(out, "queries.npy"), queries)
    np.save(os.path.join(out, "truth.npy"), exact_knn(expected, queries, k))
    print("prepare: %d indexed frames, %d queries from another voice" % (len(expected), nq))


if __name__ == "__main__":
    main()
