"""applio_offline.py — Applio's offline inference, as it touches the index.

Follows IAHispano/Applio rvc/infer/pipeline.py: read_index + reconstruct_n
in a try (an error prints and disables the index), then
_retrieve_speaker_embeddings searches the segment's frames with k=8 and
blends with weights 1/score^2. Our code, not theirs.
"""
import faiss
import numpy as np

import appcheck

args = appcheck.parse_args(__doc__)
expected, queries, truth = appcheck.load_case(args.case)

try:
    index = faiss.read_index(args.index)
    big_npy = index.reconstruct_n(0, index.ntotal)
except Exception as error:  # Applio prints and converts without the index: for us a failure
    raise SystemExit("FAIL applio: An error occurred reading the FAISS index: %s" % error)

npy = queries.astype("float32")
score, ix = index.search(npy, k=8)
weight = np.square(1 / score)
weight /= weight.sum(axis=1, keepdims=True)
blended = np.sum(big_npy[ix] * np.expand_dims(weight, axis=2), axis=1)
assert np.isfinite(blended).all(), "the 1/d^2 blend is not finite"

appcheck.check("applio", faiss, big_npy, expected, ix, truth, 8, args.target)
