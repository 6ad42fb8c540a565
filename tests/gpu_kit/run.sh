#!/usr/bin/env bash
# tests/gpu_kit/run.sh — the GPU kit, proven as far as a machine without a
# GPU can: scripts/gpu-kit.sh packs it from this checkout under the size
# limit; the packed rvcidx starts in a chroot holding only the kit, glibc
# and the CUDA runtime libraries a GPU machine has (bind-mounted from the
# toolkit), reports its GPU build in --version, and without a driver falls
# back to the CPU with one clear line; the kit's run.sh --rehearse runs end
# to end there. Skips, saying why, when no GPU faiss is cached (building it
# takes about an hour on 2 cores: scripts/gpu-kit.sh does it once).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
T=${TEST_TMP:-/tmp}/gpu_kit
arch=90
fail() { echo "FAIL: $*"; exit 1; }
prefix=$(bash "$top/scripts/build-faiss.sh" --simd avx2 --gpu --cuda-arch "$arch" --print-prefix)
if [[ ! -f "$prefix/lib/libfaiss.so" ]]; then
  echo "SKIP: no GPU faiss cached at $prefix (scripts/gpu-kit.sh builds it once, about an hour on 2 cores)"; exit 77
fi
[[ "${RVCIDX_SANITIZED:-0}" == "1" ]] && { echo "SKIP: the kit is packed once, in the plain pass"; exit 77; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP: the chroot check needs root"; exit 77; }
cuda_lib=/usr/local/cuda/lib64
[[ -d $cuda_lib ]] || { echo "SKIP: no CUDA toolkit at /usr/local/cuda"; exit 77; }

unmount_under() { awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null; }
unmount_under "$T"
rm -rf "$T"
mkdir -p "$T"
trap 'unmount_under "$T"' EXIT

# Pack from a clean clone of the checkout's HEAD, as a newcomer would.
git clone -q "$top" "$T/src" || fail "git clone"
bash "$T/src/scripts/gpu-kit.sh" --arch "$arch" --build-dir "$T/build-gpu" --out "$T/src/gpu-kit" > "$T/pack.log" 2>&1 ||
  fail "gpu-kit.sh: $(tail -3 "$T/pack.log")"
grep "MiB (limit" "$T/pack.log"

# The chroot: the kit, glibc (the device has its own, as new or newer) and
# CUDA's libraries (the device has CUDA 13), nothing else.
root="$T/root"
mkdir -p "$root/kit" "$root/tmp" "$root/proc" "$root/dev" "$root/usr/local/cuda/lib64" "$root/bin"
tar -C "$root/kit" -xJf "$T/src/gpu-kit/kit.tar.xz"
for lib in $(ldd "$root/kit/bin/rvcidx" | awk '$1 ~ /^(libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv)/ {print $3} /ld-linux/ {print $1}'); do
  mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
done
mount --bind "$cuda_lib" "$root/usr/local/cuda/lib64"
mount --bind /proc "$root/proc"
mount --bind /dev "$root/dev"
chroot_bin=$(command -v chroot) || { echo "SKIP: no chroot command"; exit 77; }
in_root() { env -i PATH=/kit/bin LD_LIBRARY_PATH=/kit/lib:/usr/local/cuda/lib64 "$chroot_bin" "$root" "$@"; }
missing=$(in_root /kit/bin/rvcidx --version 2>&1 | grep -i "error while loading" || true)
[[ -z "$missing" ]] || fail "the kit's rvcidx does not start with only the kit's libraries: $missing"
version=$(in_root /kit/bin/rvcidx --version 2>&1)
echo "$version" | sed 's/^/  /'
grep -q "built with GPU support" <<< "$version" || fail "--version does not report a GPU build"
in_root /kit/bin/rvcidx gpu > "$T/gpu.txt" 2>&1
rc=$?
[[ $rc -eq 6 ]] || fail "'rvcidx gpu' without a driver: exit $rc, expected 6: $(cat "$T/gpu.txt")"
grep -q "built without GPU support" "$T/gpu.txt" && fail "'rvcidx gpu' says it is a CPU build: $(cat "$T/gpu.txt")"
echo "  without a driver: $(head -1 "$T/gpu.txt")"
in_root /kit/bin/rvcidx demo -q --no-progress -o /tmp/d --speakers 2 --minutes 0.3 || fail "demo in the chroot"
in_root /kit/bin/rvcidx build --no-progress -o /tmp/o /tmp/d > "$T/build.txt" 2>&1 || fail "build in the chroot: $(tail -3 "$T/build.txt")"
fallback=$(grep -c "no GPU" "$T/build.txt")
[[ $fallback -ge 1 ]] || fail "the build did not say it fell back to the CPU: $(head -5 "$T/build.txt")"
echo "  fallback line: $(grep -m1 "no GPU" "$T/build.txt")"

# The device's command, rehearsed here (small sizes, CPU fallback).
(cd "$T/src" && OUT="$T/out" RVCIDX_KIT_BUDGET_S=600 bash gpu-kit/run.sh --rehearse) > "$T/rehearse.log" 2>&1 ||
  fail "gpu-kit/run.sh --rehearse: $(tail -5 "$T/rehearse.log")"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["gpu_build_1_rc"] == 0 and r["cpu_build_rc"] == 0, r' \
  "$T/out/gpu-results.json" || fail "rehearsal results: $(cat "$T/out/gpu-results.json")"
echo "gpu_kit: packed under the limit from a clean clone; starts with only the kit, glibc and CUDA's libraries; GPU build in --version; CPU fallback in one line; run.sh rehearsed"
