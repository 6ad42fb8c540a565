#!/usr/bin/env bash
# bench/scale.sh [BUILD_DIR] — whole builds side by side at growing sizes:
# RVC's recipe, Python faiss building rvcidx's index, rvcidx on the CPU and,
# where a GPU is usable, rvcidx with the GPU.
#
# Per size N (D=768, 4 speakers, N/4 frames each; `rvcidx demo` trees in a
# scratch directory under the build directory), one after the other, each
# timed end to end (wall, peak RSS) on a quiet machine:
#   (c) rvcidx CPU  `rvcidx build --gpu off -o OUT TREE` (defaults: ingest,
#                   k-means, IVF-PQ4fs + RFlat, tuning on a held-out speaker,
#                   publish); its stage times from OUT/run.json
#   (d) rvcidx GPU  the same with --gpu on, when `rvcidx gpu` finds a usable GPU
#                   (otherwise the table says why it did not run)
#   (a) RVC         bench/recall_peer.py build: RVC's WebUI train_index with
#                   Debian's python3-faiss 1.7.3 and sklearn (sorted load,
#                   shuffle, above 200,000 vectors 10,000 MiniBatchKMeans centres
#                   replace ALL vectors, IVF{min(16 sqrt N, N/39)},Flat, nprobe 1,
#                   add in batches of 8192)
#   (b) faiss       bench/scale_peer.py faiss-build: the index rvcidx ships,
#                   built the obvious way in Python with rvcidx's parameters
#                   (nlist, the same k-means rows, the same iterations, seed, PQ sample,
#                   the nprobe/k_factor rvcidx chose)
# Then every index, at its stored setting, is searched with a fifth speaker's
# frames (6,000; `rvcidx demo --speakers 1 --first 9 --minutes 2`) against exact
# k-NN (IndexFlatL2) over ALL input vectors, in Python (python3-faiss):
# 8-recall@8, RVC blend error, empty slots, and queries/s with that generic
# build; then each index is timed again with rvcidx's AVX2 faiss (`rvcidx eval
# --no-tune` with the same queries; RVC's index over its own vectors, as
# reconstruct_n gives them, ingested into a store), which also cross-checks
# the recall figures.
# Prints one table per size, then scaling and the targets; stdout only.
# RVCIDX_BENCH_SIZES (default "100000 300000 1000000") sets the sizes. Removes
# its scratch directory at the end (RVCIDX_BENCH_KEEP=1 keeps it). About 50 min
# on 2 cores with the default sizes; needs ~3.1 GB of disk per million vectors
# for the tree, as much again for the store, and 2.5x that for the indexes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seed=1234
source "$root/bench/common.sh" scale 1 faiss h5py numpy sklearn threadpoolctl

echo "# Whole builds at growing sizes: RVC's recipe, Python faiss, rvcidx"
echo
echo "$(versions_line);" "sklearn $($py -c 'import sklearn; print(sklearn.__version__)'); $(nproc) CPUs;" \
  "$(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo); D=768, k=8"
echo
gpu_reason=$("$rvcidx" gpu 2>&1) && gpu=1 || gpu=0
echo "GPU: $gpu_reason"
echo
qtree=$work/qtree q=$work/queries.h5
"$rvcidx" demo -q --no-progress -o "$qtree" --speakers 1 --first 9 --minutes 2 --dim 768
"$rvcidx" ingest -q --no-progress -o "$q" "$qtree" >/dev/null
rm -rf "$qtree"
mkdir -p "$work/results"

# run_side NAME CMD...: timed, its wall/RSS/other CPU kept in $work/results/$n.NAME
run_side() {
  local side=$1; shift
  timed "$@"
  printf '{"wall_s": %s, "rss_kib": %s, "other_cpu_pct": %s}\n' "$T_WALL" "$T_RSS" "$T_OTHER" >"$work/results/$n.$side.time"
  cp "$work/stdout" "$work/results/$n.$side.out"
}

