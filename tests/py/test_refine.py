"""--refine fp16|sq8 and --max-index-size, checked with Debian's Python faiss
1.7.3 (the version RVC pins), called as every RVC app calls it:
read_index, reconstruct_n(0, ntotal), search(x, k=8).

- each refine builds, loads, and gives back the store's rows in order,
  within fp16's or sq8's rounding (exact for flat);
- the files shrink in the order flat > fp16 > sq8, and the same inputs give
  the same bytes;
- the report records the refine, the file size and an app's memory (the
  file plus N*D*4 bytes), and the predicted sizes are never under the files
  and close to them;
- --max-index-size ships the most exact refine that fits, and refuses a
  budget nothing fits with exit code 8 and one line naming every size."""
import json
import os
import subprocess

import faiss
import h5py
import numpy as np

assert faiss.__version__ == "1.7.3", faiss.__version__
rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_refine")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
passed = 0


def path(*names):
    return os.path.join(tmp, *names)


def build(outdir, *args, check=True):
    return subprocess.run([rvcidx, "build", "-o", path(outdir), path("data"), "--no-timing", "--threads", "2",
                           "--eval-queries", "300", "--quiet", *args], check=check, stderr=subprocess.PIPE, text=True)


def index_file(outdir):
    names = [n for n in os.listdir(path(outdir)) if n.endswith(".index")]
    assert len(names) == 1, names
    return path(outdir, names[0])


def report(outdir):
    with open(path(outdir, "report.json")) as f:
        return json.load(f)


subprocess.run([rvcidx, "demo", "-o", path("data"), "--speakers", "3", "--minutes", "1", "--quiet"], check=True)

# --- one build per refine ---------------------------------------------------
build("flat")
build("fp16", "--refine", "fp16")
build("sq8", "--refine", "sq8")
x = h5py.File(path("flat", "store.h5"), "r")["features"][:]
sizes = {}
for refine, kind, marker in (("flat", faiss.IndexRefineFlat, "_RFlat_"), ("fp16", faiss.IndexRefine, "_RSQfp16_"),
                             ("sq8", faiss.IndexRefine, "_RSQ8_")):
    f = index_file(refine)
    assert marker in os.path.basename(f), f
    sizes[refine] = os.path.getsize(f)
    index = faiss.read_index(f)
    assert type(index) is kind, (refine, type(index))
    assert index.ntotal == len(x) and index.d == x.shape[1]
    big = index.reconstruct_n(0, index.ntotal)
    err = np.abs(big - x)
    if refine == "flat":
        assert np.array_equal(big, x), "RFlat gives back the store's rows exactly"
    elif refine == "fp16":  # half floats: 11 significant bits
        assert (err <= np.abs(x) * 2.0 ** -10 + 1e-6).all(), float(err.max())
    else:  # 255 steps over each dimension's range in the training sample (here every row)
        step = (x.max(axis=0) - x.min(axis=0)) / 255.0
        assert (err <= step * 1.01 + 1e-6).all(), float((err / (step + 1e-12)).max())
    score, ix = index.search(x[::97], 8)
    assert (ix >= 0).all(), refine
    r = report(refine)
    assert r["storage"]["refine"] == refine, r["storage"]
    assert r["storage"]["index_bytes"] == sizes[refine], (r["storage"], sizes[refine])
    assert r["storage"]["app_memory_bytes"] == sizes[refine] + x.size * 4, r["storage"]
    with open(path(refine, "manifest.json")) as fm:
        m = json.load(fm)
    assert m["indexes"][0]["refine"] == refine, m["indexes"][0]
    assert m["indexes"][0]["index_bytes"] == sizes[refine]
    print(f"{refine}: {sizes[refine]} bytes ({sizes[refine] / sizes['flat']:.2f}x flat), "
          f"max |reconstruct - store| {err.max():.5f}, chosen {r['chosen_setting']}")
assert sizes["sq8"] < sizes["fp16"] < sizes["flat"], sizes
assert sizes["fp16"] < 0.6 * sizes["flat"] and sizes["sq8"] < 0.4 * sizes["flat"], sizes
passed += 1

# --- the same inputs, the same bytes ------------------------------------------
build("sq8-again", "--refine", "sq8", "--threads", "1")
assert open(index_file("sq8"), "rb").read() == open(index_file("sq8-again"), "rb").read(), "sq8 index not reproducible"
passed += 1

# --- --max-index-size: the most exact refine that fits ------------------------
budget = (sizes["fp16"] + sizes["flat"]) // 2  # flat does not fit, fp16 does
build("max", "--max-index-size", str(budget))
f = index_file("max")
assert "_RSQfp16_" in os.path.basename(f), f
assert os.path.getsize(f) <= budget
assert open(f, "rb").read() == open(index_file("fp16"), "rb").read(), "the chosen refine is built as --refine builds it"
st = report("max")["storage"]
assert st["refine"] == "fp16" and st["max_index_size"] == budget, st
cands = {c["refine"]: c for c in st["candidates"]}
assert [c["refine"] for c in st["candidates"]] == ["flat", "fp16", "sq8"]
assert not cands["flat"]["fits"] and not cands["flat"]["built"]
assert cands["fp16"]["built"] and cands["fp16"]["fits"] and cands["fp16"]["file_bytes"] == sizes["fp16"]
assert not cands["sq8"]["built"]
# the predictions, checked against the real files of every refine: never under,
# and over by at most the FastScan blocks' padding (nlist x 31 codes) and 4 KiB
nlist, m2 = report("flat")["nlist"], x.shape[1] // 2
for refine, c in cands.items():
    over = c["predicted_bytes"] - sizes[refine]
    assert 0 <= over <= nlist * 31 * m2 // 2 + 4096, (refine, c["predicted_bytes"], sizes[refine])
with open(path("max", "manifest.json")) as fm:
    m = json.load(fm)
assert m["request"]["parameters"]["max_index_size"] == budget, m["request"]["parameters"]
assert m["indexes"][0]["refine"] == "fp16"
passed += 1

# --- a budget nothing fits: refused before any work, one line, exit 8 ---------
p = build("none", "--max-index-size", "1M", check=False)
assert p.returncode == 8, (p.returncode, p.stderr)
lines = p.stderr.strip().splitlines()
assert len(lines) == 1, p.stderr
assert "--max-index-size" in lines[0] and "flat" in lines[0] and "fp16" in lines[0] and "sq8" in lines[0], lines[0]
assert not os.path.exists(path("none", "store.h5")), "refused before ingest"
passed += 1

# --- bad values are usage errors ----------------------------------------------
for args in (("--refine", "sq4"), ("--max-index-size", "lots"), ("--index", "ivfflat", "--refine", "sq8")):
    p = build("bad", *args, check=False)
    assert p.returncode == 2, (args, p.returncode, p.stderr)
passed += 1

print(f"test_refine: {passed} checks passed")
