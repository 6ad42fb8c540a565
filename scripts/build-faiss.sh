#!/usr/bin/env bash
# Fetches faiss 1.7.3, builds it with its C API and installs it into a prefix
# keyed by version and options, so later configures reuse it.
#
# Source, in order of preference:
#   --source DIR|TARBALL   a local faiss 1.7.3 source tree or tarball
#   (default)              Debian's source package faiss 1.7.3-2 through
#                          `apt-get source`, with a deb-src entry derived from
#                          the machine's own configured Debian source. It uses
#                          a private apt state directory: the system's apt
#                          configuration is never modified.
# The orig tarball's sha256 is checked in both tarball cases.
#
# Options:
#   --prefix DIR      install here (default: the keyed cache dir, printed)
#   --gpu             build faiss's GPU support too (needs CUDA)
#   --cuda-arch LIST  CMAKE_CUDA_ARCHITECTURES (default 90)
#   --simd avx2|generic  SIMD level of the library the C API links (default avx2)
#   --jobs N          parallel compile jobs (default: nproc)
#   --print-prefix    only print the keyed prefix for these options and exit
#   --fetch-source    only fetch the orig tarball into the cache (checked) and
#                     print its path (scripts/build-wheel.sh --root hands it
#                     to a build root whose Debian has no faiss source)
#
# Prints the install prefix as its last line of stdout.
set -euo pipefail

FAISS_VERSION=1.7.3
DEBIAN_VERSION=1.7.3-2
ORIG_SHA256=3e4fac26d8c9e9008ecea4ae5fc414c658998fce4ba75835058b1a71d3516002
here=$(cd "$(dirname "$0")" && pwd)
patches="$here/../patches"

source_arg="" prefix="" gpu=0 cuda_arch=90 simd=avx2 print_only=0 fetch_only=0
jobs=$(nproc)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --source) source_arg=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --gpu) gpu=1; shift ;;
    --cuda-arch) cuda_arch=$2; shift 2 ;;
    --simd) simd=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --print-prefix) print_only=1; shift ;;
    --fetch-source) fetch_only=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-faiss: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$simd" in avx2|generic) ;; *) echo "build-faiss: --simd avx2|generic" >&2; exit 2 ;; esac

# The key names everything that changes the built library: version, SIMD
# level, GPU architectures and the patches applied.
patch_sum=$(cat "$patches"/faiss-1.7.3-*.patch | sha256sum | cut -c1-8)
key="faiss-$FAISS_VERSION-$simd-p$patch_sum"
[[ $gpu -eq 1 ]] && key="$key-cuda$cuda_arch"
cache_root="${RVCIDX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rvcidx}"
[[ -n "$prefix" ]] || prefix="$cache_root/$key"
if [[ $print_only -eq 1 ]]; then echo "$prefix"; exit 0; fi
if [[ $fetch_only -eq 0 && -f "$prefix/.rvcidx-complete" ]]; then echo "$prefix"; exit 0; fi

log() { echo "build-faiss: $*" >&2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/rvcidx-faiss.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One-line deb-src entry for the Debian release this machine runs, built from
# the `deb` entry it is already configured with (deb822 or one-line format).
derive_deb_src() {
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [[ -n "$codename" ]] || { log "cannot tell the Debian release from /etc/os-release"; return 1; }
  local files=()
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] && files+=("$f")
  done
  local f
  for f in "${files[@]}"; do
    if [[ "$f" == *.sources ]]; then
      awk -v want="$codename" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") && uris != "") {
            split(uris, u, " "); opt = signed != "" ? " [signed-by=" signed "]" : ""
            print "deb-src" opt " " u[1] " " want " main"; found = 1; exit
          }
          types = uris = suites = signed = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        { key = $1; sub(/:$/, "", key); $1 = ""; sub(/^ /, "")
          if (key == "Types") types = $0; else if (key == "URIs") uris = $0
          else if (key == "Suites") suites = $0; else if (key == "Signed-By") signed = $0 }
        END { if (!found) flush() }' "$f"
    else
      awk -v want="$codename" '
        $1 == "deb" { i = 2; opt = ""
          if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opt = opt " " $i; i++ } opt = opt " " $i; i++ }
          if ($(i+1) == want) { print "deb-src" opt " " $i " " want " main"; exit } }' "$f"
    fi
  done | head -n 1
}

fetch_debian_source() {
  local line
  line=$(derive_deb_src)
  [[ -n "$line" ]] || {
    log "no Debian 'deb' entry for this release in /etc/apt: pass --source DIR|TARBALL"; return 1; }
  log "using $line"
  mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/dl"
  echo "$line" > "$work/apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
              -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
              -o "Debug::NoLocking=1" -qq)
  # As root, apt drops to the _apt user, who cannot write our private dirs.
  if [[ $(id -u) -eq 0 ]]; then opts+=(-o APT::Sandbox::User=root); fi
  apt-get "${opts[@]}" update >&2
  (cd "$work/dl" && apt-get "${opts[@]}" source --download-only "faiss=$DEBIAN_VERSION" >&2)
  mkdir -p "$cache_root"
  cp "$work/dl/faiss_$FAISS_VERSION.orig.tar.gz" "$cached_tarball.partial"
  mv "$cached_tarball.partial" "$cached_tarball"
  echo "$cached_tarball"
}

