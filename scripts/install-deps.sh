#!/usr/bin/env bash
# Installs the Debian packages rvcidx builds, tests and benchmarks with.
# Idempotent: checks with dpkg-query first and prints nothing when every
# package is already present. Runs apt-get through sudo when not root.
#
# Usage: scripts/install-deps.sh [--list] [build|test|all]   (default: all)
#   --list  print the set's package names, comma-separated, and install nothing
#           (scripts/build-wheel.sh --root makes its build root with them)
set -euo pipefail
list_only=0
[[ "${1:-}" == "--list" ]] && { list_only=1; shift; }

build_pkgs=(build-essential cmake pkg-config ca-certificates
            libopenblas-dev liblapack-dev libhdf5-dev hdf5-tools
            libcmocka-dev libjansson-dev libssl-dev)
# Python faiss 1.7.3 is the version RVC pins: interop tests load our indexes
# with it. sklearn, threadpoolctl (1-thread timing), gnuplot and time serve the
# benchmarks and reports. Slurm and munge: the cluster test starts a real
# one-node Slurm (tests/slurm/). python3-venv: the app tests (tests/apps/)
# put each RVC app's pinned faiss-cpu and numpy from PyPI in a venv.
# debootstrap: the wheel test (tests/wheel/) installs the wheel in another
# Debian release's root filesystem.
test_pkgs=(python3 python3-numpy python3-h5py python3-faiss python3-sklearn python3-threadpoolctl
           python3-venv python3-pip gnuplot-nox time valgrind slurmctld slurmd slurm-client munge
           debootstrap)

case "${1:-all}" in
  build) wanted=("${build_pkgs[@]}") ;;
  test)  wanted=("${test_pkgs[@]}") ;;
  all)   wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [--list] [build|test|all]" >&2; exit 2 ;;
esac
if [[ $list_only -eq 1 ]]; then (IFS=,; echo "${wanted[*]}"); exit 0; fi

missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || {
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
