#!/usr/bin/env bash
# bench/large.sh [BUILD_DIR] — one node, millions of frames: each build mode
# once on one big multi-speaker tree, its plan beside what it used, and RVC's
# own recipe on the same tree.
#
# The tree: RVCIDX_BENCH_FRAMES frames (default 5,000,000) of D=768 over
# RVCIDX_BENCH_SPEAKERS speakers (default 20), an `rvcidx demo` tree, or
# RVCIDX_BENCH_TREE when set (an existing tree, reused as it is). Modes, in
# RVCIDX_BENCH_MODES (default "budget perspeaker one rvc"):
#   budget      rvcidx build --max-vectors RVCIDX_BENCH_BUDGET (default 1,000,000)
#   perspeaker  rvcidx build --per-speaker (one index per speaker)
#   permodel    rvcidx build --per-model (each speaker folder a model of its own:
#               its own store and index; stages and quality are the first model's)
#   one         rvcidx build (one index over every frame)
#   fp16, sq8, auto, split  the same with --refine fp16, --refine sq8,
#               --index auto, --split 4
#               (not in the default list)
#   rvc         RVC's WebUI train_index (bench/recall_peer.py build, Debian's
#               python3-faiss 1.7.3 and sklearn), its address space capped at
#               the machine's RAM (prlimit --as) so that it fails with an
#               error instead of calling the kernel's OOM killer
# For each rvcidx mode: `rvcidx plan` first (its predicted peak memory and
# disk), then the build timed end to end (wall, peak RSS; common.sh's quiet
# machine rules, but one run each: its other processes' CPU share is
# printed), the disk the build took at its peak (the filesystem's used
# bytes sampled every second, less those before it) and at its end (du), (du), the stage times from run.json
# and report.json, and the index searched as the apps search it with the
# frames of a speaker no build saw (`rvcidx demo --first 99`, 1,200 frames):
# 8-recall@8 against exact search over its own vectors and RVC's blend error
# against the exact blend over the frames it was built from
# (bench/large_peer.py; per-speaker: the first speaker's index). OUTDIR is
# removed after each mode, so the disk needed is the tree, one store and one
# mode's outputs. Prints one table; stdout only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seed=1234
source "$root/bench/common.sh" large 1 faiss h5py numpy sklearn threadpoolctl
timed_attempts=1 # a build of many minutes is not repeated; the table gives other processes' CPU share

frames=${RVCIDX_BENCH_FRAMES:-5000000} speakers=${RVCIDX_BENCH_SPEAKERS:-20}
budget=${RVCIDX_BENCH_BUDGET:-1000000}
tree=${RVCIDX_BENCH_TREE:-$work/tree}
echo "# One node, $frames frames: every build mode once"
echo
echo "$(versions_line); $(nproc) CPUs; $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo); D=768, k=8"
echo
if [[ -z ${RVCIDX_BENCH_TREE:-} ]]; then
  minutes=$(awk -v n="$frames" -v s="$speakers" 'BEGIN {printf "%.6f", n / s / 3000}')
  echo "writing the tree: $speakers speakers x $minutes min" >&2
  "$rvcidx" demo -q --no-progress -o "$tree" --speakers "$speakers" --minutes "$minutes" --dim 768
fi
qtree=$work/qtree q=$work/queries.h5
"$rvcidx" demo -q --no-progress -o "$qtree" --speakers 1 --first 99 --minutes 0.4 --dim 768
"$rvcidx" ingest -q --no-progress -o "$q" "$qtree" >/dev/null
rm -rf "$qtree"
mkdir -p "$work/results"
sync

mode_options() {
  case $1 in
    budget) echo "--max-vectors $budget" ;;
    perspeaker) echo "--per-speaker" ;;
    permodel) echo "--per-model" ;;
    one) echo "" ;;
    fp16) echo "--refine fp16" ;;
    sq8) echo "--refine sq8" ;;
    auto) echo "--index auto" ;;
    split) echo "--split 4" ;;
  esac
}