unpack_tarball() {
  local tarball=$1 sum
  sum=$(sha256sum "$tarball" | cut -d' ' -f1)
  if [[ "$sum" != "$ORIG_SHA256" ]]; then
    log "$tarball: sha256 $sum, expected $ORIG_SHA256 (faiss $FAISS_VERSION orig tarball); refusing to build"
    return 1
  fi
  mkdir -p "$work/src"
  tar -xzf "$tarball" -C "$work/src" --strip-components=1
  echo "$work/src"
}

# The downloaded tarball is kept (its sha256 is checked on every use), so a
# second variant, e.g. the GPU one, builds without the network.
cached_tarball="$cache_root/faiss_$FAISS_VERSION.orig.tar.gz"
if [[ $fetch_only -eq 1 ]]; then
  [[ -f "$cached_tarball" ]] || fetch_debian_source >/dev/null
  unpack_tarball "$cached_tarball" >/dev/null
  echo "$cached_tarball"
  exit 0
fi
if [[ -z "$source_arg" && -f "$cached_tarball" ]]; then
  src=$(unpack_tarball "$cached_tarball")
elif [[ -z "$source_arg" ]]; then
  src=$(unpack_tarball "$(fetch_debian_source)")
elif [[ -d "$source_arg" ]]; then
  mkdir -p "$work/src" && cp -a "$source_arg/." "$work/src/" && src="$work/src"
elif [[ -f "$source_arg" ]]; then
  src=$(unpack_tarball "$source_arg")
else
  log "--source $source_arg: no such file or directory"; exit 1
fi
grep -q "VERSION $FAISS_VERSION" "$src/CMakeLists.txt" || {
  log "$src is not faiss $FAISS_VERSION (CMakeLists.txt has no 'VERSION $FAISS_VERSION')"; exit 1; }

# Applied to every variant so CPU and GPU builds compile the same source; each
# patch says at its top why it exists.
for p in "$patches"/faiss-1.7.3-*.patch; do
  patch -d "$src" -p1 -s --forward < "$p" >&2 || { log "patch $(basename "$p") failed"; exit 1; }
done

# One variant only: faiss's own FAISS_OPT_LEVEL=avx2 builds a second library
# (faiss_avx2) that the C API does not link. Compiling the generic target with
# x86-64-v3 flags makes the library the C API links use AVX2 (FastScan is
# SIMD code: about 2x faster search than the generic build).
cxxflags="-O3"
[[ "$simd" == avx2 ]] && cxxflags="$cxxflags -mavx2 -mfma -mf16c -mpopcnt"
cmake_args=(-S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release
  -DFAISS_ENABLE_C_API=ON -DFAISS_ENABLE_PYTHON=OFF -DBUILD_TESTING=OFF
  -DBUILD_SHARED_LIBS=ON -DFAISS_OPT_LEVEL=generic
  "-DCMAKE_CXX_FLAGS=$cxxflags" "-DCMAKE_INSTALL_PREFIX=$prefix"
  -DCMAKE_INSTALL_LIBDIR=lib
  # $ORIGIN: libfaiss_c finds libfaiss beside it, wherever the prefix moves.
  '-DCMAKE_INSTALL_RPATH=$ORIGIN' -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON)
if [[ $gpu -eq 1 ]]; then
  cmake_args+=(-DFAISS_ENABLE_GPU=ON "-DCMAKE_CUDA_ARCHITECTURES=$cuda_arch"
               -DCUDAToolkit_ROOT=/usr/local/cuda -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
else
  cmake_args+=(-DFAISS_ENABLE_GPU=OFF)
fi
log "configuring ($key) in $work/build"
cmake "${cmake_args[@]}" >"$work/configure.log" 2>&1 || { tail -n 30 "$work/configure.log" >&2; exit 1; }
log "compiling with $jobs jobs (a few minutes on 2 cores; log: $prefix.build.log)"
mkdir -p "$(dirname "$prefix")"
cmake --build "$work/build" -j "$jobs" --target faiss faiss_c >"$prefix.build.log" 2>&1 ||
  { tail -n 30 "$prefix.build.log" >&2; exit 1; }

# faiss 1.7.3's install step skips libfaiss_c and the C API headers: copy them
# from the build and source trees. Staged, then renamed: a half-installed
# prefix is never taken for a complete one.
stage="$prefix.partial.$$"
rm -rf "$stage"
cmake --install "$work/build" --prefix "$stage" >/dev/null
cp -a "$work/build"/c_api/libfaiss_c.so* "$stage/lib/"
(cd "$src/c_api" && find . -name '*.h' -exec install -D -m 644 {} "$stage/include/faiss/c_api/{}" \;)
echo "$key" > "$stage/.rvcidx-complete"
rm -rf "$prefix" && mv "$stage" "$prefix"
log "installed in $prefix"
echo "$prefix"
