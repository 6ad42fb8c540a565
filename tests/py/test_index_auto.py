"""--index ivfpq4fsr and --index auto, checked with Debian's Python faiss 1.7.3
(the version RVC pins), called as the apps call it.

- ivfpq4fsr builds an IndexRefineFlat around an IVF-PQ FastScan whose
  by_residual is set (x4fs's is not), named "x4fsr", giving back the
  store's rows; the manifest records it and `rvcidx verify` accepts it;
- auto builds x4fs, x4fsr and IVF-Flat from the same centroids, tunes each,
  and ships the one its rule picks: the report's table has every candidate
  with its figures, exactly one shipped, and the shipped one is the winner
  by the rule recomputed here from the table (lowest p99 per block among
  those reaching the target; under --no-timing, the lowest cost estimate);
  the file shipped is that candidate's type, and nothing else is left;
- auto under --max-index-size gives each PQ candidate the most exact refine
  predicted to fit, lists the IVF-Flat that cannot fit as not built, and
  ships a file within the budget."""
import json
import os
import subprocess

import faiss
import h5py
import numpy as np

assert faiss.__version__ == "1.7.3", faiss.__version__
rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_index_auto")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
passed = 0


def path(*names):
    return os.path.join(tmp, *names)


def build(outdir, *args, check=True):
    return subprocess.run([rvcidx, "build", "-o", path(outdir), path("data"), "--threads", "2", "--eval-queries",
                           "300", "--quiet", *args], check=check, stderr=subprocess.PIPE, text=True)


def index_file(outdir):
    names = [n for n in os.listdir(path(outdir)) if n.endswith(".index")]
    assert len(names) == 1, names
    return path(outdir, names[0])


def load_json(outdir, name):
    with open(path(outdir, name)) as f:
        return json.load(f)


def residual_of(index):
    """by_residual of the IVF-PQ FastScan inside a refine wrapper."""
    base = faiss.downcast_index(index.base_index)
    assert type(base) is faiss.IndexIVFPQFastScan, type(base)
    return bool(base.by_residual)


def no_leftovers(outdir):
    left = [n for n in os.listdir(path(outdir)) if "rvcidx-tmp" in n or n.startswith("index-")]
    assert not left, left


subprocess.run([rvcidx, "demo", "-o", path("data"), "--speakers", "3", "--minutes", "1", "--dim", "256", "--quiet"],
               check=True)
PQ = "PQ128"  # D/2 sub-quantizers of RVC v1's 256 dimensions

# --- --index ivfpq4fsr ----------------------------------------------------------
build("fsr", "--index", "ivfpq4fsr", "--no-timing")
f = index_file("fsr")
assert f"_{PQ}x4fsr_RFlat_" in os.path.basename(f), f
index = faiss.read_index(f)
assert type(index) is faiss.IndexRefineFlat, type(index)
assert residual_of(index), "x4fsr encodes residuals"
x = h5py.File(path("fsr", "store.h5"), "r")["features"][:]
assert np.array_equal(index.reconstruct_n(0, index.ntotal), x)
_, ix = index.search(x[::97], 8)
assert (ix >= 0).all()
m = load_json("fsr", "manifest.json")
assert m["request"]["parameters"]["index"] == "ivfpq4fsr", m["request"]["parameters"]
assert "x4fsr" in m["indexes"][0]["factory"], m["indexes"][0]
assert "x4fsr" in load_json("fsr", "report.json")["factory"]
subprocess.run([rvcidx, "verify", "--quiet", path("fsr")], check=True)
build("fs", "--no-timing")
assert not residual_of(faiss.read_index(index_file("fs"))), "the default x4fs encodes the vectors"
passed += 1

# --- --index auto, timed ----------------------------------------------------------
build("auto", "--index", "auto")
r, t = load_json("auto", "report.json"), load_json("auto", "timings.json")
auto = t["index_auto"]
cands = auto["candidates"]
kinds = [c["factory"].split(",", 1)[1] for c in cands]
assert kinds == [f"{PQ}x4fs,RFlat", f"{PQ}x4fsr,RFlat", "Flat"], kinds
assert sum(c["chosen"] for c in cands) == 1, cands
assert all(c["built"] and c["fits"] for c in cands), cands
eligible = [c for c in cands if c["reaches_target"]]
assert eligible, cands
for c in eligible:
    assert c["recall_k"] >= 0.95 and c["block_ms_p99"] > 0 and c["file_bytes"] > 0, c
winner = min(eligible, key=lambda c: (c["block_ms_p99"], c["file_bytes"]))
chosen = next(c for c in cands if c["chosen"])
assert chosen is winner, (chosen, winner)
assert "lowest measured p99" in auto["rule"], auto["rule"]
assert r["index_auto"]["candidates"][0]["factory"] == cands[0]["factory"]
assert "block_ms_p99" not in r["index_auto"]["candidates"][0], "timings only in timings.json"
f = index_file("auto")
assert os.path.getsize(f) == chosen["file_bytes"], (os.path.getsize(f), chosen)
shipped = faiss.read_index(f)
if chosen["factory"].endswith(",Flat"):
    assert type(shipped) is faiss.IndexIVFFlat, type(shipped)
    assert faiss.extract_index_ivf(shipped).nprobe == chosen["nprobe"]
else:
    assert type(shipped) is faiss.IndexRefineFlat, type(shipped)
    assert residual_of(shipped) == ("x4fsr" in chosen["factory"])
    assert shipped.k_factor == chosen["k_factor"]
assert r["factory"].split(",", 1)[1] == chosen["factory"].split(",", 1)[1], (r["factory"], chosen["factory"])
with open(path("auto", "report.md")) as fm:
    md = fm.read()
assert "Index chosen by measurement" in md and "**shipped**" in md, md[:2000]
no_leftovers("auto")
subprocess.run([rvcidx, "verify", "--quiet", path("auto")], check=True)
print("auto:", [(c["factory"], round(c["recall_k"], 4), round(c["block_ms_p99"], 3), c["chosen"]) for c in cands])
passed += 1

# --- --index auto --no-timing under --max-index-size ------------------------------
pq_flat = cands[0]["file_bytes"]
budget = pq_flat * 3 // 4  # RFlat and IVF-Flat cannot fit; fp16 (about 0.55x) can
build("sized", "--index", "auto", "--no-timing", "--max-index-size", str(budget))
auto = load_json("sized", "report.json")["index_auto"]
cands = auto["candidates"]
assert [c["factory"].split(",", 1)[1] for c in cands] == [f"{PQ}x4fs,Refine(SQfp16)", f"{PQ}x4fsr,Refine(SQfp16)",
                                                           "Flat"], cands
assert not cands[2]["built"] and not cands[2]["fits"] and cands[2]["file_bytes"] > budget, cands[2]
assert auto["max_index_size"] == budget and "cost" in auto["rule"], auto
eligible = [c for c in cands if c["built"] and c["reaches_target"] and c["fits"]]
assert eligible, cands
winner = min(eligible, key=lambda c: (c["cost_estimate"], c["file_bytes"]))
assert winner["chosen"], cands
f = index_file("sized")
assert os.path.getsize(f) <= budget and "_RSQfp16_" in os.path.basename(f), (f, os.path.getsize(f), budget)
no_leftovers("sized")
passed += 1

# --- bad combinations are usage errors --------------------------------------------
for args in (("--index", "ivfpq4fsx"), ("--index", "ivfflat", "--max-index-size", "10M")):
    p = build("bad", *args, check=False)
    assert p.returncode == 2, (args, p.returncode, p.stderr)
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
passed += 1

print(f"test_index_auto: {passed} checks passed")
