"""rvcidx.build on frames already in memory (numpy arrays, one per speaker),
as Applio and RVC hold big_npy before they build an index, against the
build tree's library:

- a dict speaker -> array builds the same index, centroids and source
  hashes, byte for byte, as the .npy files numpy.save writes for those
  arrays; a rerun with the same arrays is up to date, a changed value is not;
- a list of arrays (speakers "000", "001", ...), one array alone,
  read-only, Fortran-ordered and float64 arrays; float16 converted;
  per_speaker;
- bad frames: an integer dtype, a 1-D array, 100 columns, a NaN, a speaker
  name that is a path or hidden, paths mixed with arrays: each a one-line
  error naming the speaker, nothing written;
- Ctrl-C (SIGINT) during a build with no progress callback raises
  KeyboardInterrupt and leaves OUTDIR without an index, manifest or
  temporary file."""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))

if os.environ.get("RVCIDX_SANITIZED") == "1":
    print("SKIP: python cannot load an AddressSanitizer library without preloading its runtime (the plain build runs this test)")
    sys.exit(77)
os.environ["RVCIDX_LIBRARY"] = os.environ["RVCIDX_LIB"]
sys.path.insert(0, os.path.join(top, "python"))
import rvcidx  # noqa: E402

tmp = os.path.join(os.environ["TEST_TMP"], "py_python_arrays")
shutil.rmtree(tmp, ignore_errors=True)
os.makedirs(tmp)
P = lambda *a: os.path.join(tmp, *a)
OPTS = dict(threads=1, eval_queries=200, name="m")

subprocess.run([os.environ["RVCIDX"], "demo", "-q", "--no-progress", "-o", P("data"), "--speakers", "3",
                "--minutes", "0.4"], check=True)
speakers = sorted(os.listdir(P("data")))
arrays = {s: np.concatenate([np.load(f) for f in sorted(glob.glob(P("data", s, "3_feature768", "*.npy")))])
          for s in speakers}
for s, a in arrays.items():  # the same frames as one numpy.save'd shard per speaker
    os.makedirs(P("files", s, "3_feature768"))
    np.save(P("files", s, "3_feature768", "frames.npy"), a)
print(f"     frames: {', '.join(f'{s} {a.shape}' for s, a in arrays.items())}")


def index_of(out):
    found = glob.glob(os.path.join(out, "added_*.index"))
    assert len(found) == 1, (out, os.listdir(out))
    return found[0]


def same_bytes(a, b):
    return open(a, "rb").read() == open(b, "rb").read()


def source_hashes(out):
    import h5py
    with h5py.File(os.path.join(out, "store.h5"), "r") as f:
        return [(sp.decode(), h.decode()) for sp, h in zip(f["sources"]["speaker"][:], f["sources"]["sha256"][:])]


def nothing_written(out):
    left = glob.glob(os.path.join(out, "added_*.index")) + glob.glob(os.path.join(out, "*.rvcidx-tmp.*"))
    return not left and not os.path.exists(os.path.join(out, "manifest.json"))


# --- arrays and numpy.save'd files: one source -------------------------------
for a in arrays.values():
    a.setflags(write=False)  # the library only reads them
r_arr = rvcidx.build(arrays, P("out-arr"), **OPTS)
r_files = rvcidx.build([P("files")], P("out-files"), **OPTS)
ia, i_f = index_of(P("out-arr")), index_of(P("out-files"))
assert os.path.basename(ia) == os.path.basename(i_f), (ia, i_f)
assert same_bytes(ia, i_f) and same_bytes(P("out-arr", "centroids.h5"), P("out-files", "centroids.h5"))
assert source_hashes(P("out-arr")) == source_hashes(P("out-files")), (source_hashes(P("out-arr")), source_hashes(P("out-files")))
assert r_arr["indexes"][0]["recall"]["recall_k"] == r_files["indexes"][0]["recall"]["recall_k"]
print(f"ok   a dict of arrays and numpy.save'd files: {os.path.basename(ia)} and centroids.h5 byte-identical, "
      f"source sha256 equal")

again = rvcidx.build(arrays, P("out-arr"), **OPTS)
assert again["unchanged"] is True, again
changed = {s: a.copy() for s, a in arrays.items()}
changed[speakers[1]][5, 7] += 0.25
after = rvcidx.build(changed, P("out-arr"), **OPTS)
assert after["unchanged"] is False, after
assert source_hashes(P("out-arr"))[1][1] != source_hashes(P("out-files"))[1][1]
print("ok   the same arrays again: up to date; one value changed: rebuilt, its source hash differs")

# --- a list, Fortran order, float64, float16 ---------------------------------
as_list = [np.asfortranarray(arrays[s]) for s in speakers]
r_list = rvcidx.build(as_list, P("out-list"), threads=1, eval_queries=200)
il = index_of(P("out-list"))
assert "_frames_v2.index" in il, il  # the default model name
assert [sp for sp, _ in source_hashes(P("out-list"))] == ["000", "001", "002"], source_hashes(P("out-list"))
assert [h for _, h in source_hashes(P("out-list"))] == [h for _, h in source_hashes(P("out-files"))]
print(f"ok   a list of Fortran-ordered arrays: speakers 000-002, same hashes, {os.path.basename(il)}")

