"""The one-command build as nightly jobs use it: byte-identical artifacts
across reruns and thread counts, a no-op rebuild of unchanged inputs, new
shards rebuilding with one index left for RVC to list, `verify` catching a
tampered index before faiss reads it, and the output directory's lock."""
import fcntl
import glob
import hashlib
import json
import os
import subprocess
import time

rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_build_repro")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
P = lambda *a: os.path.join(tmp, *a)
passed = 0


def run(*args, expect=0, env=None):
    timing = ["--no-timing"] if args[0] == "build" else []  # speeds are not what this test checks
    r = subprocess.run([rvcidx, *args, *timing, "--no-progress"], capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    assert r.returncode == expect, (args, r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    return r


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def artifacts(d):
    names = ["store.h5", "centroids.h5", "report.json", "manifest.json"] + [os.path.basename(p) for p in glob.glob(os.path.join(d, "added_*.index"))]
    return {n: sha(os.path.join(d, n)) for n in names}


run("demo", "-o", P("data"), "--speakers", "2", "--minutes", "0.7")

# --- byte-identical across reruns, thread counts and output directories ------
run("build", "-o", P("a"), P("data"), "--threads", "1")
run("build", "-o", P("b"), P("data"), "--threads", "2")
run("build", "-o", P("c"), P("data"), "--threads", "2")
a, b, c = artifacts(P("a")), artifacts(P("b")), artifacts(P("c"))
assert a == b == c, {k: (a.get(k), b.get(k), c.get(k)) for k in a if not (a.get(k) == b.get(k) == c.get(k))}
assert len(a) == 5
manifest = json.load(open(P("a", "manifest.json")))
assert {o["path"] for o in manifest["outputs"]} == {"store.h5", "centroids.h5", "report.json", [k for k in a if k.startswith("added_")][0]}
assert manifest["indexes"][0]["recall"]["recall_k"] >= 0.95
assert len(manifest["request"]["inputs"]) == len(glob.glob(P("data", "*", "3_feature768", "*.npy")))
passed += 1

# --- SOURCE_DATE_EPOCH is the only time in the manifest -----------------------
run("build", "-o", P("d"), P("data"), env={"SOURCE_DATE_EPOCH": "1700000000"})
assert json.load(open(P("d", "manifest.json")))["source_date_epoch"] == "1700000000"
assert artifacts(P("d"))["store.h5"] == a["store.h5"]
passed += 1

# --- unchanged inputs: nothing to do, nothing touched --------------------------
index = glob.glob(P("a", "added_*.index"))[0]
before = os.stat(index).st_mtime_ns
t = time.time()
r = run("build", "-o", P("a"), P("data"), "--threads", "1")
assert "up to date" in r.stdout, r.stdout
assert os.stat(index).st_mtime_ns == before
print(f"no-op rebuild: {time.time() - t:.2f} s")
r = run("build", "-o", P("a"), P("data"), "--check", "stat")
assert "up to date" in r.stdout
passed += 1

# --- a changed parameter or new shards rebuild; one index remains --------------
r = run("build", "-o", P("a"), P("data"), "--target-recall", "0.97")
assert "up to date" not in r.stdout
run("demo", "-o", P("data"), "--speakers", "1", "--minutes", "0.3", "--first", "5", "--quiet")
r = run("build", "-o", P("a"), P("data"))
assert "(appended)" in r.stdout, r.stdout
assert len(glob.glob(P("a", "added_*.index"))) == 1, glob.glob(P("a", "added_*.index"))
run("verify", P("a"))
passed += 1

# --- verify: a tampered index is reported and never handed to faiss ------------
index = glob.glob(P("b", "added_*.index"))[0]
data = bytearray(open(index, "rb").read())
data[len(data) // 2] ^= 0xFF
open(index, "wb").write(bytes(data))
r = run("verify", P("b"), expect=10)
assert "sha256 differs from the manifest" in r.stderr and "not loaded" in r.stderr, r.stderr
os.remove(P("c", "centroids.h5"))
r = run("verify", P("c"), expect=10)
assert "centroids.h5: missing" in r.stderr
r = run("verify", P("nowhere"), expect=3)
passed += 1

# --- the lock: a live holder blocks, a dead one's file is taken over ----------
with open(P("a", ".rvcidx.lock"), "r+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    r = run("build", "-o", P("a"), P("data"), expect=9)
    assert "another rvcidx process" in r.stderr, r.stderr
dead = subprocess.Popen(["true"])
dead.wait()
open(P("a", ".rvcidx.lock"), "w").write(f"{dead.pid}\n")
r = run("build", "-o", P("a"), P("data"))
assert f"cleared a stale lock left by pid {dead.pid}" in r.stderr, r.stderr
passed += 1

# --- many models: one failure does not stop the others; a summary; exit 1 ------
run("demo", "-o", P("models"), "--speakers", "2", "--minutes", "0.2", "--quiet")
os.makedirs(P("models", "empty_model", "3_feature768"))
r = run("build", "--per-model", "--jobs", "2", "-o", P("pm"), P("models"), expect=1)
assert "| empty_model | failed: bad input (exit 3) |" in r.stdout, r.stdout
assert "| speaker0 | built |" in r.stdout and "| speaker1 | built |" in r.stdout, r.stdout
assert "2 built, 0 unchanged, 1 failed" in r.stdout
assert len(glob.glob(P("pm", "speaker*", "added_*speaker*_v2.index"))) == 2
run("verify", P("pm", "speaker0"))
os.rmdir(P("models", "empty_model", "3_feature768"))
r = run("build", "--per-model", "-o", P("pm"), P("models"))
assert "0 built, 2 unchanged, 0 failed" in r.stdout, r.stdout
passed += 1

print(f"{passed} passed, 0 failed")
