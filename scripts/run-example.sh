#!/usr/bin/env bash
# The README's main command: builds rvcidx if needed, writes the built-in
# example (4 speakers x 3 min of RVC-like v2 features) and runs the one-command
# build on it, end to end as far as the pipeline goes.
#
# Usage: scripts/run-example.sh [OUTDIR]   (default: example/)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out="${1:-$top/example}"
"$top/scripts/bootstrap.sh"
rvcidx="$top/build/src/rvcidx"
"$rvcidx" demo -o "$out/data" --speakers 4 --minutes 3
"$rvcidx" build -o "$out/indexes" "$out/data"
