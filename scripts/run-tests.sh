#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every
# test with CTest, and prints why each skipped test skipped.
#
# Usage: scripts/run-tests.sh [BUILD_DIR] [extra cmake -D options...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="${1:-$top/build}"
[[ $# -gt 0 ]] && shift
"$top/scripts/bootstrap.sh" "$build" "$@"
cd "$build"
rc=0
ctest --output-on-failure -j "$(nproc)" || rc=$?
# CTest hides a skipped test's output: show the reason it gave.
if grep -q "SKIP:" Testing/Temporary/LastTest.log 2>/dev/null; then
  echo "skip reasons:"
  grep -h "SKIP:" Testing/Temporary/LastTest.log | sort -u | sed 's/^/  /'
fi
exit $rc
