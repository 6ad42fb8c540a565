"""Split builds (`build --split N`): the index merged from parts equals the
single build byte for byte (both index types, uneven parts), Python faiss
1.7.3 loads it and finds the same neighbours, the stages run one by one as
cluster tasks do, a finished part is not redone, a missing part or options
that differ from the prepared ones stop with one clear line, and a part
killed mid-encode leaves no half-written file."""
import glob
import hashlib
import json
import os
import signal
import subprocess
import time

import faiss
import numpy as np

rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_split_build")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
P = lambda *a: os.path.join(tmp, *a)
passed = 0


def run(*args, expect=0, env=None):
    r = subprocess.run([rvcidx, *args, "--no-progress"], capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    assert r.returncode == expect, (args, r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    return r


def index_of(d):
    found = glob.glob(os.path.join(d, "added_*.index"))
    assert len(found) == 1, (d, os.listdir(d))
    return found[0]


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


run("demo", "-o", P("data"), "--speakers", "3", "--minutes", "0.7")
srcs = [P("data", s) for s in ("speaker0", "speaker1", "speaker2")]
# --no-timing: tuning still sweeps and chooses (by recall and the cost model), without the timing loops
common = ["--name", "m", "--no-timing", *srcs]

# --- byte-identical to the single build: tuned ivfpq4fs, 3 parts ------------
run("build", "-o", P("single"), *common)
r = run("build", "-o", P("split3"), "--split", "3", *common)
assert "part     2 of 3: encoded" in r.stdout, r.stdout
assert sha(index_of(P("single"))) == sha(index_of(P("split3")))
assert os.path.basename(index_of(P("single"))) == os.path.basename(index_of(P("split3")))
assert open(P("single", "manifest.json")).read() == open(P("split3", "manifest.json")).read()
assert not os.path.exists(P("split3", ".rvcidx-split")), "the shared work is removed once the index is published"
passed += 1

# --- the held-out speaker starts mid add-batch (rows 12,000 of 18,000): the
# single build ships its tuning index extended with that speaker's rows (each
# row encoded once); the split build adds on the batch grid: same file --------
run("demo", "-o", P("mid"), "--speakers", "3", "--minutes", "2", "--dim", "256", "--prefix", "mid")
mid = ["--name", "mid", "--no-timing", *[P("mid", f"mid{i}") for i in range(3)]]
r = run("build", "-o", P("mid-single"), *mid)
assert "the shipped index is the tuning index plus rows 12000..18000" in r.stderr, r.stderr
run("build", "-o", P("mid-split"), "--split", "2", *mid)
assert sha(index_of(P("mid-single"))) == sha(index_of(P("mid-split")))
m = faiss.read_index(index_of(P("mid-single")))
assert m.ntotal == 18000 and faiss.extract_index_ivf(faiss.downcast_index(m).base_index).nprobe == \
    json.load(open(P("mid-single", "manifest.json")))["indexes"][0]["nprobe"]
passed += 1

# --- ivfflat, uneven parts (7 parts of 2 speakers' rows) --------------------
for opts in (["--index", "ivfflat"], ["--metric", "cosine"]):
    name = opts[1]
    run("build", "-o", P("one-" + name), "--no-tune", *opts, *common)
    run("build", "-o", P("seven-" + name), "--split", "7", "--no-tune", *opts, *common)
    assert sha(index_of(P("one-" + name))) == sha(index_of(P("seven-" + name))), opts
passed += 1

# --- Python faiss 1.7.3 loads the merged index and agrees with the single ---
a = faiss.read_index(index_of(P("single")))
b = faiss.read_index(index_of(P("split3")))
assert a.ntotal == b.ntotal == 3 * 2100
rng = np.random.default_rng(7)
xq = np.ascontiguousarray(faiss.rev_swig_ptr(faiss.downcast_index(a.refine_index).get_xb(), a.ntotal * a.d)
                          .reshape(a.ntotal, a.d)[rng.choice(a.ntotal, 50, replace=False)])
_, ia = a.search(xq, 8)
_, ib = b.search(xq, 8)
assert (ia == ib).all()
passed += 1

# --- stage by stage, as the tasks of a cluster job run them -----------------
stage = lambda *extra, expect=0, env=None: run("build", "-o", P("staged"), "--split", "4", *extra, *common,
                                                expect=expect, env=env)
r = stage("--stage", "prepare")
assert "4 parts, trained and ready" in r.stdout, r.stdout
r = stage("--stage", "finish", expect=3)
assert "-0000-of-0004.index: missing" in r.stderr and "--stage part --part 0" in r.stderr, r.stderr
for i in (0, 1, 3):
    stage("--stage", "part", "--part", str(i))
r = stage("--stage", "part", env={"SLURM_ARRAY_TASK_ID": "2"})
assert "part     2 of 4: encoded" in r.stdout, r.stdout
r = stage("--stage", "part", "--part", "1")
assert "already done" in r.stdout, r.stdout
r = stage("--stage", "prepare")
assert "already prepared" in r.stdout, r.stdout
r = run("build", "-o", P("staged"), "--split", "5", "--stage", "part", "--part", "0", *common, expect=2)
assert "prepared with --split 4, not 5" in r.stderr, r.stderr
r = run("build", "-o", P("staged"), "--split", "4", "--stage", "part", "--part", "0", "--seed", "9", *common, expect=3)
assert "prepared for other inputs or parameters" in r.stderr, r.stderr
r = stage("--stage", "part", expect=2)
assert "needs --part I" in r.stderr, r.stderr
stage("--stage", "finish")
assert sha(index_of(P("staged"))) == sha(index_of(P("single")))
r = stage("--stage", "finish")
assert "up to date" in r.stdout, r.stdout
r = stage("--stage", "part", "--part", "0")
assert "part 0 not needed" in r.stdout, r.stdout
passed += 1

# --- a part stopped by Slurm: SIGTERM (warning or time limit), SIGKILL -----
run("demo", "-o", P("big"), "--speakers", "1", "--minutes", "8", "--prefix", "big")
big = ["--name", "big", "--no-tune", P("big", "big0")]
run("build", "-o", P("killed"), "--split", "2", "--stage", "prepare", *big)
part0_glob = P("killed", ".rvcidx-split", "part-*-0000-of-0002.index")
part0_exists = lambda: bool(glob.glob(part0_glob))


def start_part():
    for f in glob.glob(part0_glob):
        os.unlink(f)
    return subprocess.Popen([rvcidx, "build", "-o", P("killed"), "--split", "2", "--stage", "part", "--part", "0",
                             "--threads", "1", "--no-progress", *big], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_no_half_file(p, err):
    if part0_exists():  # only ever the complete part
        assert p.returncode == 0, (p.returncode, err[-800:])
        assert faiss.read_index(glob.glob(part0_glob)[0]).ntotal == 16384  # whole add batches


# SIGTERM mid-encode stops cleanly (exit 130) with no part file; delays grow
# until one lands before the part is done.
stopped = False
for delay in (0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3):
    p = start_part()
    time.sleep(delay)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    check_no_half_file(p, err)
    if p.returncode == 130:
        assert "stopped" in err or "interrupted" in err, err[-800:]
        assert not part0_exists()
        stopped = True
        break
assert stopped, "no SIGTERM landed while the part was encoding"

# SIGKILL while the part file is being written: no part file under its name.
killed = False
for attempt in range(8):
    p = start_part()
    while p.poll() is None and not glob.glob(P("killed", ".rvcidx-split", ".part-*-0000-of-0002.index.rvcidx-tmp.*")):
        time.sleep(0.002)
    p.kill()
    out, err = p.communicate(timeout=60)
    check_no_half_file(p, err)
    if p.returncode == -signal.SIGKILL:
        assert not part0_exists()
        killed = True
        break
assert killed, "the part always finished before SIGKILL"
run("build", "-o", P("killed"), "--split", "2", *big)  # the resubmitted build completes what is missing
assert not glob.glob(P("killed", ".rvcidx-split", "*")), "stale temporary files are cleaned"
run("build", "-o", P("whole"), *big)
assert sha(index_of(P("killed"))) == sha(index_of(P("whole")))
passed += 1

print(f"split build: {passed} groups passed")
