"""Builds past RVCIDX_ROWS_IN_MEMORY read the indexed vectors from the store
by id instead of holding them (the tuning index's refine, eval's ground
truth, blends and leave-one-out queries). Forced here with a 1-byte limit on
a small tree, they must give what the in-memory path gives: the same index
bytes and the same report.json, for RFlat, fp16, sq8 and cosine, and for
`rvcidx eval` of a file (leave-one-out, a lossy refine). A store whose
rows are not plain chunks is refused by name."""
import json
import os
import subprocess

import h5py
import numpy as np

rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_rows_by_id")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)


def path(*names):
    return os.path.join(tmp, *names)


def run(args, by_id, check=True):
    env = dict(os.environ)
    env.pop("RVCIDX_ROWS_IN_MEMORY", None)
    if by_id:
        env["RVCIDX_ROWS_IN_MEMORY"] = "1"
    return subprocess.run([rvcidx, *args], env=env, check=check, stderr=subprocess.PIPE, text=True)


def index_file(outdir):
    names = [n for n in os.listdir(path(outdir)) if n.endswith(".index")]
    assert len(names) == 1, names
    return path(outdir, names[0])


def report(p):
    with open(p) as f:
        r = json.load(f)
    r.pop("index_path", None)  # names the directory
    return r


subprocess.run([rvcidx, "demo", "-o", path("data"), "--speakers", "3", "--minutes", "1", "--quiet"], check=True)
common = ["--no-timing", "--threads", "2", "--eval-queries", "300", "--quiet", "--no-progress"]
for name, extra in [("flat", []), ("fp16", ["--refine", "fp16"]), ("sq8", ["--refine", "sq8"]),
                    ("cosine", ["--metric", "cosine"]), ("split", ["--split", "3"]),
                    ("split-fp16", ["--split", "2", "--refine", "fp16"]), ("budget", ["--max-vectors", "4000"])]:
    mem = run(["build", "-o", path("mem-" + name), path("data"), *common, *extra], by_id=False)
    ids = run(["build", "-o", path("ids-" + name), path("data"), *common, *extra], by_id=True)
    a, b = index_file("mem-" + name), index_file("ids-" + name)
    assert os.path.basename(a) == os.path.basename(b), (a, b)
    assert open(a, "rb").read() == open(b, "rb").read(), name + ": index bytes differ"
    ra, rb = report(path("mem-" + name, "report.json")), report(path("ids-" + name, "report.json"))
    assert ra == rb, name + ": report.json differs"
    assert ra["settings"] and ra["chosen_setting"], ra.keys()
    print("ok", name, "same index and report, read by id")

# `rvcidx eval` of a file: leave-one-out queries and the app's fp16 vectors by id.
for by_id in (False, True):
    run(["eval", index_file("mem-fp16"), path("mem-fp16", "store.h5"), "--queries-from", "self", "--no-timing",
         "--eval-queries", "200", "--quiet", "--report", path("eval-%d" % by_id)], by_id=by_id)
assert report(path("eval-0", "report.json")) == report(path("eval-1", "report.json")), "eval reports differ"
print("ok eval of an fp16 file: same report, read by id")

# A store whose /features are compressed: the by-id reader refuses it by name.
src = path("mem-flat", "store.h5")
bad = path("deflated.h5")
with h5py.File(src, "r") as f, h5py.File(bad, "w") as g:
    for k, v in f.attrs.items():
        g.attrs[k] = v
    for name in f:
        if name != "features":
            f.copy(name, g)
    x = f["features"][:]
    g.create_dataset("features", data=x, chunks=(256, x.shape[1]), compression="gzip", maxshape=(None, x.shape[1]))
r = run(["eval", index_file("mem-fp16"), bad, "--queries-from", "self", "--no-timing", "--eval-queries", "100"],
        by_id=True, check=False)
assert r.returncode != 0, r
assert "deflated.h5" in r.stderr and "re-run ingest" in r.stderr, r.stderr
print("ok a compressed store is refused:", r.stderr.strip().splitlines()[-1])
