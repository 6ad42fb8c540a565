#!/usr/bin/env bash
# bench/unseen.sh [BUILD_DIR] — does the recall target hold for voices the
# build never saw? For each size in RVCIDX_BENCH_SIZES (default "100000
# 250000 1000000" frames), an `rvcidx demo` tree of RVCIDX_BENCH_SPEAKERS
# speakers (default 8) is built with `rvcidx build` (one run each, timed
# under common.sh's quiet-machine rules), and its index is searched as the
# apps search it (Debian's python3-faiss 1.7.3, k=8) with every frame of
# RVCIDX_BENCH_UNSEEN other speakers (default 6, `rvcidx demo --first 90`,
# 1,200 frames each): each unseen speaker's 8-recall@8 against exact search
# over the index's own vectors, at two settings of the same sweep
# (bench/unseen_peer.py):
#   bound  the shipped one: the cheapest whose lower confidence bound over
#          the held-out speakers reaches the target (the default rule)
#   mean   the cheapest whose mean over the same queries reaches it (a
#          choice by the point estimate)
# With RVCIDX_BENCH_PEER=PATH (another rvcidx binary, e.g. an earlier commit
# that held out one speaker and chose by the mean), that binary's build of
# the same tree too, under the same rules. Prints one table; stdout only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
source "$root/bench/common.sh" unseen 1 faiss h5py numpy
timed_attempts=1

sizes=${RVCIDX_BENCH_SIZES:-100000 250000 1000000}
speakers=${RVCIDX_BENCH_SPEAKERS:-8} unseen=${RVCIDX_BENCH_UNSEEN:-6}
peer=${RVCIDX_BENCH_PEER:-}
echo "# Recall on voices no build saw"
echo
echo "$(versions_line); $(nproc) CPUs; D=768, k=8, target 0.95; $speakers speakers per tree, $unseen unseen speakers of 1,200 frames"
[[ -n $peer ]] && echo && echo "peer: $("$peer" --version | head -1) ($peer)"
echo
"$rvcidx" demo -q --no-progress -o "$work/unseen" --speakers "$unseen" --first 90 --minutes 0.4 --dim 768
"$rvcidx" ingest -q --no-progress -o "$work/unseen.h5" "$work/unseen" >/dev/null
mkdir -p "$work/results"

one_build() { # BINARY LABEL TREE N
  local bin=$1 label=$2 tree=$3 n=$4 out=$work/out r=$work/results/$n-$2
  rm -rf "$out"
  echo "$n $label: building" >&2
  timed env -u OMP_WAIT_POLICY "$bin" build --no-progress -o "$out" "$tree"
  printf '{"wall_s": %s, "rss_kib": %s, "other_cpu_pct": %s}\n' "$T_WALL" "$T_RSS" "$T_OTHER" >"$r.time"
  cp "$out/timings.json" "$r.timings.json"
  echo "$n $label: searching with the unseen speakers" >&2
  $py "$root/bench/unseen_peer.py" eval "$(ls "$out"/added_*.index)" "$work/unseen.h5" "$out/timings.json" "$r.eval.json"
  rm -rf "$out"
}

for n in $sizes; do
  minutes=$(awk -v n="$n" -v s="$speakers" 'BEGIN {printf "%.6f", n / s / 3000}')
  tree=$work/tree-$n
  "$rvcidx" demo -q --no-progress -o "$tree" --speakers "$speakers" --minutes "$minutes" --dim 768
  one_build "$rvcidx" rvcidx "$tree" "$n"
  [[ -z $peer ]] || one_build "$peer" peer "$tree" "$n"
  rm -rf "$tree"
done

$py - "$work/results" "$sizes" "$unseen" <<'PY'
import json, os, sys
res, sizes, unseen = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])
print("| frames | build | rule | held out | nlist | nprobe, k_factor | tuning mean (bound) | unseen speakers at 0.95 | unseen 8-recall@8 min / median | block ms (16 / q/s, 1 thread) | build s (other CPU) | peak RSS GiB |")
print("| ---: | --- | --- | ---: | ---: | --- | --- | ---: | --- | ---: | ---: | ---: |")
for n in sizes:
    for label in ("rvcidx", "peer"):
        base = os.path.join(res, "%s-%s" % (n, label))
        if not os.path.exists(base + ".eval.json"):
            continue
        e, t = json.load(open(base + ".eval.json")), json.load(open(base + ".time"))
        for rule in ("bound", "mean") if label == "rvcidx" else ("bound",):
            p = e[rule]
            if p is None:
                print("| %s | %s | %s | | | none reached the target | | | | | | |" % (n, label, rule))
                continue
            rec = sorted(p["unseen"].values())
            med = rec[len(rec) // 2] if len(rec) % 2 else (rec[len(rec) // 2 - 1] + rec[len(rec) // 2]) / 2
            bound = p["tuning_bound"]
            shipped = "shipped" if rule == "bound" else "same sweep"
            print("| {:,} | {} | {} ({}) | {} | {} | {}, {} | {:.4f} ({}) | {} of {} | {:.4f} / {:.4f} | {} | {:.0f} ({}%) | {:.2f} |".format(
                int(n), label, rule if label == "rvcidx" else "as built", shipped, len([h for h in e["held_out"] if h]) or 1,
                e["nlist"], p["nprobe"], p["k_factor"], p["tuning_recall"],
                "%.4f" % bound if bound is not None else "-", p["unseen_meeting"], unseen, rec[0], med,
                "%.2f" % p["block_ms_from_qps"] if p["block_ms_from_qps"] else "-", t["wall_s"], t["other_cpu_pct"],
                t["rss_kib"] / 1048576))
PY
echo
other_cpu
