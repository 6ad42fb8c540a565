"""`rvcidx ingest` read back with h5py: /features equals what RVC would
concatenate (speaker dirs sorted, then sorted(os.listdir()) of each feature
folder, every shard np.load-ed and astype(np.float32)), over a tree mixing the
demo's shards with ones numpy wrote itself: names that sort differently as
numbers and as bytes, a space, a non-ASCII model directory, the dtypes '<f2',
'>f4', '<f8', a version 2.0 header, and a file that is not .npy. The /sources
and /speakers tables and the attributes say the same, and h5dump reads it."""
import hashlib
import os
import subprocess

import h5py
import numpy as np

rvcidx = os.environ["RVCIDX"]
root = os.path.join(os.environ["TEST_TMP"], "py_ingest")
tree = os.path.join(root, "tree")
store = os.path.join(root, "store.h5")
subprocess.run(["rm", "-rf", root], check=True)
subprocess.run([rvcidx, "demo", "-o", tree, "--speakers", "2", "--minutes", "0.2", "--quiet"], check=True)

# A model directory written by numpy itself.
rng = np.random.default_rng(7)
feat = os.path.join(tree, "falante_ç", "3_feature768")
os.makedirs(feat)
np.save(os.path.join(feat, "10_0.npy"), rng.standard_normal((50, 768)).astype("<f4"))
np.save(os.path.join(feat, "2_0.npy"), rng.standard_normal((40, 768)).astype("<f2"))
np.save(os.path.join(feat, "a b.npy"), rng.standard_normal((30, 768)).astype(">f4"))
np.save(os.path.join(feat, "0_0.npy"), rng.standard_normal((20, 768)) * 3.3)  # '<f8', rounds to f32
with open(os.path.join(feat, "v2 header.npy"), "wb") as f:
    np.lib.format.write_array(f, rng.standard_normal((10, 768)).astype("<f4"), version=(2, 0))
with open(os.path.join(feat, "notes.txt"), "w") as f:
    f.write("not a shard\n")
with open(os.path.join(feat, "v2 header.npy"), "rb") as f:
    assert f.read(8) == b"\x93NUMPY\x02\x00"

run = subprocess.run([rvcidx, "ingest", "-o", store, tree, "--no-progress"],
                     capture_output=True, text=True)
assert run.returncode == 0, run.stderr
assert "(created)" in run.stdout, run.stdout

# What RVC concatenates, file by file.
expected, sources = [], []
for spk in sorted(os.listdir(tree)):
    d = os.path.join(tree, spk, "3_feature768")
    for name in sorted(os.listdir(d)):
        if not name.endswith(".npy"):
            continue
        path = os.path.join(d, name)
        a = np.load(path)
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        sources.append((spk, "3_feature768/" + name, sha, a.dtype.str, len(a)))
        expected.append(a.astype(np.float32))
x = np.concatenate(expected)
assert [s[0] for s in sources][:5] == ["falante_ç"] * 5
assert [s[1] for s in sources][:5] == ["3_feature768/" + n for n in
                                       ["0_0.npy", "10_0.npy", "2_0.npy", "a b.npy", "v2 header.npy"]]

passed = 0


def check(name, cond, detail=""):
    global passed
    assert cond, f"{name}: {detail}"
    print("ok  ", name)
    passed += 1


with h5py.File(store, "r") as h:
    feats = h["features"]
    check("features dtype/shape", feats.dtype == np.float32 and feats.shape == x.shape,
          (feats.dtype, feats.shape, x.shape))
    check("features equal RVC's concatenation, bit for bit",
          np.array_equal(feats[:].view(np.uint32), x.view(np.uint32)))
    check("attributes dim/rvc_version/rows",
          h.attrs["dim"] == 768 and h.attrs["rvc_version"] == "v2" and h.attrs["rows"] == len(x),
          dict(h.attrs))

    src = {k: h["sources"][k] for k in h["sources"]}
    strings = {k: list(src[k].asstr()[:]) for k in ("speaker", "path", "sha256", "dtype", "status", "note")}
    check("/sources lists every shard in order",
          list(zip(strings["speaker"], strings["path"])) == [(s[0], s[1]) for s in sources],
          strings["path"])
    check("/sources sha256 of each file", strings["sha256"] == [s[2] for s in sources])
    check("/sources dtype as stored", strings["dtype"] == [s[3] for s in sources], strings["dtype"])
    check("/sources status ok, no notes",
          set(strings["status"]) == {"ok"} and set(strings["note"]) == {""})
    rows = [s[4] for s in sources]
    check("/sources rows and first_row", list(src["rows"][:]) == rows and
          list(src["first_row"][:]) == list(np.cumsum([0] + rows[:-1])))

    spk = h["speakers"]
    names = list(spk["name"].asstr()[:])
    per_speaker = {n: sum(s[4] for s in sources if s[0] == n) for n in names}
    check("/speakers names in byte order", names == ["falante_ç", "speaker0", "speaker1"], names)
    check("/speakers row ranges", list(spk["rows"][:]) == [per_speaker[n] for n in names] and
          list(spk["first_row"][:]) == list(np.cumsum([0] + [per_speaker[n] for n in names][:-1])))

dump = subprocess.run(["h5dump", "-H", store], capture_output=True, text=True)
check("h5dump -H reads the store", dump.returncode == 0 and 'DATASET "features"' in dump.stdout
      and f"( {len(x)}, 768 )" in dump.stdout, dump.stderr[-500:])

again = subprocess.run([rvcidx, "ingest", "-o", store, tree, "--no-progress"], capture_output=True, text=True)
check("a second run is unchanged", again.returncode == 0 and "(unchanged)" in again.stdout, again.stdout)
print(f"{passed} passed, 0 failed")
