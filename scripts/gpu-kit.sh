#!/usr/bin/env bash
# gpu-kit.sh — prepares, on a CPU machine with the CUDA toolkit, the one
# command that proves and measures rvcidx's GPU path on a GPU machine
# that may lack everything else (no package registry, no compiler, a time
# limit of minutes, the tree and the kit copied there within 64 MiB): faiss 1.7.3 with GPU (sm_90) and rvcidx with
# -DRVCIDX_GPU=ON are built here (faiss cached in ~/.cache/rvcidx like the
# CPU build), and everything the device lacks is packed into one git-ignored
# folder, gpu-kit/:
#   gpu-kit/kit.tar.xz  bin/ rvcidx, test_gpu, test_gpu_train (stripped);
#                       lib/ faiss and every library they load that is not
#                       glibc, the GPU driver or the CUDA toolkit (the device
#                       has CUDA 13: libcudart/libcublas come from there)
#   gpu-kit/run.sh      the device's command (scripts/gpu-kit/run.sh)
#   gpu-kit/KIT.txt     what was packed, from which commit, sizes, sha256
# The folder plus the tracked tree must stay under --limit-mib (60): the
# script prints the sizes and fails above it.
#
# On the device, from the repository root:   bash gpu-kit/run.sh
# (writes $OUT/gpu-results.json and prints a table; under 8 minutes).
# Here, without a GPU:   bash gpu-kit/run.sh --rehearse   (small sizes, the
# GPU steps say they are skipped; checks the kit starts and the script runs).
#
# Usage: scripts/gpu-kit.sh [--arch 90] [--limit-mib 60] [--build-dir DIR] [--out DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
arch=90 limit=60 build="$top/build-gpu" out="$top/gpu-kit"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --limit-mib) limit=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-kit: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]] ||
  { echo "gpu-kit: no CUDA toolkit (nvcc): it compiles faiss's GPU code" >&2; exit 1; }
export PATH="$PATH:/usr/local/cuda/bin"

echo "gpu-kit: building faiss 1.7.3 with GPU (sm_$arch) and rvcidx with -DRVCIDX_GPU=ON in $build"
echo "gpu-kit: (faiss is built once and cached: about an hour on 2 cores the first time)"
"$top/scripts/bootstrap.sh" "$build" -DRVCIDX_GPU=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" \
  -DCMAKE_BUILD_TYPE=Release -DRVCIDX_SANITIZE=OFF
bin="$build/src/rvcidx"
if ! "$bin" --version | grep -q "^gpu .*\(CUDA runtime\|built with GPU support\)"; then
  echo "gpu-kit: $bin is a CPU build ($("$bin" --version | grep -i gpu)); remove $build and rerun" >&2; exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
cp "$bin" "$build/tests/test_gpu" "$build/tests/test_gpu_train" "$stage/bin/"

# Every library the programs load, but glibc's own (the device's glibc is
# as new or newer), the GPU driver (the device's must be used) and the CUDA
# toolkit's (the device has CUDA 13; cuBLAS alone is hundreds of MB).
skip_lib='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libcuda\.so|libcudart|libcublas|libcublasLt|libnvidia)'
for prog in "$stage"/bin/*; do
  ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  [[ "$name" =~ $skip_lib ]] && continue
  cp -L "$path" "$stage/lib/$name"
done
missing=$(for prog in "$stage"/bin/*; do ldd "$prog"; done | grep "not found" | sort -u || true)
[[ -z "$missing" ]] || { echo "gpu-kit: unresolved libraries here: $missing" >&2; exit 1; }
strip --strip-unneeded "$stage"/bin/* "$stage"/lib/* 2>/dev/null || true
cp "$top/bench/gpu_peer.py" "$stage/"
# The newest glibc symbol version anything in the kit needs: run.sh stops
# with one line on a machine whose glibc is older.
objdump -T "$stage"/bin/* "$stage"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' |
  sort -t. -k1,1n -k2,2n -u | tail -1 > "$stage/glibc-needed"
echo "gpu-kit: the kit needs glibc $(cat "$stage/glibc-needed") or newer on the device"

rm -rf "$out"
mkdir -p "$out"
tar -C "$stage" -cf - . | xz -T0 -6 > "$out/kit.tar.xz"
cp "$top/scripts/gpu-kit/run.sh" "$out/run.sh"
{
  echo "rvcidx GPU kit, packed $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) from commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "CUDA arch sm_$arch; needs glibc >= $(cat "$stage/glibc-needed"); $("$bin" --version | tr '\n' ';')"
  echo "sha256 $(sha256sum "$out/kit.tar.xz" | cut -c1-64)  kit.tar.xz"
  echo "contents (unpacked bytes):"
  (cd "$stage" && find . -type f -printf '  %s %p\n' | sort -k2)
} > "$out/KIT.txt"

kit_bytes=$(du -sb "$out" | cut -f1)
unpacked=$(du -sb "$stage" | cut -f1)
tree_bytes=$(git -C "$top" ls-files -z | (cd "$top" && xargs -0 du -cb 2>/dev/null) | awk '$2 == "total" {s += $1} END {print s + 0}')
total=$(( kit_bytes + tree_bytes ))
awk -v o="$out" -v k="$kit_bytes" -v u="$unpacked" -v t="$tree_bytes" -v l="$limit" 'BEGIN {
  m = 1048576; printf "gpu-kit: %s: %.1f MiB (unpacked %.1f MiB) + tracked tree %.1f MiB = %.1f MiB (limit %d MiB)\n",
  o, k / m, u / m, t / m, (k + t) / m, l }'
(( total <= limit * 1048576 )) || { echo "gpu-kit: over the $limit MiB limit" >&2; exit 1; }
echo "gpu-kit: ready. On the device: bash gpu-kit/run.sh   (rehearse here: bash gpu-kit/run.sh --rehearse)"
