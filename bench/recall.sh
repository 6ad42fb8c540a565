#!/usr/bin/env bash
# bench/recall.sh [BUILD_DIR] — the index rvcidx ships against RVC's own
# recipe, across nprobe, queried with another speaker's frames (RVC's real use).
#
# Per size (D=768, 4 speakers x 8.5 min = 102,000 vectors and 4 x 20 min =
# 240,000 vectors; demo trees in a scratch directory under the build dir):
#   rvcidx   `rvcidx build -o OUT TREE` (defaults: ingest, k-means, IVF-PQ4fs +
#            RFlat, tuning (its default: 1000 of a held-out speaker's frames
#            against a tuning index of the other three), publish), timed end to end
#   RVC      bench/recall_peer.py build: RVC's WebUI train_index with Debian's
#            python3-faiss and sklearn (shuffle with a fixed seed; above 200,000
#            vectors ALL vectors replaced by 10,000 MiniBatchKMeans centres;
#            IVF{min(16 sqrt N, N/39)},Flat, nprobe 1, add in batches of 8192), timed
#            end to end (python start, reading the .npy files ... write_index)
# Queries: a fifth speaker (`rvcidx demo --speakers 1 --first 9 --minutes 2`:
# 6,000 frames), every frame, against exact k-NN (IndexFlatL2) over ALL input
# vectors. rvcidx's curve: `rvcidx eval INDEX STORE --queries Q --eval-queries
# 100000 --report DIR` (its sweep of nprobe x k_factor, 1-thread queries/s).
# RVC's curve: the same figures computed in Python (8-recall@8, empty slots,
# RVC blend error: 1/d^2 weights over big_npy[ids], ids -1 -> big_npy[-1];
# queries/s with faiss.omp_set_num_threads(1), fastest of >= 2 searches as
# rvcidx times). Debian's python3-faiss is a generic (non-AVX2) build, so
# RVC's index is also timed with rvcidx's AVX2 faiss (`rvcidx eval` of that
# index over its own vectors, reconstruct_n, ingested into a store): the
# "q/s AVX2" column, the fair one for speed. The centres-only index holds no
# input vector, so its recall against the input vectors is 0 by definition:
# compare the blend error there. Also cross-checks rvcidx's shipped index in
# Python (the same code as for RVC's) against rvcidx's own eval figures.
# Prints to stdout only; removes its scratch directory at the end
# (RVCIDX_BENCH_KEEP=1 keeps it). RVCIDX_BENCH_MINUTES (default "8.5 20")
# changes the minutes per speaker of each size. About 25 min on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seed=1234
source "$root/bench/common.sh" recall 2 faiss h5py numpy sklearn threadpoolctl

echo "# Shipped index vs RVC's recipe, queried with another speaker's frames"
echo
echo "$(versions_line);" "sklearn $($py -c 'import sklearn; print(sklearn.__version__)'); $(nproc) CPUs; D=768, k=8"
echo
qtree=$work/qtree q=$work/queries.h5
"$rvcidx" demo -q --no-progress -o "$qtree" --speakers 1 --first 9 --minutes 2 --dim 768
"$rvcidx" ingest -q --no-progress -o "$q" "$qtree" >/dev/null
rm -rf "$qtree"
for minutes in ${RVCIDX_BENCH_MINUTES:-8.5 20}; do
  tree=$work/tree out=$work/out rvc=$work/rvc
  rm -rf "$tree" "$out" "$rvc"
  "$rvcidx" demo -q --no-progress -o "$tree" --speakers 4 --minutes "$minutes" --dim 768
  sync
  # 1. the two builds, one after the other, each end to end
  rc=0
  timed env -u OMP_WAIT_POLICY "$rvcidx" build --no-progress -o "$out" "$tree" || rc=$?
  [[ $rc == 0 ]] || { echo "rvcidx build failed ($rc):" >&2; cat "$work/stdout" "$work/stderr" >&2; exit 1; }
  cp "$work/stdout" "$work/build.out"
  rvcidx_wall=$T_WALL rss_x=$T_RSS other_x=$T_OTHER
  timed env -u OMP_WAIT_POLICY $py "$root/bench/recall_peer.py" build "$tree" "$rvc" $seed
  rvc_wall=$T_WALL rss_r=$T_RSS other_r=$T_OTHER
  index=$(ls "$out"/added_*.index)
  # 2. rvcidx's sweep with the external queries (--target-recall 1 everywhere here: a target no
  # setting reaches keeps the whole curve; eval skips settings costlier than one reaching it)
  t0=$(now)
  eval_ok "$rvcidx" eval -q --no-progress --target-recall 1 "$index" "$out/store.h5" --queries "$q" --eval-queries 100000 --report "$work/rep" >/dev/null
  t1=$(now)
  # 3. RVC's curve in Python, and the cross-check of rvcidx's shipped index
  $py "$root/bench/recall_peer.py" eval "$tree" "$out/store.h5" "$q" "$rvc" "$index" "$work/py.json"
  t2=$(now)
  # 4. RVC's index timed with rvcidx's AVX2 faiss (its vectors, as reconstruct_n gives them, as a store)
  "$rvcidx" ingest -q --no-progress -o "$work/rvcvec.h5" "$rvc/vectors" >/dev/null
  eval_ok "$rvcidx" eval -q --no-progress --target-recall 1 --index ivfflat "$rvc"/added_*.index "$work/rvcvec.h5" --queries "$q" \
    --eval-queries 100000 --report "$work/rep-rvc" >/dev/null
  t3=$(now)
  steps="benchmark steps (s): rvcidx eval sweep $(secs "$t0" "$t1"), Python eval $(secs "$t1" "$t2"), AVX2 eval of RVC's index $(secs "$t2" "$t3")"
  $py - "$work" "$rvcidx_wall" "$rvc_wall" "$rss_x" "$rss_r" "$index" "$steps" "$other_x" "$other_r" <<'EOF'
