"""applio_offline.py — Applio's offline inference, as it touches the index.

Follows IAHispano/Applio rvc/infer/pipeline.py: read_index + reconstruct_n
in a try (an error prints and disables the index), then
_retrieve_speaker_embeddings searches the segment's frames with k=8 and
blends with weights 1/score^2. Our code, not theirs.
"""
import faiss

import appcheck

args = appcheck.parse_args(__doc__)
expected, queries, truth = appcheck.load_case(args.case)

index, big_npy = appcheck.read_in_try(faiss, args.index, "applio")

npy = queries.astype("float32")
score, ix = index.search(npy, k=8)
appcheck.rvc_blend(score, ix, big_npy)

appcheck.check("applio", faiss, big_npy, expected, ix, truth, 8, args.target)
