#!/usr/bin/env bash
# Gets a working build on this machine from nothing: Debian packages, faiss
# 1.7.3 (built once, then cached), configure and compile rvcidx.
# Idempotent and quiet when everything is in place (warm: seconds).
#
# Usage: scripts/bootstrap.sh [BUILD_DIR] [extra cmake -D options...]
#   BUILD_DIR defaults to build/. Examples of extra options:
#   -DRVCIDX_GPU=ON -DCMAKE_CUDA_ARCHITECTURES=90       GPU build
#   -DRVCIDX_FAISS_PREFIX=/opt/faiss                    use an existing faiss
# RVCIDX_DEPS=build|test|all picks the Debian packages installed first
# (default all: the tests' too; scripts/build-wheel.sh asks only for build).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="${1:-$top/build}"
[[ $# -gt 0 ]] && shift

"$top/scripts/install-deps.sh" "${RVCIDX_DEPS:-all}"
mkdir -p "$build"
# Configure only when needed: a configured tree re-runs cmake by itself.
if [[ ! -f "$build/CMakeCache.txt" || $# -gt 0 ]]; then
  # faiss is built here on first use: show its progress lines, log the rest
  cmake -S "$top" -B "$build" "$@" 2>&1 | tee "$build/configure.log" |
    { grep --line-buffered -E 'build-faiss:|rvcidx:' >&2 || true; } ||
    { tail -n 40 "$build/configure.log" >&2; echo "bootstrap: configure failed (full log: $build/configure.log)" >&2; exit 1; }
fi
if ! cmake --build "$build" -j "$(nproc)" >"$build/build.log" 2>&1; then
  tail -n 40 "$build/build.log" >&2
  echo "bootstrap: compiling rvcidx failed (full log: $build/build.log)" >&2
  exit 1
fi
grep -E 'warning:' "$build/build.log" >&2 || true
