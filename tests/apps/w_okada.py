"""w_okada.py — w-okada's voice changer, as it touches the index.

Follows w-okada/voice-changer server/voice_changer/RVC/pipeline/
PipelineGenerator.py (_loadIndex: read_index) and Pipeline.py (reconstruct_n
in __init__; exec: k = 1 hard-coded, `_, ix = self.index.search(npy, 1)`,
`npy = self.big_npy[ix.squeeze()]`, no -1 check: -1 would read the last
frame). Our code, not theirs.
"""
import faiss
import numpy as np

import appcheck

args = appcheck.parse_args(__doc__)
expected, queries, truth = appcheck.load_case(args.case)

index = faiss.read_index(args.index)
big_npy = index.reconstruct_n(0, index.ntotal)

npy = queries.astype("float32")
_, ix = index.search(npy, 1)
npy = big_npy[ix.squeeze()]
assert npy.shape == queries.shape

appcheck.check("w-okada", faiss, big_npy, expected, ix, truth, 1, args.target)
