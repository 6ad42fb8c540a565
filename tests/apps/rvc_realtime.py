"""rvc_realtime.py — RVC's realtime GUI, as it touches the index.

Follows RVC-Project/Retrieval-based-Voice-Conversion-WebUI realtime_gui.py
(OMP_NUM_THREADS=4, OPENBLAS_NUM_THREADS=1, set before faiss is imported)
and infer/lib/rtrvc.py (tools/rvc_for_realtime.py on branch 20240604):
read_index + reconstruct_n once, then for every 0.25 s block a search of its
~16 new frames with k=8; when any returned label is -1 the block gets no
retrieval ("Invalid index"). rvc-next's live mode and the other realtime
ports of k=8 make the same calls (rvc-next pins faiss-cpu >= 1.8: run under
1.15.1). Our code, not theirs.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ["OMP_NUM_THREADS"] = "4"

import faiss  # noqa: E402
import numpy as np  # noqa: E402

import appcheck  # noqa: E402

BLOCK_FRAMES = 16  # the GUI's defaults: block 0.25 s, extra 2.5 s -> feats[0][skip_head // 2:]

args = appcheck.parse_args(__doc__)
expected, queries, truth = appcheck.load_case(args.case)

index = faiss.read_index(args.index)
big_npy = index.reconstruct_n(0, index.ntotal)

labels, invalid_blocks = [], 0
for start in range(0, len(queries), BLOCK_FRAMES):
    npy = queries[start:start + BLOCK_FRAMES].astype("float32")
    score, ix = index.search(npy, k=8)
    if (ix >= 0).all():
        npy = appcheck.rvc_blend(score, ix, big_npy)
    else:
        invalid_blocks += 1  # RVC prints "Invalid index ..." and skips retrieval for the block
    labels.append(ix)

if invalid_blocks:
    print("FAIL rvc-realtime: %d blocks printed 'Invalid index' (a -1 label)" % invalid_blocks)
appcheck.check("rvc-realtime", faiss, big_npy, expected, np.concatenate(labels), truth, 8, args.target,
               {"blocks": len(labels), "invalid_blocks": invalid_blocks})
