#!/usr/bin/env bash
# bench/realtime.sh [BUILD_DIR] — realtime search (issue 34): which index
# answers a 16-frame block, k=8, on one thread, fastest at the recall
# target for voices it never saw, under the faiss every realtime app pins.
#
# Per size N (RVCIDX_BENCH_SIZES, default "250000 1000000"; 4 speakers of
# N/4 frames, an `rvcidx demo` tree), one after the other:
#   rvcidx      `rvcidx build --gpu off` for each of RVCIDX_BENCH_RVCIDX
#               (default "default rvc-realtime w-okada": the default index
#               and `--for APP`), timed end to end; w-okada's is swept at
#               its k=1
#   candidates  bench/realtime_peer.py build (PyPI's faiss-cpu 1.7.3 AVX2,
#               the faiss the files must load in), RVCIDX_BENCH_CANDIDATES
#               (default "ivf ivfpq:192 ivfhnsw hnsw"): ivf (rvcidx's
#               factory, built in Python), ivfhnsw:L for L in
#               RVCIDX_BENCH_LISTS (default "8192 32768"), ivfpq:192 (shorter
#               codes), and hnsw (HNSW32,Flat) when N <= RVCIDX_BENCH_HNSW_MAX
#               (default 1000000), and rvc: RVC's own recipe (bench/recall_peer.py
#               build: IVF,Flat, nprobe 1, 10,000 centres above 200k frames);
#               each timed (wall, peak RSS)
# RVCIDX_BENCH_BUDGETED="F:N" (e.g. 5000000:1000000) adds a tree of F frames
# (4 speakers) built by rvcidx with `--max-vectors N` for each of
# RVCIDX_BENCH_RVCIDX, each swept against the N frames its index keeps.
# Each index is swept (realtime_peer.py sweep) under faiss-cpu 1.7.3 (RVC
# 20240604, w-okada) and 1.15.1 (RVC main) from tests/apps/venvs.sh's cached
# venvs: every setting's 8-recall@8 for each of 3 unseen speakers (800
# frames each, `rvcidx demo --first 90`) against exact search over the N
# frames, and ms per block p50/p99 on one thread (240 blocks). The table
# gives, per index and faiss, the setting with the lowest p99 whose WORST
# unseen speaker reaches the target (0.95; chosen on those same speakers,
# so optimistic), and its recall, p50/p99, file size, build time and peak
# RSS; for rvcidx's index also its stored setting (what an app that sets
# nothing searches with: the figure that counts); then the measured settings as JSON in the
# scratch directory (RVCIDX_BENCH_KEEP=1 keeps it). stdout only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
source "$root/bench/common.sh" realtime 1 numpy
timed_attempts=1

sizes=${RVCIDX_BENCH_SIZES:-250000 1000000}
lists=${RVCIDX_BENCH_LISTS:-8192 32768}
rvcidx_builds=${RVCIDX_BENCH_RVCIDX:-default rvc-realtime w-okada}
candidates=${RVCIDX_BENCH_CANDIDATES:-rvc ivf ivfpq:192 ivfhnsw hnsw}
budgeted=${RVCIDX_BENCH_BUDGETED:-}
hnsw_max=${RVCIDX_BENCH_HNSW_MAX:-1000000}
v173=$("$root/tests/apps/venvs.sh" faiss173) v115=$("$root/tests/apps/venvs.sh" rvc-main)
echo "# Realtime search: 16-frame blocks, k=8, one thread, 3 unseen speakers"
echo
echo "$(versions_line); $(nproc) CPUs; D=768; faiss-cpu $("$v173" -c 'import faiss; print(faiss.__version__)') and $("$v115" -c 'import faiss; print(faiss.__version__)') from PyPI"
echo
"$rvcidx" demo -q --no-progress -o "$work/unseen" --speakers 3 --first 90 --minutes 0.4 --dim 768
mkdir -p "$work/results"

