"""Hostile inputs and hostile output directories (issue 16).

What a shared cluster filesystem can hold and a careless or malicious user
can do: symbolic links planted where rvcidx writes, FIFOs and devices where
it reads, tampered manifests, swapped or copied split parts, a store damaged
in place, a second writer, rows of huge finite values, names that are not
UTF-8, a file-size limit, an RVC model folder used as OUTDIR. Every case
asserts the exit code, one line naming the file, that nothing outside the
output directory changed, and that no wrong index was published.
Every rvcidx run has a timeout: a hang fails the test instead of blocking it.
"""
import fcntl
import glob
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "adversarial")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
P = lambda *a: os.path.join(tmp, *a)
passed = []
TIMEOUT = 120


def run(*args, expect=0, line=None, preexec=None):
    r = subprocess.run([rvcidx, *args, "--no-progress"], capture_output=True, text=True, timeout=TIMEOUT,
                       preexec_fn=preexec)
    assert r.returncode == expect, (args, r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    if line:
        errors = [l for l in r.stderr.splitlines() if "error:" in l]
        assert any(line in l for l in errors), (args, line, r.stderr[-2000:])
    return r


def case(name):
    passed.append(name)
    print("ok  ", name, flush=True)


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def index_of(d):
    found = glob.glob(os.path.join(d, "added_*.index"))
    assert len(found) == 1, (d, os.listdir(d))
    return found[0]


def shards(name, arrays, dim=256):
    d = P(name, "m", "3_feature%d" % dim)
    os.makedirs(d, exist_ok=True)
    for i, a in enumerate(arrays):
        np.save(os.path.join(d, "%d.npy" % i), a)
    return P(name, "m")


rng = np.random.RandomState(7)
victim = P("victim.txt")
open(victim, "w").write("not rvcidx's\n")
run("demo", "-o", P("data"), "--speakers", "2", "--minutes", "0.4", "--dim", "256")
data = [P("data", "speaker0"), P("data", "speaker1")]
fast = ["--no-timing", "--eval-queries", "500"]
run("build", "-o", P("good"), *fast, *data)
good_index = sha(index_of(P("good")))

# ---- symbolic links planted in OUTDIR ------------------------------------------
os.makedirs(P("lock"))
os.symlink(victim, P("lock", ".rvcidx.lock"))
run("build", "-o", P("lock"), *fast, *data, expect=3, line="lock/.rvcidx.lock: is a symbolic link")
assert open(victim).read() == "not rvcidx's\n"
case("a link planted at the lock file is refused, its target untouched")


def planted_build(outdir, names):
    """Starts a build whose pid is known before it runs, and plants a link at
    every temporary name it will use (".NAME.rvcidx-tmp.PID")."""
    os.makedirs(outdir, exist_ok=True)
    p = subprocess.Popen(["sh", "-c", 'read go; exec "$0" "$@"', rvcidx, "build", "-o", outdir, *fast, *data,
                          "--no-progress"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    for n in names:
        os.symlink(victim, os.path.join(outdir, ".%s.rvcidx-tmp.%d" % (n, p.pid)))
    out, err = p.communicate("go\n", timeout=TIMEOUT)
    return p.returncode, out, err


names = ["store.h5", "centroids.h5", "index", "manifest.json", "report.json", "timings.json", "report.md",
         "report.svg", "run.json", "store.h5.stat.json", ".rvcidx-published"]
rc, out, err = planted_build(P("planted"), names)
assert rc == 0, (rc, err[-2000:])
assert open(victim).read() == "not rvcidx's\n", "a planted temporary link was followed"
assert os.path.isfile(P("planted", "manifest.json")) and not os.path.islink(P("planted", "manifest.json"))
assert sha(index_of(P("planted"))) == good_index
run("verify", P("planted"))
case("links planted at every temporary name are replaced, never followed; the build is the same")

os.makedirs(P("spklink"))
os.symlink(P("elsewhere"), P("spklink", "speaker0"))
os.makedirs(P("elsewhere"))
run("build", "-o", P("spklink"), "--per-speaker", *fast, *data, expect=3, line="spklink/speaker0: is a symbolic link")
assert os.listdir(P("elsewhere")) == []
case("a link planted as a speaker's folder is refused; nothing written through it")

# ---- FIFOs and devices where rvcidx reads ----------------------------------------
fifo_src = shards("fifo", [rng.randn(600, 256).astype("f4")])
os.mkfifo(os.path.join(fifo_src, "3_feature256", "1.npy"))
run("build", "-o", P("fifo_out"), *fast, fifo_src, expect=3, line="3_feature256/1.npy: is a FIFO")
run("ingest", "-o", P("fifo_store.h5"), "--skip-bad", fifo_src)
case("a FIFO among the shards is named and refused (or left out with --skip-bad), never waited on")

os.mkfifo(P("list.fifo"))
run("ingest", "-o", P("list_store.h5"), P("list.fifo"), expect=3, line="list.fifo: is a FIFO")
case("a FIFO given as a list file is refused, never waited on")

dangling = shards("dangling", [rng.randn(600, 256).astype("f4")])
os.symlink(P("nowhere.npy"), os.path.join(dangling, "3_feature256", "1.npy"))
run("ingest", "-o", P("dangling.h5"), dangling, expect=3, line="1.npy: is a dangling symbolic link")
case("a dangling link among the shards is reported, not skipped without a word")

shutil.copytree(P("good"), P("dev"), symlinks=True)
os.unlink(P("dev", "store.h5.stat.json"))
os.mkfifo(P("dev", "store.h5.stat.json"))
os.unlink(index_of(P("dev")))
os.symlink("/dev/zero", os.path.join(P("dev"), os.path.basename(index_of(P("good")))))
run("verify", P("dev"), expect=10, line="not a regular file")
case("verify: an output replaced by a link to a device is a mismatch, never read (no hang)")
run("build", "-o", P("dev"), "--check", "stat", *fast, *data)
assert sha(index_of(P("dev"))) == good_index
run("verify", P("dev"))
case("the next build replaces them and publishes the right index (a FIFO stat cache does not hang it)")

# ---- tampered manifests -------------------------------------------------------------
manifest = json.load(open(P("good", "manifest.json")))


def verify_refuses(label, change, line):
    """A copy of the good build whose manifest change() edits: verify exits 10 naming it."""
    shutil.rmtree(P("tamper"), ignore_errors=True)
    shutil.copytree(P("good"), P("tamper"))
    m = json.loads(json.dumps(manifest))
    change(m)
    json.dump(m, open(P("tamper", "manifest.json"), "w"))
    run("verify", P("tamper"), expect=10, line=line)
    case("verify refuses a manifest with " + label)


for label, change, line in [
    ("empty outputs", lambda m: m.update(outputs=[]), "'outputs' is missing, empty or not a list"),
    ("no outputs", lambda m: m.pop("outputs"), "'outputs' is missing, empty or not a list"),
    ("outputs of the wrong type", lambda m: m.update(outputs={"a": 1}), "'outputs' is missing, empty or not a list"),
    ("index left out", lambda m: m.update(outputs=[o for o in m["outputs"] if not o["path"].endswith(".index")]),
     "is not among the outputs"),
    ("store left out", lambda m: m.update(outputs=[o for o in m["outputs"] if o["path"] != "store.h5"]),
     "the outputs leave out store.h5"),
    ("size of the wrong type", lambda m: m["outputs"][0].update(size="12"), "of the right type"),
]:
    verify_refuses(label, change, line)

shutil.rmtree(P("tamper"), ignore_errors=True)
shutil.copytree(P("good"), P("tamper"))
crafted = index_of(P("tamper"))
blob = bytearray(open(crafted, "rb").read())
at = blob.index(b"IxF2") + 4 + 4 + 7  # the top byte of the IVF quantizer's ntotal
blob[at] = 0xDD
open(crafted, "wb").write(blob)
m = json.load(open(P("tamper", "manifest.json")))
for o in m["outputs"]:
    if o["path"] == os.path.basename(crafted):
        o["sha256"], o["size"] = hashlib.sha256(blob).hexdigest(), len(blob)
json.dump(m, open(P("tamper", "manifest.json"), "w"))
if os.environ.get("RVCIDX_SANITIZED") == "1":
    # AddressSanitizer stops the checking child itself at faiss's overflow (exit 1, its report on stderr)
    run("verify", P("tamper"), expect=1)
    case("verify (sanitizer build): the crafted index's overflow inside faiss is caught in the child, not in verify")
else:
    run("verify", P("tamper"), expect=10, line="tamper")
    case("verify: a crafted index whose hash the manifest carries is reported (exit 10), not a crash of verify")

# ---- split parts swapped or copied ------------------------------------------------
split = ["build", "-o", P("split"), "--split", "3", *fast, *data]
run(*split, "--stage", "prepare")
for i in range(3):
    run(*split, "--stage", "part", "--part", str(i))
parts = sorted(glob.glob(P("split", ".rvcidx-split", "part-*.index")))
records = [p[:-len(".index")] + ".json" for p in parts]
saved = [open(p, "rb").read() for p in parts]
shutil.copyfile(parts[1], parts[0])
run(*split, "--stage", "finish", expect=3, line="part 0 of 3")
assert not glob.glob(P("split", "added_*.index")), "a wrong index was published"
case("finish refuses a part file copied over another")
open(parts[0], "wb").write(saved[1])
open(parts[1], "wb").write(saved[0])
r0, r1 = open(records[0]).read(), open(records[1]).read()
open(records[0], "w").write(r1)
open(records[1], "w").write(r0)
run(*split, "--stage", "finish", expect=3, line="another part")
assert not glob.glob(P("split", "added_*.index"))
case("finish refuses two swapped parts (files and records)")
open(parts[0], "wb").write(saved[0])
open(parts[1], "wb").write(saved[1])
open(records[0], "w").write(r0)
open(records[1], "w").write(r1)
run(*split, "--stage", "finish")
assert sha(index_of(P("split"))) == good_index
case("restored, the parts merge into the single build's index")

# ---- a store damaged in place -------------------------------------------------
shutil.copytree(P("good"), P("damaged"))
store = P("damaged", "store.h5")
size = os.path.getsize(store)


def flip_middle_byte():
    with open(store, "r+b") as f:
        f.seek(size // 2)
        b = f.read(1)
        f.seek(size // 2)
        f.write(bytes([b[0] ^ 0x55]))
    assert os.path.getsize(store) == size


for check, says in (("hash", "are not the rows of its shards"), ("stat", "no longer hash to the sha256 recorded")):
    flip_middle_byte()
    r = run("build", "-o", P("damaged"), "--check", check, *fast, *data)
    assert says in r.stderr, (check, r.stderr[-2000:])
    assert sha(store) == sha(P("good", "store.h5")) and sha(index_of(P("damaged"))) == good_index
    run("verify", P("damaged"))
    case("a store damaged in place (same size) is detected by the nightly rerun (--check %s) and rebuilt" % check)

# ---- a second writer ------------------------------------------------------------
with open(P("good", ".rvcidx.lock"), "a+") as held:
    fcntl.flock(held, fcntl.LOCK_EX)
    run("ingest", "-o", P("good", "store.h5"), *data, expect=9, line="another rvcidx process")
    run("build", "-o", P("good"), *fast, *data, expect=9)
run("verify", P("good"))
case("ingest into a directory a build holds waits its turn (exit 9), as build does")

# ---- values, sizes, names -------------------------------------------------------
for value in (1e18, 1e38):
    x = rng.randn(600, 256).astype("f4")
    x[5] = value
    src = shards("huge%g" % value, [rng.randn(600, 256).astype("f4"), x])
    run("build", "-o", P("huge_out%g" % value), *fast, src, expect=3, line="1.npy: row 5 has values too large")
    case("rows of %g are refused by row, like NaN (no crash)" % value)

bad_name = P("names", "m", "3_feature256").encode() + b"/caf\xe9.npy"
os.makedirs(P("names", "m", "3_feature256"))
np.save(P("names", "m", "3_feature256", "0.npy"), rng.randn(600, 256).astype("f4"))
shutil.copyfile(P("names", "m", "3_feature256", "0.npy").encode(), bad_name)
run("ingest", "-o", P("names.h5"), P("names", "m"), expect=3, line="not valid UTF-8")
case("a shard name that is not UTF-8 is refused, not dropped from the manifest")


for var, value in (("RVCIDX_PROGRESS_INTERVAL", "abc"), ("SOURCE_DATE_EPOCH", "yesterday"),
                   ("RVCIDX_MEMORY_LIMIT", "lots"), ("RVCIDX_ASSUME_DISK", "abc")):
    r = subprocess.run([rvcidx, "plan", "-o", P("envout"), *data], capture_output=True, text=True, timeout=TIMEOUT,
                       env={**os.environ, var: value})
    assert r.returncode == 2 and "%s=%s" % (var, value) in r.stderr, (var, r.returncode, r.stderr[-800:])
    assert not os.path.exists(P("envout"))
case("environment values are checked as options are: exit 2 naming the variable")


zeros = shards("zeros", [np.zeros((600, 256), "f4"), np.zeros((600, 256), "f4")])
run("build", "-o", P("zeros_out"), *fast, "--metric", "cosine", zeros, expect=3, line="is all zeros")
assert not glob.glob(P("zeros_out", "added_*.index"))
case("all-zero frames under --metric cosine are bad input (exit 3), not a missed recall target")


run("build", "-o", P("renamed"), *fast, *data)
first = index_of(P("renamed"))
r = run("build", "-o", P("renamed"), *fast, "--name", "newname", *data)
assert "up to date" not in r.stderr, r.stderr[-1500:]
second = index_of(P("renamed"))  # exactly one index: the old name retired
assert os.path.basename(second).endswith("_newname_v1.index") and not os.path.exists(first), (first, second)
r = run("build", "-o", P("renamed"), *fast, "--name", "newname", *data)
assert "up to date" in r.stderr and index_of(P("renamed")) == second, r.stderr[-1500:]
case("build --name NEW on an up-to-date OUTDIR republishes under NEW and retires the old name; then it is up to date")


# an index replaced in place by another valid one of the same size (its nprobe changed): rebuilt, not kept
run("build", "-o", P("swapped"), *fast, *data)
good = index_of(P("swapped"))
good_sha, good_size = sha(good), os.path.getsize(good)
subprocess.run([sys.executable, "-c", """import sys, faiss
index = faiss.read_index(sys.argv[1])
faiss.downcast_index(index.base_index).nprobe += 1
faiss.write_index(index, sys.argv[1])""", good], check=True)
assert sha(good) != good_sha and os.path.getsize(good) == good_size
r = run("build", "-o", P("swapped"), *fast, *data)
assert "up to date" not in r.stderr and sha(index_of(P("swapped"))) == good_sha, r.stderr[-1500:]
case("an index replaced in place by a valid one of the same size is rebuilt by the next build, not kept as up to date")


# ties: any of the tied vectors is an exact neighbour (report.json says how ties were counted)
same = np.tile(rng.randn(1, 256).astype("f4"), (600, 1))
values = rng.randn(5, 256).astype("f4")
clip = rng.randn(600, 256).astype("f4")
for label, arrays in (("identical", [same, same]), ("few", [values[rng.randint(0, 5, 600)] for _ in range(3)]),
                      ("clip", [clip, clip, rng.randn(600, 256).astype("f4")])):
    src = P("ties_" + label)
    for i, x in enumerate(arrays):  # one speaker a shard: tuning queries are another speaker's frames
        os.makedirs(os.path.join(src, "s%d" % i, "3_feature256"))
        np.save(os.path.join(src, "s%d" % i, "3_feature256", "0.npy"), x)
    out = P("ties_" + label + "_out")
    run("build", "-o", out, *fast, src)
    rep = json.load(open(os.path.join(out, "report.json")))
    assert "tied" in rep["recall_ties"] and rep["chosen_setting"]["recall_k"] >= 0.95, rep.get("chosen_setting")
    # a setting whose results blend exactly as the exact ones (all at the exact distances) found all of them
    assert all(p["recall_k"] == 1.0 for p in rep["settings"] if p["blend_error_mean"] == 0 and p["empty_share"] == 0), \
        (label, [(p["recall_k"], p["blend_error_mean"]) for p in rep["settings"]])
case("ties: frames all identical, a few distinct values, a duplicated clip build, recall counted over ties")


# a full filesystem: the plan refuses before any work; ENOSPC during a build names the path and the cause
full = P("fullfs")
os.makedirs(full)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2M", "tmpfs", full], capture_output=True).returncode == 0:
    try:
        with open(os.path.join(full, "fill"), "wb") as f:
            try:
                f.write(b"\0" * (4 << 20))
            except OSError:
                pass
        run("build", "-o", os.path.join(full, "out"), *fast, *data, expect=8, line="of disk (0.0 free)")
        assert not os.path.exists(os.path.join(full, "out"))
        os.truncate(os.path.join(full, "fill"), 1900 << 10)
        r = subprocess.run([rvcidx, "build", "--no-progress", "-o", os.path.join(full, "out2"), *fast, *data],
                           capture_output=True, text=True, timeout=TIMEOUT, env={**os.environ, "RVCIDX_ASSUME_DISK": "1G"})
        assert r.returncode == 4 and "no space left on device" in r.stderr and os.path.join(full, "out2") in r.stderr, \
            (r.returncode, r.stderr[-800:])
        assert not glob.glob(os.path.join(full, "out2", "*.h5")) and not glob.glob(os.path.join(full, "out2", ".*tmp*"))
        case("a full filesystem: the plan refuses (exit 8) before any work; ENOSPC in a build says so and names the path")
    finally:
        subprocess.run(["umount", full])
else:
    print("skip a full filesystem: cannot mount a tmpfs here (needs root)")


def small_file_limit():
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


run("build", "-o", P("fsize"), *fast, *data, expect=4, line="fsize/", preexec=small_file_limit)
assert not glob.glob(P("fsize", "added_*.index"))
case("a file-size limit (ulimit -f) is an I/O error naming the file, not a silent SIGXFSZ")

# ---- an RVC model folder as OUTDIR ---------------------------------------------
model = P("rvc_model")
os.makedirs(model)
theirs = {"G_2333333.pth": b"weights", "added_IVF1_Flat_nprobe_1_rvc_model_v1.index": b"RVC's own index",
          "total_fea.npy": b"x"}
for n, b in theirs.items():
    open(os.path.join(model, n), "wb").write(b)
run("build", "-o", model, "--name", "rvc_model", *fast, *data)
run("build", "-o", model, "--name", "rvc_model", "--nprobe", "3", "--no-tune", *data)
for n, b in theirs.items():
    assert open(os.path.join(model, n), "rb").read() == b, n
listed = [o["path"] for o in json.load(open(os.path.join(model, "manifest.json")))["outputs"]]
assert not set(listed) & set(theirs), listed
assert len(glob.glob(os.path.join(model, "added_*_nprobe_*_rvc_model_v1.index"))) == 2  # RVC's and ours
run("verify", model)
case("an RVC model folder as OUTDIR: its files are not outputs and RVC's own index is never removed")

# ---- found by a second review ----------------------------------------------
os.makedirs(P("hardlock"))
os.link(victim, P("hardlock", ".rvcidx.lock"))
run("build", "-o", P("hardlock"), *fast, *data, expect=3, line="hard links")
run("ingest", "-o", P("hardlock", "store.h5"), *data, expect=3, line="hard links")
assert open(victim).read() == "not rvcidx's\n"
case("a hard link planted at the lock file is refused, its other name untouched")

shutil.copytree(P("good"), P("storelink"))
os.rename(P("storelink", "store.h5"), P("elsewhere_store.h5"))
os.symlink(P("elsewhere_store.h5"), P("storelink", "store.h5"))
run("build", "-o", P("storelink"), "--nprobe", "3", "--no-tune", *data, expect=3, line="store.h5: is a symbolic link")
assert sha(index_of(P("storelink"))) == good_index
case("a store.h5 that is a link is refused, never read through; the previous build stays")

shutil.copytree(P("good"), P("dirreport"))
os.unlink(P("dirreport", "report.json"))
os.makedirs(P("dirreport", "report.json"))
run("build", "-o", P("dirreport"), "--nprobe", "3", "--no-tune", *data, expect=3, line="is a directory where rvcidx writes")
assert sha(index_of(P("dirreport"))) == good_index and os.path.exists(P("dirreport", "manifest.json"))
case("a directory at an output name is refused before any work; the previous build stays whole")

import h5py  # noqa: E402  (Debian's python3-h5py, as tests/py use)

shutil.copytree(P("good"), P("forged"))
with h5py.File(P("forged", "store.h5"), "r+") as f:
    f["features"][5] = np.full(256, 7.0, "f4")
    f.attrs["rows_sha256"] = hashlib.sha256(f["features"][:].astype("<f4").tobytes()).hexdigest()
r = run("build", "-o", P("forged"), *fast, *data)
assert "are not the rows of its shards" in r.stderr, r.stderr[-1500:]
assert sha(index_of(P("forged"))) == good_index
case("a store whose rows and rows_sha256 were both edited is caught by re-reading the shards, and rebuilt")

run("build", "-o", P("spk"), "--per-speaker", *fast, *data)
spk_index = sha(index_of(P("spk", "speaker0")))
with h5py.File(P("spk", "store.h5"), "r+") as f:
    names = list(f["speakers/name"][:])
    f["speakers/name"][0], f["speakers/name"][1] = names[1], names[0]
r = run("build", "-o", P("spk"), "--per-speaker", *fast, *data)
assert "speakers table does not match its sources" in r.stderr, r.stderr[-1500:]
assert sha(index_of(P("spk", "speaker0"))) == spk_index
case("a store whose speakers table was edited is caught and rebuilt: no index of another voice")

shutil.copytree(P("good"), P("record"))
open(P("record", "added_IVF1_Flat_nprobe_1_rvc_v1.index"), "w").write("RVC's own\n")
open(P("record", ".rvcidx-published"), "w").write("added_IVF1_Flat_nprobe_1_rvc_v1.index " + "0" * 64 + "\n")
run("build", "-o", P("record"), "--nprobe", "3", "--no-tune", *data)
assert open(P("record", "added_IVF1_Flat_nprobe_1_rvc_v1.index")).read() == "RVC's own\n"
case("a publication record edited to name RVC's index removes nothing (its sha256 differs)")

split2 = ["build", "-o", P("split2"), "--split", "2", *fast, *data]
run(*split2, "--stage", "prepare")
run("build", "-o", P("split99"), "--split", "2", "--seed", "99", *fast, *data, "--stage", "prepare")
shutil.copyfile(P("split99", ".rvcidx-split", "trained.index"), P("split2", ".rvcidx-split", "trained.index"))
run(*split2, "--stage", "part", "--part", "0", expect=3, line="is not the trained index the prepare step wrote")
run(*split2, "--stage", "prepare")
run(*split2)
assert sha(index_of(P("split2"))) == good_index
case("a replaced trained.index is refused by the part stage; prepare redoes it and the build is the single build's")

for label, change, line in [
    ("centroids left out", lambda m: m.update(outputs=[o for o in m["outputs"] if o["path"] != "centroids.h5"]),
     "centroids.h5 is not among the outputs"),
    ("format_version 99", lambda m: m.update(format_version=99), "format_version is not 1"),
    ("recall 2.0", lambda m: m["indexes"][0]["recall"].update(recall_k=2.0), "not a share between 0 and 1"),
]:
    verify_refuses(label, change, line)
open(P("tamper", "manifest.json"), "w").write("{not json")
run("verify", P("tamper"), expect=10, line="manifest.json: unreadable")
case("verify: a damaged manifest is a mismatch (exit 10), like a tampered one")

run("build", "-o", P("other_index"), "--per-speaker", *fast, *data)
shutil.rmtree(P("tamper"), ignore_errors=True)
shutil.copytree(P("good"), P("tamper"))
other = index_of(P("other_index", "speaker0"))
mine = index_of(P("tamper"))
shutil.copyfile(other, mine)
m = json.loads(json.dumps(manifest))
for o in m["outputs"]:
    if o["path"] == os.path.basename(mine):
        o["sha256"], o["size"] = sha(mine), os.path.getsize(mine)
import faiss  # noqa: E402

loaded = faiss.read_index(mine)
m["indexes"][0].update(ntotal=loaded.ntotal, nlist=faiss.downcast_index(loaded.base_index).nlist)
json.dump(m, open(P("tamper", "manifest.json"), "w"))
run("verify", P("tamper"), expect=10, line="holds other rows than the store gives it")
case("verify: another valid index put in place with a consistent manifest entry is caught (rows against the store)")

named = shards("ctrl", [rng.randn(600, 256).astype("f4")])
bad = os.path.join(named, "3_feature256", "a\nrvcidx: ok forged line.npy")
open(bad, "wb").write(b"not npy")
r = run("ingest", "-o", P("ctrl.h5"), named, expect=3)
assert "\\x0a" in r.stderr and "\nrvcidx: ok forged" not in r.stderr, r.stderr
case("control characters in file names are shown escaped: no forged log line")

run("build", "-o", P("badname"), "--name", "caf\udce9", *fast, *data, expect=2, line="--name: model name: not valid UTF-8")
run("build", "-o", "", *fast, *data, expect=2, line="-o OUTDIR")
case("a --name that is not UTF-8 and an empty -o are usage errors before any work")

extra = shards("extra", [rng.randn(600, 256).astype("f4")])
open(os.path.join(extra, "3_feature256", "0_5.npy~"), "wb").write(b"x")
r = run("ingest", "-o", P("extra.h5"), extra)
assert "0_5.npy~: left out: not a .npy shard" in r.stderr, r.stderr
case("a file in a feature folder that is not a shard is named, not skipped without a word")

print("%d hostile cases passed" % len(passed))