import json, os, sys
work, rvcidx_wall, rvc_wall, rss_x, rss_r, index = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
steps, other_x, other_r = sys.argv[7], float(sys.argv[8]), float(sys.argv[9])
P = json.load(open(f"{work}/py.json"))
T = json.load(open(f"{work}/rep/timings.json"))
TR = json.load(open(f"{work}/rep-rvc/timings.json"))
B = json.load(open(f"{work}/out/report.json"))
n, b = P["rows"], P["build"]
avx = {p["nprobe"]: p for p in TR["settings"]}
build_line = open(f"{work}/build.out").read()
stage = " ".join(next((l for l in build_line.splitlines() if l.startswith("time")), "").split())
print(f"## {n:,} vectors (4 speakers), {P['queries']:,} queries from a fifth speaker")
print()
print(f"Store rows in RVC's concatenation order: {'yes' if P['store_in_rvc_order'] else 'NO'}; "
      f"rvcidx's index reconstructs every input vector exactly: {'yes' if P['rvcidx_reconstruct_exact'] else 'NO'}.")
print()
print("| build | index | vectors held | wall s | peak RSS MiB |")
print("| --- | --- | ---: | ---: | ---: |")
print(f"| rvcidx build (ingest, k-means, encode, tuning, publish) | {os.path.basename(index)} | {T['ntotal']:,} | {rvcidx_wall:.1f} | {rss_x / 1024:.0f} |")
what = f"{b['ntotal']:,} MiniBatchKMeans centres, none of the {b['input_vectors']:,} frames" if b["centres_only"] else f"{b['ntotal']:,} (all frames, shuffled)"
print(f"| RVC recipe (python3-faiss{', sklearn' if b['centres_only'] else ''}) | {os.path.basename(b['index'])} | {what} | {rvc_wall:.1f} | {rss_r / 1024:.0f} |")
print()
t = b["times"]
print(f"rvcidx: {stage}. RVC: load {t['load_s']:.1f} s, shuffle {t['shuffle_s']:.1f} s, MiniBatchKMeans {t['minibatch_kmeans_s']:.1f} s, "
      f"IVF train {t['ivf_train_s']:.1f} s, add+write {t['add_write_s']:.1f} s. rvcidx ÷ RVC wall: {rvcidx_wall / rvc_wall:.2f}x; "
      f"peak RSS {rss_x / rss_r:.2f}x. Other processes used {other_x:.1f}% / {other_r:.1f}% of the CPUs during the two builds.")
