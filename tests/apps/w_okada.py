"""w_okada.py — w-okada's voice changer, as it touches the index.

Follows w-okada/voice-changer server/voice_changer/RVC/pipeline/
PipelineGenerator.py (_loadIndex: read_index) and Pipeline.py (reconstruct_n
in __init__; exec, once per audio chunk: k = 1 hard-coded,
`_, ix = self.index.search(npy, 1)`, `npy = self.big_npy[ix.squeeze()]`, no
-1 check: -1 would read the last frame). A chunk's frame count follows the
user's chunk setting; here 16, RVC realtime's 0.25 s block, as the build
timed it. Our code, not theirs.
"""
import faiss
import numpy as np

import appcheck

args = appcheck.parse_args(__doc__)
expected, queries, truth = appcheck.load_case(args.case)

index = faiss.read_index(args.index)
big_npy = index.reconstruct_n(0, index.ntotal)

CHUNK_FRAMES = 16

labels = []
for start in range(0, len(queries), CHUNK_FRAMES):
    npy = queries[start:start + CHUNK_FRAMES].astype("float32")
    _, ix = index.search(npy, 1)
    npy = big_npy[ix.squeeze(axis=1)]  # the app's squeeze(), kept 2-D for a 1-frame chunk
    assert npy.shape == (len(ix), queries.shape[1])
    labels.append(ix)

appcheck.check("w-okada", faiss, big_npy, expected, np.concatenate(labels), truth, 1, args.target,
               {"chunks": len(labels)})
