#!/usr/bin/env bash
# bench/ingest.sh [BUILD_DIR] — how fast `rvcidx ingest` streams shards into a
# store, against copying the same shard tree with `cp -r`, and whether its
# peak memory stays flat as the data grows.
#
# Generates two demo trees (D=768, 4 speakers x 10 and x 40 minutes of audio:
# 120,000 and 480,000 rows, about 0.37 and 1.5 GB) in a scratch directory
# next to the build (same filesystem for every copy and store), then, with
# warm page caches (one untimed pass of each command first), times each
# command 3 times and reports the median:
#   cp         cp -r TREE COPY                (data may still be in the page cache)
#   cp+sync    cp -r TREE COPY && sync -f COPY (written through to disk, like rvcidx)
#   ingest     rvcidx ingest -o STORE TREE     (a fresh store; rvcidx fsyncs it before renaming)
# MB/s counts the shard files' bytes. A `sync` runs, untimed, before every
# timed run so no run pays for the previous one's dirty pages. Target:
# ingest >= 0.8x cp's rate, peak RSS flat in N. Prints to stdout only;
# removes its scratch directory at the end (RVCIDX_BENCH_KEEP=1 keeps it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
rvcidx=$build/src/rvcidx
[[ -x $rvcidx ]] || { echo "no $rvcidx: build first (cmake --build $build)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
runs=3
work=$(mktemp -d "$build/bench-ingest.XXXXXX")
[[ ${RVCIDX_BENCH_KEEP:-0} == 1 ]] || trap 'rm -rf "$work"' EXIT

now() { date +%s%N; }
median() { sort -g | sed -n "$(((runs + 1) / 2))p"; }

# timed LABEL CMD...: clears the outputs, syncs, then runs CMD once and
# appends "seconds peak_rss_kib" to $work/LABEL.
timed() {
  local label=$1; shift
  rm -rf "$work/copy" "$work/store.h5" "$work/store.h5.stat.json"
  sync
  local t0 t1; t0=$(now)
  /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null
  t1=$(now)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b - a) / 1e9}') $(cat "$work/rss")" >>"$work/$label"
}

# run_cp / run_cp_sync / run_ingest LABEL TREE: the three commands, timed
run_cp()      { timed "$1" cp -r "$2" "$work/copy"; }
run_cp_sync() { timed "$1" sh -c 'cp -r "$0" "$1" && sync -f "$1"' "$2" "$work/copy"; }
run_ingest()  { timed "$1" "$rvcidx" ingest -q --no-progress -o "$work/store.h5" "$2"; }

echo "# rvcidx ingest vs cp -r"
echo
echo "$("$rvcidx" --version | head -1); $(nproc) CPUs; $(stat -f -c %T "$work") filesystem at $work;" \
     "median of $runs warm runs"
echo
echo "| tree | rows | shard MB | cp s | cp MB/s | cp+sync s | cp+sync MB/s | ingest s | ingest MB/s | ingest ÷ cp | ingest ÷ (cp+sync) | ingest peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
rss_list=() spread=()
for minutes in 10 40; do
  tree=$work/tree$minutes
  "$rvcidx" demo -q --no-progress -o "$tree" --speakers 4 --minutes "$minutes" --dim 768
  rows=$((4 * minutes * 60 * 50))
  bytes=$(find "$tree" -name '*.npy' -printf '%s\n' | awk '{s += $1} END {print s}')
  run_cp warmup "$tree"; run_cp_sync warmup "$tree"; run_ingest warmup "$tree" # untimed: warms the page cache
  rm -f "$work"/cp "$work"/cp_sync "$work"/ingest
  for ((i = 0; i < runs; i++)); do
    run_cp cp "$tree"
    run_cp_sync cp_sync "$tree"
    run_ingest ingest "$tree"
  done
  cp_s=$(cut -d' ' -f1 "$work/cp" | median)
  cps_s=$(cut -d' ' -f1 "$work/cp_sync" | median)
  ing_s=$(cut -d' ' -f1 "$work/ingest" | median)
  rss=$(cut -d' ' -f2 "$work/ingest" | sort -n | tail -1)
  rss_list+=("$rss")
  spread+=("- $minutes min, every run (s): cp $(cut -d' ' -f1 "$work/cp" | tr '\n' ' ')| cp+sync $(cut -d' ' -f1 "$work/cp_sync" | tr '\n' ' ')| ingest $(cut -d' ' -f1 "$work/ingest" | tr '\n' ' ')")
  awk -v m="$minutes" -v rows="$rows" -v b="$bytes" -v c="$cp_s" -v cs="$cps_s" -v g="$ing_s" -v r="$rss" 'BEGIN {
    mb = b / 1e6
    printf "| 4 spk x %d min | %d | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f | %.0f | %.2fx | %.2fx | %.1f |\n",
           m, rows, mb, c, mb / c, cs, mb / cs, g, mb / g, c / g, cs / g, r / 1024 }'
  rm -rf "$tree" "$work/copy" "$work/store.h5" "$work/store.h5.stat.json" "$work/warmup"
done
echo
printf '%s\n' "${spread[@]}"
echo
awk -v a="${rss_list[0]}" -v b="${rss_list[1]}" 'BEGIN {
  printf "Peak RSS of ingest at 4x the rows: %.2fx (%.1f -> %.1f MiB; flat is ~1.0x).\n", b / a, a / 1024, b / 1024 }'
echo "ingest ÷ cp compares with a copy left in the page cache; ingest ÷ (cp+sync) with a copy"
echo "written through to disk, as rvcidx's fsync'd store is. Target: ingest >= 0.8x cp's rate."