sweep_both() { # INDEX TREE LABEL N [K]
  local r=$work/results/$4-$3
  echo "$4 $3: sweeping under faiss 1.7.3 and 1.15.1" >&2
  RVCIDX_BENCH_K=${5:-8} "$v173" "$root/bench/realtime_peer.py" sweep "$1" "$2" "$work/unseen" "$r.173.json"
  RVCIDX_BENCH_K=${5:-8} "$v115" "$root/bench/realtime_peer.py" sweep "$1" "$2" "$work/unseen" "$r.115.json"
}

demo_tree() { # OUT FRAMES: 4 speakers
  "$rvcidx" demo -q --no-progress -o "$1" --speakers 4 --minutes "$(awk -v n="$2" 'BEGIN {printf "%.6f", n / 4 / 3000}')" --dim 768
}

build_json() { # KEY LABEL FACTORY: the build just timed
  printf '{"wall_s": %s, "rss_kib": %s, "other_cpu_pct": %s, "factory": "%s"}\n' "$T_WALL" "$T_RSS" "$T_OTHER" "$3" \
    >"$work/results/$1-$2.build.json"
}

rvcidx_build() { # TREE KEY APP SWEEP_TREE [build options]: APP "default" or a --for app
  local tree=$1 key=$2 app=$3 sweep_tree=$4 label=rvcidx k=8; shift 4
  local opts=("$@")
  [[ $app == default ]] || { opts+=(--for "$app"); label=rvcidx-$app; }
  [[ $app == w-okada ]] && k=1
  echo "$key $label: building" >&2
  rm -rf "$work/out"
  timed env -u OMP_WAIT_POLICY "$rvcidx" build --no-progress --gpu off "${opts[@]}" -o "$work/out" "$tree"
  build_json "$key" "$label" "$(basename "$(ls "$work"/out/added_*.index)")"
  mv "$(ls "$work"/out/added_*.index)" "$work/rvcidx.index"
  rm -rf "$work/out"
  sweep_both "$work/rvcidx.index" "$sweep_tree" "$label" "$key" "$k"
  rm -f "$work/rvcidx.index"
}

for n in $sizes; do
  tree=$work/tree-$n
  demo_tree "$tree" "$n"
  for app in $rvcidx_builds; do rvcidx_build "$tree" "$n" "$app" "$tree"; done
  cands=""
  for c in $candidates; do
    case $c in
      ivfhnsw) for l in $lists; do cands="$cands ivfhnsw:$l"; done ;;
      hnsw) ((n <= hnsw_max)) && cands="$cands hnsw" ;;
      *) cands="$cands $c" ;;
    esac
  done
  for c in $cands; do
    echo "$n $c: building" >&2
    if [[ $c == rvc ]]; then # RVC's own recipe, as bench/recall.sh builds it (Debian's faiss 1.7.3 + sklearn)
      rm -rf "$work/rvc"
      timed "$py" "$root/bench/recall_peer.py" build "$tree" "$work/rvc" 1234
      build_json "$n" rvc "RVC's recipe: $(basename "$(ls "$work"/rvc/added_*.index)")"
      sweep_both "$(ls "$work"/rvc/added_*.index)" "$tree" rvc "$n"
      rm -rf "$work/rvc"
      continue
    fi
    timed "$v173" "$root/bench/realtime_peer.py" build "$tree" "$c" "$work/cand.index"
    tail -1 "$work/stdout" | "$py" -c "import json, sys; d = json.load(sys.stdin); d.update(wall_s=$T_WALL, rss_kib=$T_RSS, other_cpu_pct=$T_OTHER); print(json.dumps(d))" \
      >"$work/results/$n-${c/:/_}.build.json"
    sweep_both "$work/cand.index" "$tree" "${c/:/_}" "$n"
    rm -f "$work/cand.index"
  done
  rm -rf "$tree"