one = rvcidx.build(arrays[speakers[0]], P("out-one"), threads=1, eval_queries=200)
assert [sp for sp, _ in source_hashes(P("out-one"))] == ["000"], source_hashes(P("out-one"))
assert source_hashes(P("out-one"))[0][1] == source_hashes(P("out-files"))[0][1]
print("ok   one array alone: one speaker, 000, its file's hash")

r64 = rvcidx.build({s: a.astype(np.float64) for s, a in arrays.items()}, P("out-f64"), **OPTS)
assert same_bytes(index_of(P("out-f64")), i_f), "float64 copies of float32 frames built another index"
r16 = rvcidx.build({s: a.astype(np.float16) for s, a in arrays.items()}, P("out-f16"), **OPTS)
assert r16["indexes"][0]["recall"]["recall_k"] >= 0.95, r16["indexes"][0]["recall"]
print("ok   float64 frames: the float32 index byte for byte; float16 frames: converted, built")

r_ps = rvcidx.build(arrays, P("out-ps"), per_speaker=True, **OPTS)
assert sorted(os.path.basename(os.path.dirname(ix["index_path"])) for ix in r_ps["indexes"]) == speakers, r_ps["indexes"]
print(f"ok   per_speaker: one index per speaker ({', '.join(speakers)})")

# --- bad frames ----------------------------------------------------------------
first = arrays[speakers[0]]
nan = first.copy()
nan[17, 3] = np.nan
cases = [
    ({"ints": first.astype(np.int32)}, rvcidx.BadInput, ["ints", "dtype"]),
    ({"flat": first[0]}, rvcidx.BadInput, ["flat", "shape"]),
    ({"narrow": first[:, :100]}, rvcidx.BadInput, ["narrow", "100 columns"]),
    ({"nan": nan}, rvcidx.BadInput, ["1 bad shard", "store.h5 was not changed"]),  # its own line is logged
    ({"../escape": first}, rvcidx.BadInput, ["../escape", "folder name"]),
    ({".hidden": first}, rvcidx.BadInput, [".hidden", "folder name"]),
    ([first, P("files")], rvcidx.BadParameter, ["path among arrays"]),
]
for n, (sources, cls, words) in enumerate(cases):
    out = P(f"bad{n}")
    try:
        rvcidx.build(sources, out, **OPTS)
        raise AssertionError(f"case {n} ({words[0]}): no exception")
    except cls as e:
        message = e.message
        # raised by the package or the library: the status is the library's own for that class
        assert e.name == {"BadInput": "RVCIDX_EINPUT", "BadParameter": "RVCIDX_EINVAL"}[cls.__name__], e.name
        assert rvcidx._lib.load().rvcidx_err_name(e.status).decode() == e.name, (e.status, e.name)
    assert all(w in message for w in words), (words, message)
    assert "\n" not in message, message
    assert not os.path.exists(out) or nothing_written(out), (out, os.listdir(out))
    print(f"ok   {cls.__name__}: {message}")

# skip_bad leaves the NaN speaker out; its source still gets the hash of the file numpy.save writes
import hashlib, io  # noqa: E401,E402
rvcidx.build({speakers[0]: first, "nan": nan, speakers[2]: arrays[speakers[2]]}, P("out-skip"), skip_bad=True, **OPTS)
saved = io.BytesIO()
np.save(saved, nan)
with __import__("h5py").File(P("out-skip", "store.h5"), "r") as f:
    src = {sp.decode(): (st.decode(), h.decode()) for sp, st, h in
           zip(f["sources"]["speaker"][:], f["sources"]["status"][:], f["sources"]["sha256"][:])}
assert src["nan"] == ("rejected", hashlib.sha256(saved.getvalue()).hexdigest()), src["nan"]
print("ok   skip_bad: the NaN speaker left out, recorded with the sha256 of its numpy.save'd file")

# --- Ctrl-C with no progress callback -------------------------------------------
big = {s: np.concatenate([a] * 4) for s, a in arrays.items()}  # long enough to be interrupted mid-build
timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
start = time.time()
timer.start()
try:
    rvcidx.build(big, P("out-int"), **OPTS)
    raise AssertionError(f"SIGINT after 1 s: the build finished ({time.time() - start:.1f} s) without raising")
except KeyboardInterrupt:
    took = time.time() - start
finally:
    timer.cancel()
assert nothing_written(P("out-int")), os.listdir(P("out-int"))
print(f"ok   SIGINT at 1 s, no progress callback: KeyboardInterrupt after {took:.1f} s, no index, manifest or temp file")
print("python arrays: all passed")
