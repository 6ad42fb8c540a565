#!/usr/bin/env bash
# The installed library as its users meet it: `cmake --install` into a
# temporary prefix, examples/build_index.c compiled with nothing but
# `pkg-config --cflags --libs rvcidx` and again by a CMake project through
# find_package(rvcidx), the example run on a small demo input, and the
# installed `rvcidx build` run on the same input: the index, centroids.h5,
# store.h5, report.json and manifest.json must be byte-identical.
# Env: RVCIDX_BUILD_DIR (the build tree), TEST_TMP, CC, CMAKE (set by CTest).
set -euo pipefail
: "${RVCIDX_BUILD_DIR:?set by CTest}" "${TEST_TMP:?set by CTest}"
cc=${CC:-cc} cmake=${CMAKE:-cmake}
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp="$TEST_TMP/install"
rm -rf "$tmp" && mkdir -p "$tmp"
prefix="$tmp/prefix"
fail() { echo "FAIL: $*" >&2; exit 1; }
logged() { # LOG WHAT COMMAND...: runs COMMAND into LOG; on failure shows LOG and fails
  local log=$1 what=$2 rc=0; shift 2
  "$@" >"$log" 2>&1 || rc=$?
  [[ $rc -eq 0 ]] || { cat "$log" >&2; fail "$what exited $rc"; }
}
command -v pkg-config >/dev/null || { echo "SKIP: no pkg-config"; exit 77; }
# An AddressSanitizer library needs its runtime first in every program that loads it.
cflags=(-std=c11 -Wall -Wextra -Werror)
[[ "${RVCIDX_SANITIZED:-0}" == "1" ]] && cflags+=(-fsanitize=address,undefined)

logged "$tmp/install.log" "cmake --install" "$cmake" --install "$RVCIDX_BUILD_DIR" --prefix "$prefix"
for f in bin/rvcidx lib/librvcidx.so include/rvcidx/build.h include/rvcidx/error.h \
         lib/pkgconfig/rvcidx.pc lib/cmake/rvcidx/rvcidxConfig.cmake lib/cmake/rvcidx/rvcidxConfigVersion.cmake; do
  [[ -e "$prefix/$f" ]] || fail "the install lacks $f"
done
echo "ok   installed into $prefix"

# 1. pkg-config alone is enough to compile and link
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pc=$(pkg-config --cflags --libs rvcidx) || fail "pkg-config --cflags --libs rvcidx"
[[ "$(pkg-config --modversion rvcidx)" == "$("$prefix/bin/rvcidx" --version | awk 'NR==1 {print $2}')" ]] ||
  fail "rvcidx.pc's version is not the installed command's"
# shellcheck disable=SC2086  # pkg-config's output is a list of words
"$cc" "${cflags[@]}" "$top/examples/build_index.c" -o "$tmp/build_index_pc" $pc ||
  fail "cc examples/build_index.c \$(pkg-config --cflags --libs rvcidx)"
echo "ok   example compiled with: $pc"

# 2. the CMake package: find_package(rvcidx) and rvcidx::rvcidx
"$cmake" -S "$top/tests/install/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${cflags[*]}" -DEXAMPLE_SOURCE="$top/examples/build_index.c" \
  >"$tmp/consumer.log" 2>&1 && "$cmake" --build "$tmp/consumer" >>"$tmp/consumer.log" 2>&1 ||
  { tail -30 "$tmp/consumer.log" >&2; fail "a CMake project with find_package(rvcidx CONFIG) did not build"; }
echo "ok   example built by a CMake project through find_package(rvcidx)"

# 3. the example and the installed command, on the same input
rvcidx="$prefix/bin/rvcidx"
"$rvcidx" demo -o "$tmp/data" --speakers 2 --minutes 0.5 --quiet
libdir=$(pkg-config --variable=libdir rvcidx)
logged "$tmp/example.out" "build_index (pkg-config build)" \
  env LD_LIBRARY_PATH="$libdir" "$tmp/build_index_pc" "$tmp/out1" "$tmp/data"
grep -q "recall@" "$tmp/example.out" || { cat "$tmp/example.out" >&2; fail "build_index printed no recall"; }
logged "$tmp/cli.out" "the installed rvcidx build" "$rvcidx" build -o "$tmp/out2" "$tmp/data" --no-progress
echo "ok   built by the example and by the installed command"
sed 's/^/     /' "$tmp/example.out"

index1=$(cd "$tmp/out1" && ls added_*.index) || fail "the example published no index"
index2=$(cd "$tmp/out2" && ls added_*.index) || fail "rvcidx build published no index"
[[ "$index1" == "$index2" ]] || fail "index names differ: $index1 (example) vs $index2 (rvcidx build)"
grep -qF "$tmp/out1/$index1" "$tmp/example.out" || fail "the example did not print the index path $tmp/out1/$index1"
differ=()
for f in "$index1" centroids.h5 store.h5 report.json manifest.json; do
  cmp -s "$tmp/out1/$f" "$tmp/out2/$f" || differ+=("$f")
done
if [[ ${#differ[@]} -gt 0 ]]; then
  for f in "${differ[@]}"; do cmp "$tmp/out1/$f" "$tmp/out2/$f" >&2 || true; done
  fail "the example's and rvcidx build's outputs differ: ${differ[*]}"
fi
echo "ok   byte-identical: $index1 centroids.h5 store.h5 report.json manifest.json"

# 4. the CMake-built example on the same OUTDIR: up to date, nothing rewritten
before=$(stat -c '%y %s' "$tmp/out1/$index1" "$tmp/out1/manifest.json")
logged "$tmp/example2.out" "build_index (CMake build)" "$tmp/consumer/build_index" "$tmp/out1" "$tmp/data"
grep -q "up to date" "$tmp/example2.out" || { cat "$tmp/example2.out" >&2; fail "a second build of out1 was not up to date"; }
[[ "$(stat -c '%y %s' "$tmp/out1/$index1" "$tmp/out1/manifest.json")" == "$before" ]] || fail "an up-to-date build rewrote out1"
echo "ok   the CMake-built example finds out1 up to date"
echo "install: all passed"
