#!/usr/bin/env bash
# run.sh — the GPU kit's one command on the device (copied into gpu-kit/ by
# scripts/gpu-kit.sh). From the repository root: bash gpu-kit/run.sh
#
# Unpacks the kit, checks every library resolves, then in order, each step
# timed and its result kept even when a later one fails:
#   1. the GPU unit tests (test_gpu; test_gpu_train: GPU- and CPU-trained
#      indexes agree on > 95% of 8-NN);
#   2. `rvcidx demo`: a 1M x 768 multi-speaker set (4 speakers);
#   3. `rvcidx build --gpu on` of it, twice: byte-identical artifacts or the
#      exact list of what differs (and the centroids' largest difference);
#   4. the same build with --gpu off on this machine's CPU cores: wall time,
#      recall and blend error beside the GPU build's;
#   5. a budgeted build of the same set into 100,000 vectors (`--max-vectors
#      100000 --gpu on`): the reduction's k-means and exact k-NN searches on
#      the GPU; its reduction seconds (run.json), what auto measured and
#      chose, and the build's wall time;
#   6. k-means time per iteration at N = 1M, nlist 4,000, D = 768 (the slope
#      between two iteration counts, so set-up is left out): rvcidx on the
#      GPU, rvcidx on the CPU cores, a plain PyTorch k-means on the same GPU
#      (bench/gpu_peer.py), and the GPU's measured fp32 GEMM rate.
# Writes $OUT/gpu-results.json and $OUT/gpu-results.md and prints the table.
# A step that would run past the budget (450 s) is skipped, saying so.
#
#   --rehearse   on a machine without a GPU: small sizes, --gpu auto (the
#                CPU fallback, one line), the PyTorch peer only if torch is
#                there. Checks the kit and this script, measures nothing.
set -uo pipefail
kit=$(cd "$(dirname "$0")" && pwd)
rehearse=0
[[ "${1:-}" == --rehearse ]] && rehearse=1
OUT=${OUT:-$kit/out}
mkdir -p "$OUT"
budget=${RVCIDX_KIT_BUDGET_S:-450}
t0=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/rvcidx-gpu.XXXXXX")
trap 'rm -rf "$work"' EXIT
results="$OUT/gpu-results.json"
log="$OUT/gpu-run.log"
: > "$log"

say() { echo "run.sh [$(( $(date +%s) - t0 )) s] $*" | tee -a "$log"; }
# KEY VALUE: one result (VALUE is JSON)
declare -A R
put() { R[$1]=${2:-null}; }
json_str() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
left() { echo $(( budget - ($(date +%s) - t0) )); }
# NEEDED_S: 0 when the step fits in what is left of the budget
fits() { (( $(left) >= $1 )) || { say "skipped: needs ~$1 s, $(left) s left of the $budget s budget"; return 1; }; }
failed=""
fail_step() { failed="$failed $1"; }
# NAME CMD...: runs, records wall seconds and exit code; output streams into
# the log as it comes (a step cut off by the time limit still shows how far
# it got) and into $work/NAME.out; the results file is rewritten after it.
timed() {
  local name=$1; shift
  local s e rc
  s=$(date +%s.%N)
  "$@" 2>&1 | tee -a "$log" > "$work/$name.out"
  rc=${PIPESTATUS[0]}
  e=$(date +%s.%N)
  put "${name}_s" "$(awk -v a="$s" -v b="$e" 'BEGIN {printf "%.2f", b - a}')"
  put "${name}_rc" "$rc"
  write_results
  return $rc
}
# The kit's programs see the kit's libraries; nothing else does (the
# device's python3, torch and h5py keep their own libstdc++ and HDF5).
kitenv() { env LD_LIBRARY_PATH="$libpath" "$@"; }

write_results() {
  {
    echo "{"
    local first=1
    for k in $(printf '%s\n' "${!R[@]}" | sort); do
      [[ $first -eq 1 ]] || echo ","
      first=0
      printf '  "%s": %s' "$k" "${R[$k]}"
    done
    echo ""
    echo "}"
  } > "$results"
}
trap 'write_results; rm -rf "$work"' EXIT
# bash runs no EXIT trap when killed by a signal: the results are kept anyway
trap 'say "stopped by a signal"; write_results; rm -rf "$work"; exit 143' TERM INT

