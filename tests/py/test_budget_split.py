"""A vector budget (`--max-vectors`, issue 20) with `--split N` and with
`--per-speaker`. A split build reduces once, in its prepare step, and its
parts encode the kept vectors: the index, report.json and manifest.json are
byte for byte the unsplit build's with the same budget and seed, whether the
stages run in one process or one process each (as cluster tasks do); the
reduced store lives in OUTDIR/.rvcidx-split and is gone when the build is;
a reduced store replaced between the stages is refused. A per-speaker build
reduces each speaker among its own frames: every index holds at most the
budget, its report records the reduction, and it is tuned on the other
speakers' frames, as without a budget."""
import glob
import json
import os
import shutil
import subprocess

import faiss

assert faiss.__version__ == "1.7.3", faiss.__version__
rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_budget_split")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
P = lambda *a: os.path.join(tmp, *a)
passed = 0
BUDGET = 1500
ROWS = 9000  # 3 speakers x 1 minute x 50 frames/s


def run(*args, expect=0):
    r = subprocess.run([rvcidx, *args, "--no-progress"], capture_output=True, text=True)
    assert r.returncode == expect, (args, r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    return r


def index_of(d):
    found = glob.glob(os.path.join(d, "added_*.index"))
    assert len(found) == 1, (d, os.listdir(d))
    return found[0]


def same_bytes(a, b):
    return open(a, "rb").read() == open(b, "rb").read()


def load(p):
    return json.load(open(p))


run("demo", "-q", "-o", P("data"), "--speakers", "3", "--minutes", "1", "--dim", "256")
srcs = [P("data", f"speaker{i}") for i in range(3)]
common = ["--quiet", "--no-timing", "--name", "m", *srcs]

# --- split + budget in one process: the unsplit build's bytes --------------
run("build", "-o", P("one"), "--max-vectors", str(BUDGET), *common)
run("build", "-o", P("split3"), "--split", "3", "--max-vectors", str(BUDGET), *common)
for name in ("report.json", "manifest.json"):
    assert same_bytes(P("one", name), P("split3", name)), name + " differs between the split and unsplit builds"
assert os.path.basename(index_of(P("one"))) == os.path.basename(index_of(P("split3")))
assert same_bytes(index_of(P("one")), index_of(P("split3"))), "split index differs from the unsplit one"
assert faiss.read_index(index_of(P("split3"))).ntotal == BUDGET
rep = load(P("split3", "report.json"))["reduction"]
assert rep["requested"] == "auto" and rep["budget"] == BUDGET and rep["kept"] == BUDGET, rep
# auto measured both methods in the prepare step; the finish reports what it measured
tr = {t["method"]: t for t in rep["auto_trials"]}
assert sorted(tr) == ["hubs", "kmeans", "stratified"] and all(t["measured"] for t in tr.values()), rep
assert rep["method"] == min(tr, key=lambda m: tr[m]["blend_error_mean"]), rep
assert rep["blend_error_vs_all"]["mean"] == tr[rep["method"]]["blend_error_mean"], rep
assert rep["input_vectors"] == ROWS and rep["seed"] == 1234, rep
be = rep["blend_error_vs_all"]
assert be and 0 < be["mean"] <= be["p95"] and be["queries"] > 0, be
assert load(P("split3", "manifest.json"))["indexes"][0]["reduction"]["kept"] == BUDGET
assert not os.path.exists(P("split3", ".rvcidx-split")), "the shared work (and its reduced store) outlived the build"
assert not glob.glob(P("split3", "**", "reduced.h5"), recursive=True)
run("verify", P("split3"))
passed += 1

# --- one process per stage (as Slurm tasks), stratified: the same bytes ----
strat = ["--max-vectors", str(BUDGET + 1), "--reduce", "stratified"]
run("build", "-o", P("one-s"), *strat, *common)
stage = lambda *a, expect=0: run("build", "-o", P("staged"), "--split", "4", *strat, *a, *common, expect=expect)
stage("--stage", "prepare")
reduced = P("staged", ".rvcidx-split", "reduced.h5")
assert os.path.isfile(reduced), "the parts need the reduced store inside OUTDIR"
assert load(P("staged", ".rvcidx-split", "split.json"))["rows"] == BUDGET + 1
# a reduced store replaced between the stages is refused, not encoded
shutil.copy(reduced, P("reduced.bak"))
shutil.copy(P("staged", "store.h5"), reduced)
r = stage("--stage", "part", "--part", "0", expect=3)
assert "reduced.h5: missing or not the reduced store the prepare step wrote" in r.stderr, r.stderr
shutil.copy(P("reduced.bak"), reduced)
for i in range(4):
    stage("--stage", "part", "--part", str(i))
stage("--stage", "finish")
assert same_bytes(index_of(P("one-s")), index_of(P("staged"))), "staged split index differs from the unsplit one"
assert same_bytes(P("one-s", "manifest.json"), P("staged", "manifest.json"))
assert faiss.read_index(index_of(P("staged"))).ntotal == BUDGET + 1
assert load(P("staged", "report.json"))["reduction"]["method"] == "stratified"
assert not os.path.exists(P("staged", ".rvcidx-split"))
passed += 1

# --- per-speaker: each index at most the budget, of its own frames ---------
run("build", "-o", P("ps"), "--per-speaker", "--max-vectors", "1000", "--quiet", "--no-timing", P("data"))
for i in range(3):
    d = P("ps", f"speaker{i}")
    n = faiss.read_index(index_of(d)).ntotal
    assert n <= 1000, (d, n)
    red = load(os.path.join(d, "report.json"))
    assert red["reduction"]["kept"] == n and red["reduction"]["input_vectors"] == ROWS // 3, red["reduction"]
    assert red["queries_from"].startswith("other speakers"), red["queries_from"]
man = load(P("ps", "manifest.json"))
assert [ix["reduction"]["kept"] for ix in man["indexes"]] == [1000] * 3, man["indexes"]
run("verify", P("ps"))
passed += 1

print(f"test_budget_split: {passed} checks passed")
