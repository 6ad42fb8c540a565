"""`rvcidx plan` and the build's own plan check in every mode, at scale
(issue 29), on sparse trees: numpy's open_memmap writes a real .npy header
and leaves the rows unwritten, so a 10M x 768 tree of 40 speakers costs
no disk and the plan, which reads only headers, sees 30 GB of frames.

Each mode's figures are pinned to the formulas they come from (the index
layout of rvcidx_index_predict_bytes, auto nlist, the stage model of
src/pipeline/plan.c), not to output: an unbudgeted index; `--max-vectors`
and `--max-app-memory` (the index of the kept vectors, the reduction, the
disk of reduced.h5); `--per-speaker` with and without a budget (the largest
speaker's index, every index on disk); `--refine fp16` and `--index auto`
(the copies their tuning holds; at 1M x 768 within 15% of bench/RESULTS.md
§12's measured peaks, with every vector held); `--split 4` (the parts, the
merge). Past RVCIDX_ROWS_IN_MEMORY one index, fp16 and auto hold no floats
(read by id): a 10M index fits 24 GiB of memory and only disk refuses it,
while held in memory they are refused; a refusal never suggests the mode
in use; `--assume-memory` / `--assume-disk` / RVCIDX_ASSUME_* let a refused
plan pass (and a build, with one warning line), `--no-plan-check` skips the
check with a warning, and a bad RVCIDX_ASSUME_DISK exits 2 naming it."""
import math
import os
import re
import subprocess
import sys

import numpy as np

rvcidx = os.environ["RVCIDX"]
tmp = os.path.join(os.environ["TEST_TMP"], "py_plan_scale")
subprocess.run(["rm", "-rf", tmp], check=True)
os.makedirs(tmp)
P = lambda *a: os.path.join(tmp, *a)
passed = 0

D = 768
VEC = D * 4
MIB = 1 << 20
GIB = 1 << 30
BASE = 64 * MIB  # each stage's process and libraries
BATCH = 16384  # rows per add batch
QUERIES = 1000  # eval's default sample
TRUTH_BLOCK = 16384  # rows of eval's ground truth searched at once when the vectors are read from the store
ROWS_IN_MEMORY = 256 * MIB  # past it, the tuning index and eval read the vectors by id
THREADS = 2  # pinned, as on bench/RESULTS.md's 2-core machine
# Every plan below counts on 24 GiB of memory at most and this much disk: the
# same answers on any machine with that much free.
LIMITS = {"RVCIDX_MEMORY_LIMIT": "24G", "RVCIDX_DISK_LIMIT": "100G"}
ROOMY = {"RVCIDX_ASSUME_DISK": "100G", "RVCIDX_ASSUME_MEMORY": "24G"}  # a 24 GiB node with 100 GiB of disk, whatever this one has free


def tree(root, total, speakers, shards=2):
    """ROOT/<speaker>/3_feature768/0_<j>.npy, as `rvcidx demo` lays it out; rows never written."""
    per = total // speakers
    for s in range(speakers):
        d = os.path.join(root, "speaker%02d" % s, "3_feature768")
        os.makedirs(d)
        for j in range(shards):
            rows = per // shards if j < shards - 1 else per - per // shards * (shards - 1)
            np.lib.format.open_memmap(os.path.join(d, "0_%d.npy" % j), mode="w+", dtype="<f4", shape=(rows, D))
    return root


# ---- the formulas (include/rvcidx/index.h, src/pipeline/plan.c) -------------

