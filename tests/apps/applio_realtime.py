"""applio_realtime.py — Applio's realtime IndexWrapper, as it touches the index.

Follows IAHispano/Applio rvc/realtime/utils/torch.py, class IndexWrapper:
read_index + reconstruct_n inside a try, then `index.nprobe = self.nprobe`
(12) OUTSIDE it: under faiss >= 1.13 setting an attribute the loaded class
lacks raises, and the realtime session does not start. search() then finds
the top 8 by brute force over the reconstructed vectors (torch.addmm on the
GPU; numpy here, the same formula: it reads only big_npy) and, after a GPU
error, falls back to index.search(npy, 8) on the CPU with nprobe 12. Both
paths are checked; blocks of 16 frames. Our code, not theirs.
"""
import faiss
import numpy as np

import appcheck

NPROBE = 12
BLOCK_FRAMES = 16

args = appcheck.parse_args(__doc__)
expected, queries, truth = appcheck.load_case(args.case)

index, big_npy = appcheck.read_in_try(faiss, args.index, "applio-realtime")
index.nprobe = NPROBE  # outside the try, as upstream: an AttributeError here stops the app

big = big_npy.astype(np.float32)
b_norms = (big ** 2).sum(axis=-1, keepdims=True).T
brute, fallback = [], []
for start in range(0, len(queries), BLOCK_FRAMES):
    query = queries[start:start + BLOCK_FRAMES].astype(np.float32)
    distances = np.clip(b_norms - 2.0 * query @ big.T + (query ** 2).sum(-1, keepdims=True), 1e-8, None)
    top = np.argpartition(distances, 8, axis=1)[:, :8]
    brute.append(np.take_along_axis(top, np.take_along_axis(distances, top, 1).argsort(1), 1))
    score, ix = index.search(query, 8)  # the CPU fallback
    fallback.append(ix)

brute_recall = appcheck.recall_at_k(np.concatenate(brute), truth, 8)
if brute_recall < args.target:
    print("FAIL applio-realtime: brute force over reconstruct_n reached only %.4f" % brute_recall)
    raise SystemExit(1)
appcheck.check("applio-realtime", faiss, big_npy, expected, np.concatenate(fallback), truth, 8, args.target,
               {"nprobe_set": NPROBE, "brute_force_recall": round(brute_recall, 4)})
