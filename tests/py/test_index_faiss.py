"""The index rvcidx writes, loaded by Debian's Python faiss 1.7.3 (the version
RVC pins) and used exactly as RVC's inference uses it:
faiss.read_index, reconstruct_n(0, ntotal), search(x, k=8). Also: the stored
nprobe/k_factor are the requested ones, the bytes do not depend on the thread
count, RVC's IVF-Flat type works, and cosine stores normalised vectors."""
import os
import subprocess

import faiss
import h5py
import numpy as np

assert faiss.__version__ == "1.7.3", faiss.__version__
rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_index")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
passed = 0


def run(*args):
    subprocess.run([rvcidx, *args, "--quiet"], check=True)


def path(name):
    return os.path.join(tmp, name)


run("demo", "-o", path("data"), "--speakers", "2", "--minutes", "1")
run("ingest", "-o", path("store.h5"), path("data"))
x = h5py.File(path("store.h5"), "r")["features"][:]
assert x.shape == (6000, 768), x.shape

# --- RVC's calls on the default index type -------------------------------
run("train", "-o", path("c1.h5"), path("store.h5"), "--threads", "1")
run("encode", "-o", path("a.index"), "--centroids", path("c1.h5"), path("store.h5"),
    "--threads", "1", "--nprobe", "12", "--k-factor", "6")
index = faiss.read_index(path("a.index"))
assert isinstance(index, faiss.IndexRefineFlat), type(index)
assert index.ntotal == len(x) and index.d == 768
big = index.reconstruct_n(0, index.ntotal)
assert np.array_equal(big, x), "reconstruct_n must return the store's rows in order"
queries = x[::50]
score, ix = index.search(queries, k=8)
assert (ix >= 0).all(), "no empty result slots"
assert (ix[:, 0] == np.arange(0, len(x), 50)).mean() > 0.99, "a stored vector finds itself"
ivf = faiss.downcast_index(index.base_index)
assert ivf.nlist == 153 and ivf.nprobe == 12, (ivf.nlist, ivf.nprobe)  # min(2*sqrt(6000), 6000 // 39)
assert index.k_factor == 6.0, index.k_factor
assert isinstance(ivf, faiss.IndexIVFPQFastScan), type(ivf)
assert ivf.pq.M == 384 and ivf.pq.nbits == 4
passed += 1

# --- the same bytes with 1 or 2 threads (train and encode) --------------
run("train", "-o", path("c2.h5"), path("store.h5"), "--threads", "2")
assert open(path("c1.h5"), "rb").read() == open(path("c2.h5"), "rb").read(), "centroids differ by threads"
run("encode", "-o", path("b.index"), "--centroids", path("c2.h5"), path("store.h5"),
    "--threads", "2", "--nprobe", "12", "--k-factor", "6")
assert open(path("a.index"), "rb").read() == open(path("b.index"), "rb").read(), "index differs by threads"
passed += 1

# --- RVC's own type, IVF-Flat -------------------------------------------
run("encode", "-o", path("flat.index"), "--centroids", path("c1.h5"), path("store.h5"),
    "--index", "ivfflat", "--nprobe", "3")
flat = faiss.read_index(path("flat.index"))
assert isinstance(flat, faiss.IndexIVFFlat) and flat.nprobe == 3
assert np.array_equal(flat.reconstruct_n(0, flat.ntotal), x)
assert (flat.search(queries, 8)[1] >= 0).all()
passed += 1

# --- cosine: inner product over normalised vectors -----------------------
run("train", "-o", path("cc.h5"), path("store.h5"), "--metric", "cosine", "--nlist", "64")
run("encode", "-o", path("cos.index"), "--centroids", path("cc.h5"), path("store.h5"),
    "--metric", "cosine")
cos = faiss.read_index(path("cos.index"))
assert cos.metric_type == faiss.METRIC_INNER_PRODUCT
normed = x / np.maximum(1e-12, np.linalg.norm(x, axis=1, keepdims=True))
assert np.allclose(cos.reconstruct_n(0, cos.ntotal), normed, atol=1e-6)
passed += 1

# --- encode refuses centroids of another metric --------------------------
r = subprocess.run([rvcidx, "encode", "-o", path("bad.index"), "--centroids", path("cc.h5"),
                    path("store.h5")], capture_output=True, text=True)
assert r.returncode == 3 and "metric cosine, not l2" in r.stderr, (r.returncode, r.stderr)
assert not os.path.exists(path("bad.index"))
passed += 1

print(f"{passed} passed, 0 failed")
