"""The demo tree read with numpy, as RVC reads it: every shard loads with
np.load, shapes and dtypes are RVC's, names sort as RVC sorts them, and the
frames are clustered (near neighbours much closer than random pairs)."""
import os
import subprocess
import sys

import numpy as np

rvcidx = os.environ["RVCIDX"]
root = os.path.join(os.environ["TEST_TMP"], "py_demo")
subprocess.run(["rm", "-rf", root], check=True)
subprocess.run([rvcidx, "demo", "-o", root, "--speakers", "3", "--minutes", "0.4",
                "--dim", "256", "--quiet"], check=True)

speakers = sorted(os.listdir(root))
assert speakers == ["speaker0", "speaker1", "speaker2"], speakers
parts = []
for spk in speakers:
    feat_dir = os.path.join(root, spk, "3_feature256")
    names = sorted(os.listdir(feat_dir))
    assert names and all(n.endswith(".npy") for n in names), names
    rows = 0
    for name in names:
        a = np.load(os.path.join(feat_dir, name))
        assert a.dtype == np.float32 and a.ndim == 2 and a.shape[1] == 256, (name, a.dtype, a.shape)
        assert np.isfinite(a).all(), name
        rows += a.shape[0]
        parts.append(a)
    assert rows == 1200, (spk, rows)  # 0.4 min * 60 s * 50 frames/s

x = np.concatenate(parts)
rng = np.random.default_rng(0)
sample = x[rng.choice(len(x), 300, replace=False)]
d2 = ((sample[:, None, :] - x[None, :, :]) ** 2).sum(-1)
d2.sort(axis=1)
nearest = np.sqrt(d2[:, 1])          # [:, 0] is the point itself
random_pair = np.sqrt(d2[:, len(x) // 2])
ratio = float(np.median(nearest / random_pair))
print(f"median nearest/median-distance ratio: {ratio:.3f}")
assert ratio < 0.6, "demo frames are not clustered"
print("1 passed, 0 failed")
