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
# RVC's recipe (hubs: a query-aware probe, see reduce_peer.py).
# RVCIDX_BENCH_BUILD=1 adds rvcidx's own build at each budget (row
# rvcidx-build: its index's vectors, scored as the others; and a table of
# what its --reduce auto measured and what the build cost). Issue 20's large
# sizes: RVCIDX_BENCH_MINUTES=20.833333 (250,000 vectors) or 83.333333 (1M)
# with RVCIDX_BENCH_BUDGETS="10000 100000 0"; above 200,000 vectors RVC's
# recipe is its 10,000 centres at every budget.
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
budgets=${RVCIDX_BENCH_BUDGETS:-2000 10000 0}
# RVCIDX_BENCH_BUILD=1: rvcidx's own build at each budget (the shipped
# default, --reduce auto, and the default index), timed; its index's
# reconstruct_n is then scored beside the peers (method rvcidx-build).
export RVCIDX_BENCH_INDEXES=""
builds=()
if [[ ${RVCIDX_BENCH_BUILD:-0} == 1 ]]; then
  for b in $budgets; do
    ((b > 0)) || continue
    echo "rvcidx build --max-vectors $b" >&2
    timed "$rvcidx" build --no-progress --gpu off --max-vectors "$b" -o "$work/build-$b" "$tree"
    RVCIDX_BENCH_INDEXES+="$b:$(ls "$work/build-$b"/added_*.index):$T_WALL "
    builds+=("$b $T_WALL $T_RSS $T_OTHER")
  done
fi
$py "$root/bench/reduce_peer.py" "$tree" "$work/store.h5" "$q" $seed $budgets
if ((${#builds[@]})); then
  echo "rvcidx's builds (\`rvcidx build --gpu off --max-vectors B -o OUT TREE\`, everything else default): what"
  echo "\`--reduce auto\` measured on its own held-out speaker (report.json \`reduction\`), and the whole build's cost"
  echo
  echo "| budget | auto: kmeans mean / p95 | auto: stratified mean / p95 | auto: hubs mean / p95 | shipped | index | build wall (s) | peak RSS (MiB) | other CPU |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for r in "${builds[@]}"; do
    read -r b wall rss other <<<"$r"
    $py - "$work/build-$b/report.json" "$b" "$wall" "$rss" "$other" <<'PYEOF'
import json, sys
rep = json.load(open(sys.argv[1]))
r = rep["reduction"]
t = {x["method"]: x for x in r.get("auto_trials", [])}
f = lambda m: "%.5f / %.5f" % (t[m]["blend_error_mean"], t[m]["blend_error_p95"]) if m in t else "-"
print("| %s | %s | %s | %s | %s | %s | %s | %.0f | %s%% |" % (sys.argv[2], f("kmeans"), f("stratified"), f("hubs"), r["method"],
      rep["factory"], sys.argv[3], int(sys.argv[4]) / 1024, sys.argv[5]))
PYEOF
  done
  echo
fi
other_cpu
