"""rvc_offline.py — RVC WebUI's offline inference, as it touches the index.

Follows RVC-Project/Retrieval-based-Voice-Conversion-WebUI
infer/modules/vc/pipeline.py (branch 20240604; infer/vc/pipeline.py on main):
Pipeline.pipeline loads the file with read_index and reconstruct_n inside a
try, sets nothing on it, and Pipeline.vc searches a whole segment's frames
at once with k=8 and blends them with weights 1/score^2. Our code, not
theirs: the same calls, in the same order.
"""
import faiss

import appcheck

args = appcheck.parse_args(__doc__)
expected, queries, truth = appcheck.load_case(args.case)

index = faiss.read_index(args.index)
big_npy = index.reconstruct_n(0, index.ntotal)

npy = queries.astype("float32")
score, ix = index.search(npy, k=8)
appcheck.rvc_blend(score, ix, big_npy)

appcheck.check("rvc", faiss, big_npy, expected, ix, truth, 8, args.target)