# ---- the kit ---------------------------------------------------------------
mkdir -p "$work/kit"
if command -v xz > /dev/null; then
  tar -C "$work/kit" -xJf "$kit/kit.tar.xz"
else # a bare image may lack xz; Python's lzma is built in
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$kit/kit.tar.xz" "$work/kit"
fi || { say "FAIL: cannot unpack $kit/kit.tar.xz"; exit 1; }
bin="$work/kit/bin"
needed=$(cat "$work/kit/glibc-needed" 2>/dev/null || echo 0)
have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
put glibc "$(json_str "have ${have:-?}, kit needs $needed")"
if [[ -n "$have" && "$(printf '%s\n%s\n' "$needed" "$have" | sort -V | head -1)" != "$needed" ]]; then
  say "FAIL: this machine's glibc is $have; the kit (built on Debian bookworm) needs $needed or newer: pack it on an older system"
  exit 1
fi
libpath="$work/kit/lib"
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [[ -d $d ]] && libpath="$libpath:$d"; done
# CUDA's libraries as pip wheels (the torch image carries nvidia-cublas, -cuda-runtime)
for d in $(python3 -c 'import glob, site
dirs = site.getsitepackages() + [site.getusersitepackages()]
print(" ".join(sorted(p for d in dirs for p in glob.glob(d + "/nvidia/*/lib"))))' 2>/dev/null); do
  libpath="$libpath:$d"
done
missing=$(kitenv ldd "$bin/rvcidx" "$bin/test_gpu_train" 2>&1 | grep "not found" | sort -u | tr -s ' \t' ' ')
put missing_libraries "$(json_str "$missing")"
[[ -z "$missing" ]] || { say "FAIL: unresolved libraries: $missing"; fail_step libraries; }
rvcidx="$bin/rvcidx"
put version "$(json_str "$(kitenv "$rvcidx" --version 2>&1 | tr '\n' ';')")"
say "$(kitenv "$rvcidx" --version 2>&1 | head -1)"
kitenv "$rvcidx" gpu > "$work/gpu.out" 2>&1
gpu_rc=$?
put gpu_probe "$(json_str "$(tr '\n' ' ' < "$work/gpu.out")")"
say "gpu probe (exit $gpu_rc): $(head -1 "$work/gpu.out")"
if [[ $gpu_rc -ne 0 && $rehearse -eq 0 ]]; then say "FAIL: no usable GPU here (use --rehearse on a CPU machine)"; exit 1; fi
gpu_mode=on
[[ $rehearse -eq 1 ]] && gpu_mode=auto

# ---- 1. unit tests -----------------------------------------------------------
export RVCIDX_TEST_TMP="$work/unit"
mkdir -p "$RVCIDX_TEST_TMP"
for t in test_gpu test_gpu_train; do
  timed "$t" kitenv "$bin/$t"
  rc=${R[${t}_rc]}
  [[ $rc -eq 0 || ( $rc -eq 77 && $rehearse -eq 1 ) ]] || fail_step "$t"
  status=$([[ $rc -eq 0 ]] && echo passed || { [[ $rc -eq 77 ]] && echo skipped || echo FAILED; })
  put "$t" "$(json_str "$status")"
  say "$t: $status (${R[${t}_s]} s) $(grep -h 'overlap\|SKIP' "$work/$t.out" | head -1)"
done
overlap=$(sed -n 's/.*overlap of the GPU- and CPU-trained indexes: \([0-9.]*\).*/\1/p' "$work/test_gpu_train.out")
put gpu_cpu_8nn_overlap "${overlap:-null}"

# ---- 2. the data -------------------------------------------------------------
if [[ $rehearse -eq 1 ]]; then minutes=0.5; else minutes=83.333333; fi # 4 x minutes x 3000 frames
fits 60 && timed demo kitenv "$rvcidx" demo -q --no-progress -o "$work/data" --speakers 4 --minutes "$minutes" --dim 768
say "demo: exit ${R[demo_rc]:-skipped}, ${R[demo_s]:-?} s"

# ---- 3. GPU builds twice, 4. CPU build ---------------------------------------
manifest_figures() { # DIR PREFIX
  python3 - "$1" "$2" >> "$work/figures.txt" <<'PY'
import json, sys
d, p = sys.argv[1], sys.argv[2]
m = json.load(open(d + "/manifest.json"))
i = m["indexes"][0]
r = i.get("recall", {})
print("%s %s" % (p + "_recall_k", r.get("recall_k", "null")))
print("%s %s" % (p + "_blend_error", r.get("blend_error_mean", "null")))
print("%s %s" % (p + "_nprobe", i["nprobe"]))
print("%s %s" % (p + "_k_factor", i["k_factor"]))
print("%s %s" % (p + "_train_device", json.dumps(i["train_device"])))
PY
}
build() { # NAME GPU_MODE SECONDS_EXPECTED
  fits "$3" || return 1
  timed "$1" kitenv env -u OMP_NUM_THREADS "$rvcidx" build --no-progress --gpu "$2" -o "$work/$1" "$work/data"
  say "build $1 (--gpu $2): exit ${R[${1}_rc]}, ${R[${1}_s]} s; $(grep -h '^time' "$work/$1.out")"
  [[ ${R[${1}_rc]} -eq 0 ]] || { fail_step "$1"; return 1; }
  manifest_figures "$work/$1" "$1"
}
whole() { printf '%.0f' "${1:-0}"; }
if [[ ${R[demo_rc]:-1} -eq 0 ]]; then
  build gpu_build_1 "$gpu_mode" 60
  build gpu_build_2 "$gpu_mode" $(( $(whole "${R[gpu_build_1_s]:-40}") * 5 / 4 + 10 ))
  if [[ ${R[gpu_build_1_rc]:-1} -eq 0 && ${R[gpu_build_2_rc]:-1} -eq 0 ]]; then
    differ=""
    for f in $(cd "$work/gpu_build_1" && ls store.h5 centroids.h5 added_*.index report.json manifest.json); do
      cmp -s "$work/gpu_build_1/$f" "$work/gpu_build_2/$f" || differ="$differ $f"
    done
    put gpu_repeat_identical "$([[ -z "$differ" ]] && echo true || echo false)"
    put gpu_repeat_differing "$(json_str "${differ# }")"
    if [[ -n "$differ" ]]; then # how far apart the two GPU trainings are
      put gpu_repeat_centroid_max_diff "$(python3 -c 'import h5py, sys, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
k = [n for n in a if isinstance(a[n], h5py.Dataset)][0]
print(float(np.abs(a[k][:].astype(np.float64) - b[k][:]).max()))' "$work/gpu_build_1/centroids.h5" "$work/gpu_build_2/centroids.h5" 2>/dev/null || echo null)"
    fi
    say "GPU build twice: ${differ:+differ in:}${differ:-byte-identical}"
  fi
  rm -rf "$work/gpu_build_2" # disk: one store is kept, for k-means
  # the CPU build: the GPU build's time plus its k-means on the CPU cores
  build cpu_build off $(( $(whole "${R[gpu_build_1_s]:-40}") * 3 / 2 + 60 ))
  while read -r k v; do put "$k" "$v"; done < "$work/figures.txt" 2>/dev/null
  rm -rf "$work/cpu_build"
  write_results
fi

# ---- 5. a budgeted build: the reduction on the GPU -------------------------------
if [[ ${R[demo_rc]:-1} -eq 0 ]] && fits 90; then
  rm -rf "$work/cpu_build" "$work/budget_build"
  timed budget_build kitenv env -u OMP_NUM_THREADS "$rvcidx" build --no-progress --gpu "$gpu_mode" \
    --max-vectors $(( rehearse ? 1000 : 100000 )) -o "$work/budget_build" "$work/data"
  say "budgeted build (--max-vectors, --gpu $gpu_mode): exit ${R[budget_build_rc]}, ${R[budget_build_s]} s"
  if [[ ${R[budget_build_rc]} -eq 0 ]]; then
    put budget_reduction "$(python3 -c 'import json, sys
run = json.load(open(sys.argv[1] + "/run.json"))
rep = json.load(open(sys.argv[1] + "/report.json"))
red = rep.get("reduction") or {}
print(json.dumps({"reduce_s": run["indexes"][0].get("reduce_s"), "method": red.get("method"),
                  "trials": red.get("auto_trials"), "kept": red.get("kept"), "input": red.get("input_vectors"),
                  "device": run["indexes"][0].get("train_device")}))' "$work/budget_build" 2>/dev/null || echo null)"
  else
    fail_step budget_build
  fi
  rm -rf "$work/budget_build"
  write_results
fi

# ---- 6. k-means per iteration -------------------------------------------------
kmeans_run() { # NAME GPU_MODE ITERATIONS ROWS
  timed "$1" kitenv env -u OMP_NUM_THREADS "$rvcidx" train --log-json --gpu "$2" --nlist "$nlist" \
    --train-rows "$4" --iterations "$3" -o "$work/$1.h5" "$work/gpu_build_1/store.h5"
}
kmeans_s() { # NAME: seconds of k-means alone, from its progress events
  python3 -c 'import json, sys
for line in open(sys.argv[1]):
    try: e = json.loads(line)
    except ValueError: continue
    if e.get("event") == "progress" and e.get("stage") == "k-means" and e.get("finished"): print("%.4f" % e["elapsed_s"])' \
    "$work/$1.out" | tail -1
}
slope() { # A_S B_S ITERATIONS_BETWEEN
  awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {if (a == "" || b == "") print "null"; else printf "%.5f", (b - a) / n}'
}
if [[ -f "$work/gpu_build_1/manifest.json" ]]; then
  rows=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["indexes"][0]["ntotal"])' "$work/gpu_build_1/manifest.json")
  nlist=$(( rows >= 1000000 ? 4000 : 100 ))
  put kmeans_rows "$rows"
  put kmeans_nlist "$nlist"
  flops=$(awk -v n="$rows" -v k="$nlist" 'BEGIN {printf "%.0f", 2 * n * k * 768}')
  if fits 40; then
    kmeans_run km_gpu_2 "$gpu_mode" 2 "$rows"; kmeans_run km_gpu_12 "$gpu_mode" 12 "$rows"
    a=$(kmeans_s km_gpu_2); b=$(kmeans_s km_gpu_12)
    put rvcidx_gpu_kmeans_s_per_iteration "$(slope "$a" "$b" 10)"
    put rvcidx_gpu_kmeans_device "$(json_str "$(grep -ho 'on cuda[^"]*\|on cpu[^"]*' "$work/km_gpu_2.out" | head -1)")"
    say "k-means, rvcidx --gpu $gpu_mode: 2 iterations ${a:-?} s, 12 iterations ${b:-?} s"
  fi
  if fits 90; then
    kmeans_run km_cpu_1 off 1 "$rows"; kmeans_run km_cpu_3 off 3 "$rows"
    a=$(kmeans_s km_cpu_1); b=$(kmeans_s km_cpu_3)
    put rvcidx_cpu_kmeans_s_per_iteration "$(slope "$a" "$b" 2)"
    put cpu_cores "$(nproc)"
    say "k-means, rvcidx --gpu off ($(nproc) cores): 1 iteration ${a:-?} s, 3 iterations ${b:-?} s"
  fi
  if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null && fits 40; then
    timed torch_peer python3 "$work/kit/gpu_peer.py" "$rows" "$nlist" 768 5
    # only a line that parses: a failed peer must not spoil the other figures
    peer=$(python3 -c 'import json, sys
for line in reversed(open(sys.argv[1]).read().splitlines()):
    try: print(json.dumps(json.loads(line))); break
    except ValueError: pass
else: print("null")' "$work/torch_peer.out")
    put torch_peer "$peer"
    [[ "$peer" != null ]] || fail_step torch_peer
    say "PyTorch peer: $peer"
  else
    say "PyTorch peer: skipped (no torch with a GPU here)"
  fi
  put kmeans_flops_per_iteration "$flops"
fi
write_results

# ---- the table -----------------------------------------------------------------
python3 - "$results" "$rehearse" <<'PY' | tee "$OUT/gpu-results.md"
import json, sys
r = json.load(open(sys.argv[1]))
rehearse = sys.argv[2] == "1"
g = lambda k: r.get(k)
flops = g("kmeans_flops_per_iteration")
peer = g("torch_peer") or {}
def rate(s):
    return "%.1f TFLOP/s" % (flops / s / 1e12) if s and flops else "-"
print("# rvcidx on the GPU%s\n" % (" (REHEARSAL on a CPU machine: nothing measured)" if rehearse else ""))
print("%s\n" % (g("version") or "").split(";")[0])
print("| check | result |\n|---|---|")
print("| test_gpu | %s |" % g("test_gpu"))
print("| test_gpu_train (8-NN overlap GPU vs CPU > 0.95) | %s (overlap %s) |" % (g("test_gpu_train"), g("gpu_cpu_8nn_overlap")))
same = g("gpu_repeat_identical")
print("| GPU build twice | %s |" % ("not run" if same is None else "byte-identical" if same else
      "differ: %s (centroids max |diff| %s)" % (g("gpu_repeat_differing"), g("gpu_repeat_centroid_max_diff"))))
for p, name in (("gpu_build_1", "GPU build"), ("cpu_build", "CPU build (--gpu off)")):
    print("| %s: wall / 8-recall@8 / blend error / nprobe, k_factor | %s s / %s / %s / %s, %s |" % (
        name, g(p + "_s"), g(p + "_recall_k"), g(p + "_blend_error"), g(p + "_nprobe"), g(p + "_k_factor")))
if g("gpu_build_1_s") and g("cpu_build_s"):
    print("| end to end, GPU / CPU | %.2fx |" % (float(g("gpu_build_1_s")) / float(g("cpu_build_s"))))
print("\nk-means per iteration, N = %s, nlist %s, D = 768 (%s FLOP an iteration):\n" % (g("kmeans_rows"), g("kmeans_nlist"), flops))
print("| | s / iteration | rate | vs GEMM rate |\n|---|---:|---:|---:|")
gemm = peer.get("gemm_tflops")
for name, s in (("rvcidx, %s" % (g("rvcidx_gpu_kmeans_device") or "GPU"), g("rvcidx_gpu_kmeans_s_per_iteration")),
                ("rvcidx, CPU (%s cores)" % g("cpu_cores"), g("rvcidx_cpu_kmeans_s_per_iteration")),
                ("PyTorch k-means, same GPU", peer.get("torch_kmeans_s_per_iteration")),
                ("fp32 GEMM alone, same GPU", peer.get("gemm_s_per_iteration"))):
    pct = "%.0f%%" % (100 * flops / s / 1e12 / gemm) if s and gemm and flops else "-"
    print("| %s | %s | %s | %s |" % (name, "%.4f" % s if s else "-", rate(s), pct))
bud = g("budget_reduction") or {}
print("\nBudgeted build (%s of %s kept, --gpu on): wall %s s, reduction %s s, chose %s; auto's trials %s" % (
    bud.get("kept"), bud.get("input"), g("budget_build_s"), bud.get("reduce_s"), bud.get("method"),
    ", ".join("%s %.4f" % (t["method"], t["blend_error_mean"]) for t in bud.get("trials") or [] if t.get("measured"))))
PY
put failed_steps "$(json_str "${failed# }")"
write_results
say "results: $results, $OUT/gpu-results.md, log $log ($(( $(date +%s) - t0 )) s in all)"
[[ -z "$failed" ]] || { say "FAILED:$failed"; exit 1; }
