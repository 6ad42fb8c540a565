#!/usr/bin/env bash
# bench/train_rows.sh [BUILD_DIR] — how many k-means rows per list the index
# needs: recall of other speakers' frames, and k-means time, against the size
# of the k-means sample and the number of iterations (docs/parameters.md).
#
# One demo tree (D=768, 4 speakers x 25 min = 300,000 rows, nlist auto 2,190)
# ingested once; queries: a fifth speaker (`rvcidx demo --speakers 1 --first 9
# --minutes 2`: 6,000 frames). Per configuration (k-means rows / iterations:
# all/25, 64 per list/25, 40 per list/25, all/10, 64 per list/10):
#   rvcidx train --gpu off --train-rows R --iterations I   (its k-means seconds)
#   rvcidx encode (default parameters)
#   rvcidx eval --no-timing --target-recall 1 --queries Q --eval-queries 6000
#                (the sweep's recall; the unreachable target keeps every setting in it)
# and prints 8-recall@8 at nprobe 8..128 x k_factor 16..64. The same index type,
# the same PQ sample and the same queries everywhere: only the centroids differ.
# RVCIDX_BENCH_MINUTES (default 25) changes the minutes per speaker. About 15 min
# on 2 cores. Prints to stdout only; removes its scratch directory at the end
# (RVCIDX_BENCH_KEEP=1 keeps it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
source "$root/bench/common.sh" train-rows 1 numpy

"$rvcidx" demo -q --no-progress -o "$work/qtree" --speakers 1 --first 9 --minutes 2
"$rvcidx" ingest -q --no-progress -o "$work/q.h5" "$work/qtree" >/dev/null
"$rvcidx" demo -q --no-progress -o "$work/tree" --speakers 4 --minutes "${RVCIDX_BENCH_MINUTES:-25}"
"$rvcidx" ingest -q --no-progress -o "$work/s.h5" "$work/tree" >/dev/null
rm -rf "$work/tree" "$work/qtree"
nlist=$("$rvcidx" train -q --no-progress --gpu off --iterations 1 -o "$work/probe.h5" "$work/s.h5" |
  sed -n 's/^centroids .*: \([0-9]*\) lists from .*/\1/p')
rm -f "$work/probe.h5"
echo "# k-means sample size and iterations against recall for other speakers' frames"
echo
echo "$(versions_line); $(nproc) CPUs; D=768; nlist $nlist; 6,000 queries from a fifth speaker; 8-recall@8"
echo
echo "| k-means rows (per list) | iterations | k-means s | 8/16 | 8/64 | 16/16 | 16/64 | 32/32 | 32/64 | 64/32 | 64/64 | 128/32 | 128/64 |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for cfg in "auto 25" "$((64 * nlist)) 25" "$((40 * nlist)) 25" "auto 10" "$((64 * nlist)) 10"; do
  set -- $cfg
  quiet_wait
  "$rvcidx" train -q --no-progress --gpu off --train-rows "$1" --iterations "$2" -o "$work/c.h5" "$work/s.h5" >"$work/train.out"
  "$rvcidx" encode -q --no-progress --centroids "$work/c.h5" -o "$work/i.index" "$work/s.h5" >/dev/null
  # --target-recall 1: no setting reaches it, so the sweep skips none as "never chosen"
  eval_ok "$rvcidx" eval -q --no-progress --no-timing --target-recall 1 "$work/i.index" "$work/s.h5" --queries "$work/q.h5" \
    --eval-queries 6000 --report "$work/rep" >/dev/null
  $py - "$work/train.out" "$work/rep/report.json" "$nlist" "$2" <<'EOF'
import json, re, sys
t = open(sys.argv[1]).read()
m = re.search(r"from (\d+) sampled rows .* k-means ([0-9.]+) s", t)
r = json.load(open(sys.argv[2]))
nlist = int(sys.argv[3])
got = {(s["nprobe"], s["k_factor"]): s["recall_k"] for s in r["settings"]}
cols = [(8, 16), (8, 64), (16, 16), (16, 64), (32, 32), (32, 64), (64, 32), (64, 64), (128, 32), (128, 64)]
rows = int(m.group(1))
print(f"| {rows:,} ({rows / nlist:.0f}) | {sys.argv[4]}", end="")
print(" | " + m.group(2) + " | " + " | ".join(f"{got[c]:.4f}" if c in got else "—" for c in cols) + " |")
EOF
  rm -rf "$work/c.h5" "$work/i.index" "$work/rep"
done
echo
other_cpu
