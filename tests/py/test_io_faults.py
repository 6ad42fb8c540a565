"""I/O fault injection: ENOSPC or EIO at the Nth write (HDF5's pwrite,
faiss's and rvcidx's fwrite), fsync and rename of a build, through the
LD_PRELOAD shim tests/fault/inject.c. Every point fails cleanly (exit 4 and a
message; exit 0 only when the failed write was a non-essential log file),
no published artifact is ever half-written (each is absent, the previous
complete build's, or the final one), and the next run completes with the
uninterrupted build's bytes and no temporary file left."""
import glob
import hashlib
import os
import subprocess
import sys

if os.environ.get("RVCIDX_SANITIZED") == "1":
    print("SKIP: the LD_PRELOAD fault shim cannot load into an AddressSanitizer build (the plain build runs this test)")
    sys.exit(77)
rvcidx, shim = os.environ["RVCIDX"], os.environ["FAULT_SHIM"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_io_faults")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
P = lambda *a: os.path.join(tmp, *a)
ARGS = ["--eval-queries", "300", "--no-timing", "--no-progress"]
ENV = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}  # no self re-exec: the shim stays on one process


def build(outdir, *extra, fault=None, count=None):
    env = dict(ENV)
    if fault or count:
        env["LD_PRELOAD"] = shim
    if fault:
        env["RVCIDX_FAULT"] = fault
    if count:
        env["RVCIDX_FAULT_COUNT"] = count
    return subprocess.run([rvcidx, "build", "-o", outdir, P("data"), *ARGS, *extra], capture_output=True, text=True,
                          env=env)


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def published(d):
    names = ["store.h5", "centroids.h5", "report.json", "manifest.json"]
    files = {n: os.path.join(d, n) for n in names}
    files.update({os.path.basename(p): p for p in glob.glob(os.path.join(d, "added_*.index"))})
    return {n: digest(p) for n, p in files.items() if os.path.exists(p)}


def temp_files(d):
    return [f for _, _, fs in os.walk(d) for f in fs if "rvcidx-tmp" in f]


subprocess.run([rvcidx, "demo", "-o", P("data"), "--speakers", "2", "--minutes", "0.3", "--quiet"], check=True)
assert build(P("reference"), count=P("counts")).returncode == 0
reference = published(P("reference"))
assert build(P("old"), "--seed", "7").returncode == 0  # an earlier complete build, other parameters
old = published(P("old"))
counts = {}
for line in open(P("counts")):
    op, n = line.split()
    counts[op] = int(n)
print("calls in one build:", counts)

trials = 0
for op in ("pwrite", "fwrite", "fsync", "rename"):
    total = counts[op]
    assert total > 0, op
    points = sorted({1, total} | {max(1, total * k // 4) for k in (1, 2, 3)})
    for i, n in enumerate(points):
        errno_name = "ENOSPC" if i % 2 == 0 else "EIO"
        outdir = P(f"{op}-{n}")
        if i % 2:
            subprocess.run(["cp", "-a", P("old"), outdir], check=True)
        r = build(outdir, fault=f"{op}:{n}:{errno_name}")
        assert r.returncode in (0, 4), (op, n, r.returncode, r.stderr[-1500:])
        if r.returncode == 4:
            assert "rvcidx: error:" in r.stderr, r.stderr
        for name, sha in published(outdir).items():
            assert sha == reference.get(name) or sha == old.get(name), (op, n, name, "half-written or foreign")
        if r.returncode == 0:
            assert published(outdir) == reference, (op, n, "exit 0 but artifacts differ")
        rerun = build(outdir)
        assert rerun.returncode == 0, (op, n, rerun.stderr[-1500:])
        assert published(outdir) == reference, (op, n, "the rerun differs from an uninterrupted build")
        assert not temp_files(outdir), (op, n, temp_files(outdir))
        trials += 1
        print(f"{op} #{n} {errno_name}: exit {r.returncode}; rerun complete")
print(f"{trials} passed, 0 failed")
