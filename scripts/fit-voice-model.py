#!/usr/bin/env python3
"""scripts/fit-voice-model.py — fits the model `rvcidx demo` draws its frames
from to real ContentVec frames, and writes src/ingest/voice_model.bin.

    python3 scripts/fit-voice-model.py [--frames FEATS.npy] [--out PATH]
    python3 scripts/fit-voice-model.py --check      # the demo-shaped draw beside the real frames

The real frames: the 1,743 ContentVec frames (layer 12, D=768, a 34.9 s
clip) in the ultimate-rvc 0.6.0 wheel on PyPI,
ultimate_rvc/rvc/train/models/reference/contentvec/feats.npy. Without
--frames they are fetched into ~/.cache/rvcidx/voice with
`pip download --no-deps --ignore-requires-python ultimate-rvc==0.6.0`, and
both the wheel and the file are checked against the digests below. Only
the fitted parameters are committed, never the frames.

What is fitted (docs/demo.md describes the whole model):
  mean       the frames' mean, D floats
  basis      their top RANK principal directions, RANK x D
  scale      per direction, the square root of its variance tempered as
             var**TAU (rescaled to the same total): one clip's spectrum is
             steeper than a voice's, because a few phones fill it
  resid      per dimension, the standard deviation the other D - RANK
             directions leave
The structural constants (phones, segment lengths, the shares and the
frame-to-frame correlations, TAU) are demo.c's, chosen by a random search
scored by bench/voice_stats.py against the real frames; --check draws from
this module's reference sampler (the same model as demo.c) and prints both.

voice_model.bin, little-endian: the 16-byte magic "RVCIDX-VOICE-1\\0\\0",
uint32 D, uint32 RANK, then float32 mean[D], resid[D], scale[RANK],
basis[RANK][D].
"""
import argparse
import hashlib
import os
import struct
import subprocess
import sys
import zipfile

import numpy as np

WHEEL = "ultimate_rvc-0.6.0-py3-none-any.whl"
WHEEL_SHA256 = "6a66aaa5d0dba782a049c582b0f1e0700a54fc2cfb58a7ec08c8345a93d90da0"
MEMBER = "ultimate_rvc/rvc/train/models/reference/contentvec/feats.npy"
FEATS_SHA256 = "29f222c312b1b449f4defa82938a4d1b910f22d1861cdb4d23475f14cd39ca5f"
MAGIC = b"RVCIDX-VOICE-1\0\0"
RANK = 128
TAU = 0.75
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "rvcidx", "voice")
HERE = os.path.dirname(os.path.abspath(__file__))

# demo.c's structural constants, mirrored by sample() below.
PHONES, ZIPF, BETWEEN, SHARED, WITHIN_RANK = 192, 0.46, 0.48, 0.067, 10
WITHIN_KEEP, SHARED_KEEP, SEG_MIN, SEG_MAX = 0.76, 0.68, 4, 8


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def real_frames_path():
    """The cached feats.npy, fetched and checked when missing."""
    out = os.path.join(CACHE, "contentvec_feats.npy")
    if os.path.exists(out) and sha256(out) == FEATS_SHA256:
        return out
    os.makedirs(CACHE, exist_ok=True)
    wheel = os.path.join(CACHE, WHEEL)
    if not os.path.exists(wheel):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--ignore-requires-python",
                        "ultimate-rvc==0.6.0", "-d", CACHE], check=True)
    if sha256(wheel) != WHEEL_SHA256:
        sys.exit("fit-voice-model: %s: sha256 is not %s; remove it and run again" % (wheel, WHEEL_SHA256))
    with zipfile.ZipFile(wheel) as z, open(out + ".tmp", "wb") as f:
        f.write(z.read(MEMBER))
    if sha256(out + ".tmp") != FEATS_SHA256:
        sys.exit("fit-voice-model: %s in %s: unexpected sha256" % (MEMBER, wheel))
    os.replace(out + ".tmp", out)
    return out


def fit(frames):
    x = np.asarray(frames, dtype=np.float64)
    mean = x.mean(0)
    c = x - mean
    var, vecs = np.linalg.eigh(c.T @ c / len(x))
    var, vecs = np.maximum(var[::-1], 0.0), vecs[:, ::-1]
    top = var[:RANK]
    tempered = top ** TAU * (top.sum() / (top ** TAU).sum())
    resid = np.sqrt((vecs[:, RANK:] ** 2 * var[RANK:]).sum(1))
    return {"mean": mean, "resid": resid, "scale": np.sqrt(tempered), "basis": vecs[:, :RANK].T}


def write(model, path):
    d, rank = len(model["mean"]), len(model["scale"])
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC + struct.pack("<II", d, rank))
        for key in ("mean", "resid", "scale", "basis"):
            f.write(np.ascontiguousarray(model[key], dtype="<f4").tobytes())
    os.replace(tmp, path)


def sample(model, n, seed=1):
    """n frames of one speaker without offset, drawn as demo.c draws them
    (not bit for bit: numpy's generator, one clip with no slice breaks)."""
    rng = np.random.default_rng(seed)
    rank, q = len(model["scale"]), WITHIN_RANK
    centres = rng.standard_normal((PHONES, rank)) * np.sqrt(BETWEEN)
    within = rng.standard_normal((PHONES, rank, q)) * np.sqrt((1 - BETWEEN - SHARED) / q)
    pop = 1 / np.arange(1, PHONES + 1) ** ZIPF
    pop /= pop.sum()
    s, g = rng.standard_normal(q), rng.standard_normal(rank)
    h = rng.standard_normal(len(model["mean"]))
    fa, fb = np.sqrt(1 - WITHIN_KEEP ** 2), np.sqrt(1 - SHARED_KEEP ** 2)
    z, hs, t = np.zeros((n, rank)), np.zeros((n, len(h))), 0
    while t < n:
        length, p = rng.integers(SEG_MIN, SEG_MAX + 1), rng.choice(PHONES, p=pop)
        for i in range(t, min(n, t + length)):
            s = WITHIN_KEEP * s + fa * rng.standard_normal(q)
            g = SHARED_KEEP * g + fb * rng.standard_normal(rank)
            h = SHARED_KEEP * h + fb * rng.standard_normal(len(h))
            z[i], hs[i] = centres[p] + within[p] @ s + np.sqrt(SHARED) * g, h
        t += length
    return model["mean"] + (z * model["scale"]) @ model["basis"] + hs * model["resid"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", help="the real frames (default: fetched from the ultimate-rvc wheel)")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "src", "ingest", "voice_model.bin"))
    ap.add_argument("--check", action="store_true", help="print voice_stats of the real frames and of draws")
    a = ap.parse_args()
    frames = np.load(a.frames or real_frames_path())
    model = fit(frames)
    if a.check:
        sys.path.insert(0, os.path.join(HERE, "..", "bench"))
        import voice_stats
        cols = [("real", voice_stats.stats(frames))]
        cols += [("draw %d" % sd, voice_stats.stats(sample(model, len(frames), sd))) for sd in (1, 2, 3)]
        print("| measure | " + " | ".join(n for n, _ in cols) + " |")
        print("| --- |" + " ---: |" * len(cols))
        for m in voice_stats.MEASURES:
            print("| %s | " % m + " | ".join("%.3g" % c[m] for _, c in cols) + " |")
        return 0
    write(model, a.out)
    print("wrote %s (D=%d, rank %d)" % (a.out, len(model["mean"]), RANK))
    return 0


if __name__ == "__main__":
    sys.exit(main())
