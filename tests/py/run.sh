#!/usr/bin/env bash
# Runs one Python interop test with Debian's python3 (which has python3-faiss
# 1.7.3, numpy and h5py), never a pyenv or venv python that lacks them.
set -u
: "${PYTHON:?set by CTest}"
here=$(cd "$(dirname "$0")" && pwd)
exec "$PYTHON" "$here/$1"
