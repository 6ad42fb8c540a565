"""ultimate_rvc.py — ultimate-rvc's inference, as it touches the index.

Follows JackismyShephard/ultimate-rvc src/ultimate_rvc/rvc/infer/pipeline.py
(Applio's pipeline): read_index + reconstruct_n in a try, `if index:` (the
faiss object must be truthy), then _retrieve_speaker_embeddings: search of
the segment's frames with k=8, weights 1/score^2. Our code, not theirs.
"""
import faiss

import appcheck

args = appcheck.parse_args(__doc__)
expected, queries, truth = appcheck.load_case(args.case)

index, big_npy = appcheck.read_in_try(faiss, args.index, "ultimate-rvc")
if not index:
    raise SystemExit("FAIL ultimate-rvc: the loaded index is falsy: retrieval would be skipped")

npy = queries.astype("float32")
score, ix = index.search(npy, k=8)
appcheck.rvc_blend(score, ix, big_npy)

appcheck.check("ultimate-rvc", faiss, big_npy, expected, ix, truth, 8, args.target)
