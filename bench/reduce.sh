#!/usr/bin/env bash
# bench/reduce.sh [BUILD_DIR] — keeping only BUDGET of the input vectors (issue 20):
# which reduction keeps RVC's blend, for another speaker's frames, closest to
# the exact blend over ALL input vectors. Compares RVC's own recipe
# (MiniBatchKMeans centres), faiss k-means centres, k-means centres snapped to
# their nearest real frame, uniform and per-speaker random subsamples, and
# near-duplicate removal (bench/reduce_peer.py says exactly how). Each kept set
# is searched exactly (IndexFlatL2): the figures are the reduction's own error.
# Data: `rvcidx demo` 4 speakers x RVCIDX_BENCH_MINUTES (default 5: 60,000
# vectors, D=768), queries a fifth speaker (`--speakers 1 --first 9 --minutes 2`:
# 6,000 frames). RVCIDX_BENCH_BUDGETS (default "2000 10000 0"; 0 = all);
# RVCIDX_BENCH_METHODS (e.g. "km2 random stratified") runs only those beside
# RVC's recipe. Issue 20's large sizes: RVCIDX_BENCH_MINUTES=20.833333 (250,000
# vectors) or 83.333333 (1M) with RVCIDX_BENCH_BUDGETS="10000 100000 0"; above
# 200,000 vectors RVC's recipe is its 10,000 centres at every budget.
# Prints to stdout only; removes its scratch directory at the end
# (RVCIDX_BENCH_KEEP=1 keeps it). About 10 min on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seed=1234
source "$root/bench/common.sh" reduce 1 faiss h5py numpy sklearn

echo "# Reduction to a budget of vectors vs RVC's recipe (blend error against ALL input vectors)"
echo
echo "$(versions_line);" "sklearn $($py -c 'import sklearn; print(sklearn.__version__)'); $(nproc) CPUs; D=768, k=8"
echo
qtree=$work/qtree q=$work/queries.h5 tree=$work/tree
"$rvcidx" demo -q --no-progress -o "$qtree" --speakers 1 --first 9 --minutes 2 --dim 768
"$rvcidx" ingest -q --no-progress -o "$q" "$qtree" >/dev/null
"$rvcidx" demo -q --no-progress -o "$tree" --speakers 4 --minutes "${RVCIDX_BENCH_MINUTES:-5}" --dim 768
"$rvcidx" ingest -q --no-progress -o "$work/store.h5" "$tree" >/dev/null
$py "$root/bench/reduce_peer.py" "$tree" "$work/store.h5" "$q" $seed ${RVCIDX_BENCH_BUDGETS:-2000 10000 0}
other_cpu