for n in ${RVCIDX_BENCH_SIZES:-100000 300000 1000000}; do
  tree=$work/tree
  rm -rf "$tree" "$work"/out-* "$work/rvc" "$work/faiss"
  minutes=$(awk -v n="$n" 'BEGIN {printf "%.6f", n / 4 / 3000}')
  "$rvcidx" demo -q --no-progress -o "$tree" --speakers 4 --minutes "$minutes" --dim 768
  sync
  echo "size $n: running rvcidx (CPU)" >&2
  run_side rvcidx env -u OMP_WAIT_POLICY "$rvcidx" build --no-progress --gpu off -o "$work/out-cpu" "$tree"
  cp "$work/out-cpu/run.json" "$work/results/$n.rvcidx.run.json"
  cp "$work/out-cpu/report.json" "$work/results/$n.rvcidx.report.json"
  if ((gpu)); then
    echo "size $n: running rvcidx (GPU)" >&2
    run_side rvcidx_gpu env -u OMP_WAIT_POLICY "$rvcidx" build --no-progress --gpu on -o "$work/out-gpu" "$tree"
    cp "$work/out-gpu/run.json" "$work/results/$n.rvcidx_gpu.run.json"
  fi
  echo "size $n: running RVC's recipe" >&2
  run_side rvc env -u OMP_WAIT_POLICY $py "$root/bench/recall_peer.py" build "$tree" "$work/rvc" $seed
  cp "$work/rvc/build.json" "$work/results/$n.rvc.build.json"
  # (b) gets rvcidx's parameters: nlist, training rows, iterations, the shipped setting
  read -r nlist train_rows iters nprobe kf < <($py - "$work/out-cpu" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
i = m["indexes"][0]
print(i["nlist"], i["train_rows"], m["request"]["parameters"]["iterations"], i["nprobe"], i["k_factor"])
EOF
)
  echo "size $n: running Python faiss (nlist $nlist, $train_rows k-means rows, $iters iterations, nprobe $nprobe, k_factor $kf)" >&2
  run_side faiss env -u OMP_WAIT_POLICY $py "$root/bench/scale_peer.py" faiss-build "$tree" "$work/faiss" \
    "$nlist" "$train_rows" "$iters" $seed "$nprobe" "$kf"
  cp "$work/faiss/build.json" "$work/results/$n.faiss.build.json"
  echo "size $n: searching the indexes" >&2
  gpu_index=""
  ((gpu)) && gpu_index=$(ls "$work"/out-gpu/added_*.index)
  $py "$root/bench/scale_peer.py" eval "$tree" "$q" "$work/results/$n.eval.json" "$work/rvc" "$work/faiss/faiss.index" \
    "$(ls "$work"/out-cpu/added_*.index)" $gpu_index
  # the same queries timed with rvcidx's AVX2 faiss (`rvcidx eval --no-tune`: the stored setting only)
  echo "size $n: timing the indexes with rvcidx's AVX2 faiss" >&2
  avx2_eval() { # SIDE INDEX STORE [OPTIONS]
    local side=$1 index=$2 store=$3; shift 3
    eval_ok "$rvcidx" eval -q --no-progress --no-tune "$@" "$index" "$store" --queries "$q" --eval-queries 100000 \
      --report "$work/rep" >/dev/null
    cp "$work/rep/timings.json" "$work/results/$n.$side.avx2.json"
    rm -rf "$work/rep"
  }
  avx2_eval rvcidx "$(ls "$work"/out-cpu/added_*.index)" "$work/out-cpu/store.h5"
  avx2_eval faiss "$work/faiss/faiss.index" "$work/out-cpu/store.h5"
  ((gpu)) && avx2_eval rvcidx_gpu "$gpu_index" "$work/out-gpu/store.h5"
  "$rvcidx" ingest -q --no-progress -o "$work/rvcvec.h5" "$work/rvc/vectors" >/dev/null
  avx2_eval rvc "$(ls "$work"/rvc/added_*.index)" "$work/rvcvec.h5" --index ivfflat
  rm -f "$work/rvcvec.h5"
  du -sb "$tree" | awk '{print $1}' >"$work/results/$n.tree_bytes"
  $py "$root/bench/scale_peer.py" report-size "$work/results" "$n"
done
rm -rf "$work/tree" "$work"/out-* "$work/rvc" "$work/faiss"
$py "$root/bench/scale_peer.py" report-scaling "$work/results" "$gpu_reason"
echo
other_cpu