def auto_nlist(n):
    return max(min(int(2 * math.sqrt(n)), n // 39), 1)


def index_bytes(n, nlist, refine="flat", ivfflat=False):
    """rvcidx_index_predict_bytes."""
    fixed = 4096 + nlist * D * 4 + nlist * 16
    if ivfflat:
        return fixed + n * (D * 4 + 8)
    m2 = (D // 2 + 1) // 2 * 2
    padded = n + 31 * min(nlist, n)
    per_row = {"flat": 4, "fp16": 2, "sq8": 1}[refine]
    return fixed + 64 * D + n * 8 + padded * m2 // 2 + n * D * per_row + (8 * D if refine == "sq8" else 0)


def grown(idx, refine):
    """plan.c's grown_by_adds: a FastScan index's lists, filled by adds, hold 1.44 times their size."""
    lists = idx - refine
    return refine + lists + lists * 44 // 100


def store_bytes(rows, files):
    return rows * VEC + files * 512 + MIB


def centroids_bytes(nlist):
    return nlist * VEC + 64 * 1024


def swept_nprobe(nlist):
    np_ = 1
    while np_ * 10 < nlist and np_ < nlist:
        np_ *= 2
    return min(np_, nlist)


def residual_lut_bytes(nq, nprobe):
    """x4fsr's look-up tables (float + uint8 per query and list probed) for one eval call: eval
    takes as many queries a call as fill 256 MiB of them (at most 256, at least 1)."""
    per = D // 2 * 16 * nprobe * 5
    chunk = min(max((256 * MIB) // per, 1), 256)
    return min(nq, chunk) * per


def app_bytes(n):
    """What `max_app_memory` counts for n vectors (reduce.c): file plus reconstruct_n's copy."""
    return (D * 4 + D * 4 + 8 + D / 4) * n + auto_nlist(n) * D * 4 + 65536


def app_budget(limit, rows):
    lo, hi = 0, rows
    while lo < hi:
        mid = lo + (hi - lo + 1) // 2
        lo, hi = (mid, hi) if app_bytes(mid) <= limit else (lo, mid - 1)
    return lo


# ---- running and reading plans -----------------------------------------------

FIG = r"([0-9]+\.[0-9]+)"


def run(cmd, *args, env=None, expect=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("RVCIDX_") or k == "RVCIDX"}
    e.update(LIMITS)
    e.update(env or {})
    r = subprocess.run([rvcidx, cmd, "--no-progress", *args], capture_output=True, text=True, env=e)
    if expect is not None:
        assert r.returncode == expect, (cmd, args, env, r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    return r


def plan(src, *args, env=None, expect=None):
    r = run("plan", "--threads", str(THREADS), "-o", P("out"), src, *args, env=env, expect=expect)
    return parse(r.stdout), r


def parse(out):
    f = {}
    m = re.search(r"^sizes    store %s GiB, centroids %s GiB, index %s GiB.*; tuned on an index of (\d+) rows$"
                  % (FIG, FIG, FIG), out, re.M)
    assert m, out
    f["store"], f["centroids"], f["index"], f["eval_rows"] = float(m[1]), float(m[2]), float(m[3]), int(m[4])
    m = re.search(r"^disk     %s GiB needed .*, %s GiB (free|assumed)" % (FIG, FIG), out, re.M)
    f["disk"], f["disk_room"], f["disk_word"] = float(m[1]), float(m[2]), m[3]
    m = re.search(r"^memory   peak %s GiB \(ingest %s, train %s, encode %s, eval %s(?:, reduce %s)?(?:, merge %s)?\), "
                  r"%s GiB (available|assumed)" % ((FIG,) * 8), out, re.M)
    assert m, out
    for i, k in enumerate(["peak", "ingest", "train", "encode", "eval", "reduce", "merge", "ram_room"]):
        f[k] = float(m[i + 1]) if m[i + 1] else 0.0
    f["ram_word"] = m[9]
    m = re.search(r"^budget   .* keeps (\d+) vectors .*reduction peak %s GiB, reduced\.h5 %s GiB" % (FIG, FIG), out, re.M)
    f["budget"], f["reduced"] = (int(m[1]), float(m[3])) if m else (0, 0.0)
    m = re.search(r"^indexes  (\d+), the largest of (\d+) rows \(%s GiB\)" % FIG, out, re.M)
    f["indexes"], f["largest_rows"], f["largest"] = (int(m[1]), int(m[2]), float(m[3])) if m else (1, 0, 0.0)
    m = re.search(r"^split    (\d+) parts", out, re.M)
    f["split"] = int(m[1]) if m else 0
    return f


def near(name, got_gib, want_bytes, places=2):
    """The figure printed with `places` decimals in GiB is the formula's, to its rounding."""
    tol = 0.6 * 10 ** -places + 1e-4 * want_bytes / GIB
    assert abs(got_gib - want_bytes / GIB) <= tol, f"{name}: printed {got_gib} GiB, formula {want_bytes / GIB:.4f} GiB"


def case(what):
    global passed
    passed += 1
    print("ok  ", what)


# ---- the trees ----------------------------------------------------------------

t10 = tree(P("t10m"), 10_000_000, 40)
probe = P("t10m", "speaker00", "3_feature768", "0_0.npy")
if os.stat(probe).st_blocks * 512 > 64 * MIB:
    print("skip: this filesystem does not keep the trees' unwritten rows sparse")
    sys.exit(77)
t5 = tree(P("t5m"), 5_000_000, 40)
t1 = tree(P("t1m"), 1_000_000, 4, shards=4)
N, FILES, SPK = 10_000_000, 80, 40
PER = N // SPK
HELD = N - 3 * PER  # the tuning index: all but the last 3 speakers (held out: at most 3, at most half of the rows)
NL = auto_nlist(N)
STORE = store_bytes(N, FILES)

# ---- one index of every row: disk bounds it, not memory ---------------------------

u, r = plan(t10, env=ROOMY, expect=0)
IDX = index_bytes(N, NL)
near("index", u["index"], IDX)
near("store", u["store"], STORE)
assert u["eval_rows"] == HELD, u
near("disk", u["disk"], STORE + centroids_bytes(NL) + IDX)  # a first build: the index renamed into place
# a rebuild appends to a copy of the store and writes the new index beside the old one
os.makedirs(P("out"), exist_ok=True)
open(P("out", "store.h5"), "w").close()
ur, _ = plan(t10, expect=8)
os.remove(P("out", "store.h5"))
near("rebuild disk", ur["disk"], 2 * STORE + centroids_bytes(NL) + 2 * IDX)
# Past RVCIDX_ROWS_IN_MEMORY no float is held: the tuning index re-ranks with
# rows read by id, eval searches the truth a block at a time, the file gets
# the rows streamed. What is held: the PQ codes and ids.
FLOATS, FLOATS_HELD = N * VEC, HELD * VEC
near("encode", u["encode"], BASE + grown(index_bytes(N, NL), FLOATS) - FLOATS + BATCH * VEC)
near("eval", u["eval"], BASE + grown(index_bytes(HELD, NL), FLOATS_HELD) - FLOATS_HELD + 2 * TRUTH_BLOCK * VEC + QUERIES * VEC)
assert u["peak"] <= N * VEC / GIB / 2 / 3, u  # under a sixth of the data
ul, rl = plan(t10, env={"RVCIDX_DISK_LIMIT": "50G"}, expect=8)
assert "GiB of disk" in rl.stderr and "--max-vectors" in rl.stderr and "memory" not in rl.stderr.split("disk")[0], rl.stderr
small, _ = plan(t10, env={"RVCIDX_ROWS_IN_MEMORY": "64G"}, expect=8)  # the old model: every float of the tuning index
near("in-memory encode", small["encode"], BASE + grown(index_bytes(HELD, NL), FLOATS_HELD) + BATCH * VEC)
case(f"10M x 768, 40 speakers, one index: 30.5 GiB index, peak {u['peak']} GiB: fits 24 GiB; only disk refuses it")

# ---- a budget: the index of the kept vectors -------------------------------------

b, r = plan(t10, "--max-vectors", "1000000")
K, NLK = 1_000_000, auto_nlist(1_000_000)
assert b["budget"] == K and b["eval_rows"] == K, b
near("budget index", b["index"], index_bytes(K, NLK))
near("reduced.h5", b["reduced"], K * VEC + MIB)
near("budget disk", b["disk"], STORE + K * VEC + MIB + centroids_bytes(NLK) + index_bytes(K, NLK))
near("budget encode", b["encode"], BASE + grown(index_bytes(K, NLK), K * VEC) + BATCH * VEC)
near("budget eval", b["eval"], BASE + grown(index_bytes(K, NLK), K * VEC) + QUERIES * VEC)
near("budget train", b["train"], BASE + 64 * NLK * (VEC + 12) + NLK * VEC * 2 + 16 * MIB)
assert b["reduce"] > 0.06 and b["peak"] == max(b["reduce"], b["encode"], b["eval"], b["train"]), b
assert b["peak"] < 24 and b["disk"] < 0.6 * u["disk"], (b, u)
if b["ram_room"] >= b["peak"] and b["disk_room"] >= b["disk"]:
    assert r.returncode == 0, r.stderr
else:  # a machine with less free than the limits: the plan must still say so honestly
    assert r.returncode == 8, r.stderr
case(f"--max-vectors 1000000: a 1M index ({b['index']} GiB), peak {b['peak']} GiB: fits where the unbudgeted does not")

a, _ = plan(t10, "--max-app-memory", "4G")
KA = app_budget(4 * GIB, N)
assert abs(a["budget"] - KA) <= KA // 1000, (a["budget"], KA)
near("app-memory index", a["index"], index_bytes(a["budget"], auto_nlist(a["budget"])))
assert a["eval_rows"] == a["budget"] and a["reduce"] > 0, a
case(f"--max-app-memory 4G: {a['budget']} vectors kept, their index planned")

# ---- per speaker ----------------------------------------------------------------

s, _ = plan(t10, "--per-speaker")
NLS = auto_nlist(PER)
assert s["indexes"] == SPK and s["largest_rows"] == PER and s["eval_rows"] == PER, s
near("largest", s["largest"], index_bytes(PER, NLS))
near("all indexes", s["index"], SPK * index_bytes(PER, NLS))
near("per-speaker disk", s["disk"], STORE + SPK * centroids_bytes(NLS) + SPK * index_bytes(PER, NLS))
near("per-speaker peak", s["peak"], BASE + grown(index_bytes(PER, NLS), PER * VEC) + BATCH * VEC)  # all held
assert s["peak"] < 1.5, s
case(f"--per-speaker: 40 indexes, the largest {s['largest']} GiB, peak {s['peak']} GiB")

sb, _ = plan(t10, "--per-speaker", "--max-vectors", "100000")
KS, NLKS = 100_000, auto_nlist(100_000)
assert sb["indexes"] == SPK and sb["largest_rows"] == KS and sb["budget"] == KS, sb
near("budgeted per-speaker indexes", sb["index"], SPK * index_bytes(KS, NLKS))
near("budgeted per-speaker disk", sb["disk"],
     STORE + SPK * centroids_bytes(NLKS) + SPK * index_bytes(KS, NLKS) + KS * VEC + MIB)
assert 0 < sb["reduce"] and sb["peak"] < s["peak"] + sb["reduce"], sb
case("--per-speaker --max-vectors 100000: 40 indexes of 100000 vectors each")

# ---- refine fp16, index auto, split -------------------------------------------------

f, r = plan(t10, "--refine", "fp16", env=ROOMY, expect=0)
near("fp16 index", f["index"], index_bytes(N, NL, "fp16"))
# the lossy refine past the limit: codes neither held nor copied; eval reads vectors by id, the app's reconstructed
near("fp16 eval", f["eval"],
     BASE + grown(index_bytes(HELD, NL, "fp16"), HELD * D * 2) - HELD * D * 2 + 2 * TRUTH_BLOCK * VEC + QUERIES * VEC)
near("fp16 encode", f["encode"], BASE + grown(index_bytes(N, NL, "fp16"), N * D * 2) - N * D * 2 + BATCH * VEC)
assert f["peak"] <= N * VEC / GIB / 2 / 3, f
fo, ro = plan(t10, "--refine", "fp16", env={"RVCIDX_ROWS_IN_MEMORY": "64G"}, expect=8)
near("in-memory fp16 eval", fo["eval"],
     BASE + grown(index_bytes(HELD, NL, "fp16"), HELD * D * 2) + 3 * HELD * VEC + QUERIES * VEC)
assert "--refine" not in ro.stderr, ro.stderr
case(f"--refine fp16: index {f['index']} GiB, peak {f['peak']} GiB; held in memory, refused, not suggesting --refine")

x, r = plan(t10, "--index", "auto", env=ROOMY, expect=0)
# IVF-Flat holds every vector in its lists: past the limit it is listed, not built
fsr_eval = (BASE + grown(index_bytes(HELD, NL), FLOATS_HELD) - FLOATS_HELD + 2 * TRUTH_BLOCK * VEC + QUERIES * VEC +
            residual_lut_bytes(QUERIES, swept_nprobe(NL)))
near("auto eval", x["eval"], fsr_eval)
near("auto disk", x["disk"], STORE + centroids_bytes(NL) + 2 * IDX)  # the best candidate beside the next
assert x["peak"] <= N * VEC / GIB / 2 / 3, x
xo, ro = plan(t10, "--index", "auto", env={"RVCIDX_ROWS_IN_MEMORY": "64G"}, expect=8)
flat_eval = BASE + index_bytes(HELD, NL, ivfflat=True) + 2 * HELD * VEC + QUERIES * VEC
near("in-memory auto eval", xo["eval"], flat_eval)
assert "--index" not in ro.stderr, ro.stderr
case(f"--index auto: peak {x['peak']} GiB, IVF-Flat not built; held in memory {xo['eval']} GiB, refused")

sp, r = plan(t10, "--split", "4", env=ROOMY, expect=0)
part = index_bytes(N // 4, NL)
assert sp["split"] == 4, sp
# the merge: the PQ lists and one part at a time, the refine storage copied from the part files
near("split merge", sp["merge"], BASE + grown(IDX, N * VEC) - N * VEC + part)
near("split encode", sp["encode"], BASE + part + BATCH * VEC)  # a part; the finish's tuning index reads by id
near("split eval", sp["eval"],
     BASE + grown(index_bytes(HELD, NL), FLOATS_HELD) - FLOATS_HELD + 2 * TRUTH_BLOCK * VEC + QUERIES * VEC)
near("split disk", sp["disk"], STORE + 2 * centroids_bytes(NL) + 2 * IDX)  # no tuning index file
assert sp["peak"] <= N * VEC / GIB / 2, sp
spo, ro = plan(t10, "--split", "4", env={"RVCIDX_ROWS_IN_MEMORY": "64G"}, expect=8)
near("in-memory split disk", spo["disk"], STORE + 2 * centroids_bytes(NL) + 2 * IDX + index_bytes(HELD, NL))
assert "--split" not in ro.stderr and "--per-speaker" not in ro.stderr, ro.stderr  # per-speaker cannot split
case(f"--split 4: parts of 2.5M rows, merge peak {sp['merge']} GiB (a part and the PQ lists)")

# ---- 1M x 768: the plan against the peaks bench/RESULTS.md §12 measured ------------

# measured with every vector in memory (before RVCIDX_ROWS_IN_MEMORY): that path, planned so. §12's
# 4 speakers of 250k tuned on 750k rows (one held out); 4 equal speakers now hold 2 out, so the same
# 1M rows as 250k, 500k and 250k give the tuning index §12 measured.
t1b = P("t1m-b")
for s_, rows in enumerate([250_000, 500_000, 250_000]):
    d = os.path.join(t1b, "speaker%02d" % s_, "3_feature768")
    os.makedirs(d)
    for j in range(4):
        np.lib.format.open_memmap(os.path.join(d, "0_%d.npy" % j), mode="w+", dtype="<f4", shape=(rows // 4, D))
for opts, measured_mib in [((), 2538), (("--refine", "fp16"), 7989), (("--index", "auto"), 7281)]:
    one, _ = plan(t1b, *opts, env={"RVCIDX_ROWS_IN_MEMORY": "64G"})
    assert one["eval_rows"] == 750_000, one
    ratio = one["peak"] * 1024 / measured_mib
    assert 0.85 <= ratio <= 1.15, (opts, one["peak"], measured_mib)
    case(f"1M {' '.join(opts) or 'default'}: plan {one['peak']} GiB against {measured_mib} MiB measured ({ratio:.2f})")

# ---- disk: 5M frames, a 1M budget ------------------------------------------------------

d5 = {"RVCIDX_DISK_LIMIT": "25G"}
b5, r = plan(t5, "--max-vectors", "1000000", env=d5)
near("5M budget disk", b5["disk"], store_bytes(5_000_000, FILES) + K * VEC + MIB + centroids_bytes(NLK) +
     index_bytes(K, NLK))
u5, r5 = plan(t5, env=d5, expect=8)
assert b5["disk"] < 25 < u5["disk"], (b5, u5)
assert "GiB of disk" in r5.stderr and "free space" in r5.stderr, r5.stderr
if b5["disk_room"] >= b5["disk"] and b5["ram_room"] >= b5["peak"]:
    assert r.returncode == 0, r.stderr
case(f"5M, --max-vectors 1000000: {b5['disk']} GiB of disk (store, reduced.h5, a 1M index), not {u5['disk']}")

# ---- refusals never suggest the mode in use ------------------------------------------

r = run("build", "--per-speaker", "-o", P("never"), t10, env={"RVCIDX_MEMORY_LIMIT": "300M"}, expect=8)
assert "refused before starting" in r.stderr and "--per-speaker" not in r.stderr, r.stderr
assert "--max-vectors" in r.stderr, r.stderr
r = run("build", "--max-vectors", "1000000", "-o", P("never"), t10,
        env={"RVCIDX_MEMORY_LIMIT": "1G", "RVCIDX_DISK_LIMIT": "10G"}, expect=8)
assert "--max-vectors" not in r.stderr and "--max-app-memory" not in r.stderr, r.stderr
assert "--per-speaker" in r.stderr and "free space" in r.stderr, r.stderr
r = run("build", "--per-speaker", "--max-vectors", "100000", "-o", P("never"), t10,
        env={"RVCIDX_MEMORY_LIMIT": "100M"}, expect=8)
assert not re.search(r"--per-speaker|--max-vectors|--max-app-memory", r.stderr), r.stderr
assert not os.path.exists(P("never", "store.h5"))
case("build refusals (per-speaker; a budget; both) suggest only what is not in use; nothing written")

# ---- overrides: the user who knows better -----------------------------------------------

over = ["--assume-memory", "64G", "--assume-disk", "200G"]
o, r = plan(t10, *over, expect=0)
assert o["ram_word"] == "assumed" and o["ram_room"] == 64.0 and o["disk_word"] == "assumed" and o["disk_room"] == 200.0, o
assert re.search(r"64\.0 GiB assumed \([0-9.]+ available\)", r.stdout), r.stdout
o, r = plan(t10, env={"RVCIDX_ASSUME_MEMORY": "64G", "RVCIDX_ASSUME_DISK": "200G"}, expect=0)
assert o["ram_room"] == 64.0 and o["disk_room"] == 200.0, o
o, r = plan(t10, "--assume-memory", "64G", "--assume-disk", "200G", env={"RVCIDX_ASSUME_MEMORY": "1G"}, expect=0)
case("--assume-memory/--assume-disk and RVCIDX_ASSUME_* replace what the machine shows; the option wins")

o, r = plan(t10, "--max-vectors", "1000000", "--assume-memory", "1G", expect=8)
assert o["ram_room"] == 1.0 and "(1.0 assumed)" in r.stderr, r.stderr
case("an assumption below what the machine shows refuses too")

o, r = plan(t10, "--no-plan-check", env={"RVCIDX_MEMORY_LIMIT": "1G"}, expect=0)
assert "--no-plan-check" in r.stderr and "would go ahead" in r.stderr, r.stderr
case("plan --no-plan-check: exit 0, saying the build would go ahead")

for var, value in [("RVCIDX_ASSUME_DISK", "abc"), ("RVCIDX_ASSUME_MEMORY", "0")]:
    r = run("plan", "-o", P("out"), t10, env={var: value}, expect=2)
    assert f"{var}={value}: not a size" in r.stderr, r.stderr
r = run("plan", "-o", P("out"), t10, "--assume-memory", "lots", expect=2)
assert "--assume-memory: 'lots' is not a size" in r.stderr, r.stderr
case("RVCIDX_ASSUME_DISK=abc, RVCIDX_ASSUME_MEMORY=0, --assume-memory lots: exit 2, named")

# A real (tiny) build refused by a machine that shows nothing free, then let through.
run("demo", "-q", "-o", P("tiny"), "--speakers", "2", "--minutes", "0.2", expect=0)
none_free = {"RVCIDX_MEMORY_LIMIT": "1M", "RVCIDX_DISK_LIMIT": "1M"}
fast = ["--threads", "1", "--no-timing", "--eval-queries", "200"]
r = run("build", "-o", P("tiny-out0"), P("tiny"), *fast, env=none_free, expect=8)
assert not os.path.exists(P("tiny-out0", "store.h5"))
r = run("build", "-o", P("tiny-out1"), P("tiny"), *fast, "--assume-memory", "8G", "--assume-disk", "1G", env=none_free,
        expect=0)
warned = [l for l in r.stderr.splitlines() if "warn:" in l and "counts on" in l]
assert len(warned) == 1 and "--assume-memory" in warned[0] and "--assume-disk" in warned[0], r.stderr
assert "0.0 GiB seen" in warned[0] and "0.0 GiB free" in warned[0], warned
r = run("build", "-o", P("tiny-out2"), P("tiny"), *fast,
        env=dict(none_free, RVCIDX_ASSUME_MEMORY="8G", RVCIDX_ASSUME_DISK="1G"), expect=0)
warned = [l for l in r.stderr.splitlines() if "warn:" in l and "counts on" in l]
assert len(warned) == 1 and "RVCIDX_ASSUME_MEMORY" in warned[0] and "RVCIDX_ASSUME_DISK" in warned[0], r.stderr
r = run("build", "-o", P("tiny-out3"), P("tiny"), *fast, "--no-plan-check", env=none_free, expect=0)
assert re.search(r"warn: .*not checked .*--no-plan-check", r.stderr), r.stderr
for d in ["tiny-out1", "tiny-out2", "tiny-out3"]:
    assert os.path.exists(P(d, "manifest.json")), d
case("build: refused (exit 8), then built with --assume-*, RVCIDX_ASSUME_* (one warning line each) and --no-plan-check")

# --per-model: each model's plan, then all of them together (their files stay while the next builds)
def per_model_plan(*args, expect=0):
    r = run("build", "--plan", "--per-model", "-o", P("pm-out"), t5, *args, expect=expect)
    models = [parse(part) for part in r.stdout.split("\nmodel    ")]
    m = re.search(r"^all      (\d+) models: disk %s GiB needed .*free: (fits|DOES NOT FIT); memory peak %s GiB \((\d+) "
                  r"builds? at once\)" % (FIG, FIG), r.stdout, re.M)
    assert m, r.stdout[-1500:]
    return models, int(m[1]), float(m[2]), m[3], float(m[4]), int(m[5]), r
models, n, disk, fits, peak, at_once, r = per_model_plan("--assume-disk", "100G", "--assume-memory", "24G")
files = sum(m["store"] + m["centroids"] + m["index"] for m in models)
assert n == len(models) == 40 and at_once == 1 and fits == "fits", (n, len(models), at_once, fits)
assert files - 0.6 <= disk <= sum(m["disk"] for m in models) + 0.2, (files, disk)  # each figure printed to 0.01 GiB
assert abs(peak - max(m["peak"] for m in models)) <= 0.01, peak
_, _, disk2, _, peak2, at_once2, _ = per_model_plan("--jobs", "4", "--assume-disk", "100G", "--assume-memory", "24G")
assert at_once2 == 4 and abs(peak2 - 4 * peak) <= 0.05 and disk2 >= disk, (peak2, peak, disk2, disk)
one = max(m["disk"] for m in models)
_, _, _, fits3, _, _, r = per_model_plan("--assume-disk", "%.2fG" % (one * 3), "--assume-memory", "24G", expect=8)
assert fits3 == "DOES NOT FIT" and "40 models together do not fit" in r.stderr, r.stderr
case(f"--per-model: 40 models need {disk} GiB of disk together ({files:.2f} of files), peak {peak} GiB; "
     f"with --jobs 4 {peak2} GiB; refused (exit 8) when each fits but not all")

print(f"test_plan_scale: {passed} checks passed")