print()
print(f"RVC's curve (IVF{b['nlist']},Flat over {b['ntotal']:,} vectors; nprobe 1 ships):")
print()
print("| nprobe | 8-recall@8 | 1-recall@1 | empty slots | blend err mean | blend err p95 | q/s 1 thr (python3-faiss, generic) | q/s 1 thr (rvcidx's AVX2 faiss) |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in P["rvc"]:
    a = avx.get(r["nprobe"], {}).get("qps_1_thread")
    print(f"| {r['nprobe']} | {r['recall_k']:.4f} | {r['recall_1']:.4f} | {100 * r['empty_share']:.2f}% | {100 * r['blend_error_mean']:.2f}% "
          f"| {100 * r['blend_error_p95']:.2f}% | {r['qps_1_thread']:.0f} | {'%.0f' % a if a else '— (sweep ended)'} |")
if b["centres_only"]:
    print()
    print(f"(The index holds {b['ntotal']:,} centres and no input vector: 8-recall@8 against the input vectors is 0 by "
          "definition; the blend error is the figure to compare.)")
pts = T["settings"]
front = [p for p in pts if not any(o is not p and o["recall_k"] >= p["recall_k"] and o["qps_1_thread"] >= p["qps_1_thread"]
                                   and (o["recall_k"] > p["recall_k"] or o["qps_1_thread"] > p["qps_1_thread"]) for o in pts)]
front.sort(key=lambda p: -p["qps_1_thread"])
print()
print(f"rvcidx's Pareto frontier ({T['factory']}, {len(pts)} settings measured; recall vs 1-thread q/s):")
print()
print("| nprobe | k_factor | 8-recall@8 | 1-recall@1 | empty slots | blend err mean | blend err p95 | q/s 1 thr |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for p in front:
    print(f"| {p['nprobe']} | {p['k_factor']} | {p['recall_k']:.4f} | {p['recall_1']:.4f} | {100 * p['empty_share']:.2f}% "
          f"| {100 * p['blend_error_mean']:.2f}% | {100 * p['blend_error_p95']:.2f}% | {p['qps_1_thread']:.0f} |")
s, c, x = T["stored_setting"], B["chosen_setting"], P["rvcidx_shipped_in_python"]
print()
print(f"rvcidx's shipped setting: nprobe {s['nprobe']}, k_factor {s['k_factor']} (tuned by `build` on "
      f"{B['queries']} queries, {B['queries_from']}: 8-recall@8 {c['recall_k']:.4f}). With the fifth speaker's queries: "
      f"8-recall@8 {s['recall_k']:.4f}, 1-recall@1 {s['recall_1']:.4f}, empty {100 * s['empty_share']:.2f}%, blend error "
      f"{100 * s['blend_error_mean']:.2f}% (p95 {100 * s['blend_error_p95']:.2f}%), {s['qps_1_thread']:.0f} q/s on 1 thread. "
      f"Python's check of the same file at its stored setting (nprobe {x['nprobe']}, k_factor {x['k_factor']:.0f}): "
      f"8-recall@8 {x['recall_k']:.4f}, empty {100 * x['empty_share']:.2f}%, blend error {100 * x['blend_error_mean']:.2f}% "
      f"(p95 {100 * x['blend_error_p95']:.2f}%), {x['qps_1_thread']:.0f} q/s (python3-faiss, generic).")
if not b["centres_only"]:
    r1 = next((r for r in P["rvc"] if r["nprobe"] == 1), None)
    a1 = avx.get(1)
    if r1 and a1:
        print(f"Cross-check of the two evaluators on RVC's index at nprobe 1: 8-recall@8 {r1['recall_k']:.4f} (Python) vs "
              f"{a1['recall_k']:.4f} (rvcidx eval); blend error {100 * r1['blend_error_mean']:.2f}% vs {100 * a1['blend_error_mean']:.2f}%.")
print()
def above(qps_key):
    lines, all_ok, all_ok_e = [], True, True
    for r in P["rvc"]:
        rq = r["qps_1_thread"] if qps_key == "py" else avx.get(r["nprobe"], {}).get("qps_1_thread")
        if rq is None:
            lines.append(f"nprobe {r['nprobe']}: not timed with AVX2 faiss (rvcidx eval ends a sweep once recall stops rising)")
            continue
        cands = [p for p in pts if p["qps_1_thread"] >= rq]
        best_r = max(cands, key=lambda p: p["recall_k"]) if cands else None
        best_e = min(cands, key=lambda p: p["blend_error_mean"]) if cands else None
        ok = best_r is not None and best_r["recall_k"] > r["recall_k"]
        ok_e = best_e is not None and best_e["blend_error_mean"] < r["blend_error_mean"]
        all_ok &= ok
        all_ok_e &= ok_e
        lines.append(f"nprobe {r['nprobe']} ({r['recall_k']:.3f} @ {rq:.0f} q/s): "
                     + (f"{'yes' if ok else 'no'}, best {best_r['recall_k']:.3f} (nprobe {best_r['nprobe']}, k_factor {best_r['k_factor']}); "
                        f"blend error {'lower' if ok_e else 'NOT lower'}: {100 * best_e['blend_error_mean']:.2f}% vs {100 * r['blend_error_mean']:.2f}%"
                        if cands else "no rvcidx setting is that fast"))
    return all_ok, all_ok_e, lines
for key, label in (("avx2", "RVC timed with rvcidx's AVX2 faiss (same SIMD: the fair comparison)"),
                   ("py", "RVC timed with Debian's generic python3-faiss (as measured in Python)")):
    ok, ok_e, lines = above(key)
    print(f"Is rvcidx's curve above RVC's? {label}: at every RVC point, an rvcidx setting at least as fast with higher "
          f"8-recall@8: **{'YES' if ok else 'NO'}**; with lower blend error: **{'YES' if ok_e else 'NO'}**")
    print()
    for l in lines:
        print(f"- {l}")
    print()
print(f"({steps}.)")
print()
EOF
  rm -rf "$tree" "$out" "$rvc" "$work/rep" "$work/rep-rvc" "$work/rvcvec.h5" "$work/py.json"
done
echo
other_cpu