done
keys=$sizes
if [[ -n $budgeted ]]; then
  from=${budgeted%%:*} keep=${budgeted#*:}
  tree=$work/tree-$from
  demo_tree "$tree" "$from"
  for app in $rvcidx_builds; do rvcidx_build "$tree" "${from}to$keep" "$app" - --max-vectors "$keep"; done
  rm -rf "$tree"
  keys="$keys ${from}to$keep"
fi

"$py" - "$work/results" "$keys" <<'PY'
import glob, json, os, sys
res, sizes = sys.argv[1], sys.argv[2].split()
TARGET = 0.95
TIMED_BLOCKS = 240
def pct(p):  # blend error, over the queries with no -1 label
    e = p.get("blend_error_mean")
    text = "-" if e is None else f"{100 * e:.2f}%"
    return text + (f" ({100 * p['empty_share']:.1f}% of slots -1)" if p.get("empty_share") else "")
for n in sizes:
    if "to" in n:
        whole, kept = n.split("to")
        print(f"## {int(kept):,} frames kept of {int(whole):,} (4 speakers; `--max-vectors {kept}`)\n")
        print("Recall here is against exact search over the frames each index keeps.\n")
    else:
        print(f"## {int(n):,} frames (4 speakers)\n")
    print("| index | file MiB | app MiB | build s (other CPU %) | build peak RSS MiB | faiss | best setting (worst unseen speaker >= 0.95) | k-recall@k worst / mean | blend error | ms per block p50 / p99 | reconstruct_n exact |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | --- |")
    for b in sorted(glob.glob(os.path.join(res, f"{n}-*.build.json"))):
        label = os.path.basename(b)[len(n) + 1:-len(".build.json")]
        info = json.load(open(b))
        factory = info.get("factory", label)
        for ver in ("173", "115"):
            s = json.load(open(os.path.join(res, f"{n}-{label}.{ver}.json")))
            ok = [p for p in s["settings"] if p["recall_min"] >= TARGET and not p.get("stored")]
            best = min(ok, key=lambda p: p["block_ms_p99"]) if ok else None
            setting = "none reaches it" if best is None else ", ".join(
                f"{k} {best[k]}" for k in ("nprobe", "k_factor", "ef_search") if k in best)
            frames = s.get("holds_frames", True)
            rec = "-" if best is None else f"{best['recall_min']:.4f} / {best['recall_mean']:.4f}"
            blend = "-" if best is None else pct(best)
            ms = "-" if best is None else f"{best['block_ms_p50']:.2f} / {best['block_ms_p99']:.2f}"
            exact = {True: "yes", False: "NO", None: "kept frames"}[s["reconstruct_exact"]]
            if not frames:
                setting, exact = "none: it holds no frame (centres or shuffled rows)", "no: not frames"
            k = s.get("k", 8)
            app = f"{s['app_bytes'] / 2**20:,.1f}" if "app_bytes" in s else "-"
            print(f"| {label}: {factory} (k={k}) | {s['file_bytes'] / 2**20:,.1f} | {app} | {info['wall_s']:.0f} ({info['other_cpu_pct']}) | "
                  f"{info['rss_kib'] / 1024:,.0f} | {s['faiss']} | {setting} | {rec} | {blend} | {ms} | {exact} |")
            shipped = [p for p in s["settings"] if p.get("stored")]
            if (label.startswith("rvcidx") or label == "rvc") and shipped:  # the file as an app loads it
                p = shipped[0]
                stored = ", ".join(f"{k} {p[k]:g}" for k in ("nprobe", "k_factor", "ef_search") if k in p)
                rec = f"{p['recall_min']:.4f} / {p['recall_mean']:.4f}" if frames else "- (no frames)"
                print(f"| {label} as shipped | | | | | {s['faiss']} | stored: {stored} | {rec} | "
                      f"{pct(p)} | {p['block_ms_p50']:.2f} / {p['block_ms_p99']:.2f} | |")
                if "block_ms_max" in p:
                    print(f"| {label} as shipped: slowest block | | | | | {s['faiss']} | | | | max {p['block_ms_max']:.2f}; "
                          f"{p['blocks_over_10ms']} of {TIMED_BLOCKS} blocks over 10 ms | |")
    print()
PY
echo
other_cpu