# disk_watch FILE: samples the used bytes of $work's filesystem every second
# until killed, keeping the largest in FILE (a build's peak: scratch files
# such as reduced.h5 are gone by the time it ends).
disk_used() { df -B1 --output=used "$work" | tail -1 | tr -d ' '; }
disk_watch() {
  local top=0 u
  while :; do u=$(disk_used); ((u > top)) && top=$u && echo "$top" >"$1"; sleep 1; done
}

run_rvcidx() { # MODE
  local mode=$1 out=$work/out r=$work/results/$1 rc=0
  rm -rf "$out"
  # shellcheck disable=SC2046 # the options are words
  "$rvcidx" plan -o "$out" $(mode_options "$mode") "$tree" >"$r.plan" 2>&1 || rc=$?
  echo "$mode: plan exit $rc: $(grep -E '^(memory|disk)' "$r.plan" | tr -s ' ' | paste -sd ';' -)" >&2
  echo "$mode: building" >&2
  rc=0
  local base; base=$(disk_used)
  echo "$base" >"$work/disk_top"
  disk_watch "$work/disk_top" &
  local watcher=$!
  local t0 t1
  t0=$(now)
  # shellcheck disable=SC2046
  timed env -u OMP_WAIT_POLICY "$rvcidx" build --no-progress -o "$out" $(mode_options "$mode") "$tree" || rc=$?
  t1=$(now)
  kill "$watcher"; wait "$watcher" 2>/dev/null || true
  if ((rc != 0)); then # timed() keeps no figures of a failed run: its wall (with the quiet wait) and peak RSS
    T_WALL=$(secs "$t0" "$t1"); read -r T_RSS _ < <(tail -1 "$work/time")
  fi
  cp "$work/stdout" "$r.out"; cp "$work/stderr" "$r.err"
  printf '{"rc": %s, "wall_s": %s, "rss_kib": %s, "other_cpu_pct": %s, "disk_bytes": %s, "disk_peak_bytes": %s}\n' \
    "$rc" "${T_WALL:-0}" "${T_RSS:-0}" "${T_OTHER:-0}" "$(du -sb "$out" | awk '{print $1}')" \
    "$(( $(cat "$work/disk_top") - base ))" >"$r.time"
  ((rc == 0)) || { rm -rf "$out"; return 0; }
  local dir=$out spk="" top=$out
  if [[ $mode == perspeaker ]]; then
    spk=$(ls "$out" | grep -v '\.' | head -1); dir=$out/$spk
  elif [[ $mode == permodel ]]; then # OUTDIR/<model>/: its own store, run.json and index; the first model's
    dir=$out/$(ls "$out" | grep -v '\.' | head -1); top=$dir
  fi
  cp "$top/run.json" "$r.run.json"; cp "$dir/report.json" "$r.report.json"
  echo "$mode: searching its index with an unseen speaker's frames" >&2
  $py "$root/bench/large_peer.py" eval "$top/store.h5" "$q" "$r.eval.json" "$(ls "$dir"/added_*.index)" $spk
  rm -rf "$out"
}

run_rvc() { # timed by hand: timed() drops the figures of a run that fails, and this one may
  local r=$work/results/rvc rc=0 cap t0 t1 u s
  cap=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) * 1024 ))
  echo "rvc: RVC's recipe, address space capped at $cap bytes" >&2
  quiet_wait
  t0=$(now)
  /usr/bin/time -f "%M %U %S" -o "$work/time" prlimit --as="$cap" env -u OMP_WAIT_POLICY \
    $py "$root/bench/recall_peer.py" build "$tree" "$work/rvc" $seed >"$r.out" 2>"$r.err" || rc=$?
  t1=$(now)
  read -r T_RSS u s < <(tail -1 "$work/time")
  printf '{"rc": %s, "wall_s": %s, "rss_kib": %s}\n' "$rc" "$(secs "$t0" "$t1")" "$T_RSS" >"$r.time"
  rm -rf "$work/rvc"
}

for mode in ${RVCIDX_BENCH_MODES:-budget perspeaker one rvc}; do
  T_WALL=0 T_RSS=0 T_OTHER=0
  if [[ $mode == rvc ]]; then run_rvc; else run_rvcidx "$mode"; fi
done
du -sb "$tree" | awk '{print $1}' >"$work/results/tree_bytes"
$py "$root/bench/large_report.py" "$work/results" "$frames" "$budget"
echo
other_cpu
