#!/usr/bin/env bash
# venvs.sh — the Python environments of the apps that load rvcidx's index:
# each app's pinned faiss-cpu and numpy from PyPI, in a venv cached under
# ~/.cache/rvcidx/venvs/ (RVCIDX_CACHE_DIR moves it), made once and reused.
#
# Usage: tests/apps/venvs.sh NAME   -> prints the venv's python, creating it if needed
#        tests/apps/venvs.sh --list -> NAME and pins, one per line
# Exit 77 when the venv is missing and PyPI cannot be reached (not under
# CI=true, where it is a failure).
set -euo pipefail

# NAME | pins | which apps pin them
pins_of() {
  case "$1" in
    faiss173)   echo "faiss-cpu==1.7.3 numpy==1.23.5" ;;  # RVC branch 20240604, w-okada
    rvc-main)   echo "faiss-cpu==1.15.1 numpy==1.26.4" ;; # RVC main: faiss-cpu>=1.13,<2 with numpy<2, as pip resolves them (2026-11)
    ultimate)   echo "faiss-cpu==1.13.1 numpy==2.3.5" ;;  # ultimate-rvc
    applio)     echo "faiss-cpu==1.14.3 numpy==2.4.6" ;;  # Applio offline and realtime
    *) return 1 ;;
  esac
}

if [[ "${1:-}" == --list ]]; then
  for n in faiss173 rvc-main ultimate applio; do echo "$n $(pins_of "$n")"; done
  exit 0
fi
name=${1:?usage: venvs.sh NAME}
pins=$(pins_of "$name") || { echo "venvs.sh: unknown venv '$name' (see --list)" >&2; exit 2; }
cache="${RVCIDX_CACHE_DIR:-$HOME/.cache/rvcidx}/venvs"
# the pins are part of the folder name: changing them makes a new venv
dir="$cache/$name-$(echo "$pins" | sha256sum | cut -c1-8)"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # tests run in parallel: one creates, the others wait and reuse
if [[ -x "$dir/bin/python" ]] && "$dir/bin/python" -c "import faiss, numpy" 2>/dev/null; then
  echo "$dir/bin/python"
  exit 0
fi
python=/usr/bin/python3
tmp="$dir.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "venvs.sh: creating $dir ($pins) from PyPI" >&2
"$python" -m venv "$tmp" >&2
# pip keeps the venv's absolute path in scripts: create in place of the final
# name's parent, then move; only `python -m pip` is used, which survives it.
if ! "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: $pins >&2; then
  # a skip only when PyPI cannot be reached at all; any other failure (no
  # wheel for this Python, a broken pin) is a failure
  if [[ "${CI:-}" != "true" ]] && ! "$python" -c 'import urllib.request as u; u.urlopen("https://pypi.org/simple/pip/", timeout=15)' 2>/dev/null; then
    echo "SKIP: PyPI is not reachable and $dir is not cached; the app tests need it once" >&2
    exit 77
  fi
  echo "venvs.sh: pip could not install $pins from PyPI for $("$python" --version)" >&2
  exit 1
fi
"$tmp/bin/python" -c "import faiss, numpy" >&2
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir/bin/python"
