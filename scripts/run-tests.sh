#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every
# test with CTest, and prints why each skipped test skipped.
#
# Usage: scripts/run-tests.sh [--sanitize] [BUILD_DIR] [extra cmake -D options...]
#   --sanitize  also build in BUILD_DIR-asan with AddressSanitizer and
#               UndefinedBehaviorSanitizer and run the whole suite there
#               (about 7 minutes on 2 cores; CI does it: CI=true implies it)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sanitize=0
[[ "${CI:-}" == "true" ]] && sanitize=1
if [[ "${1:-}" == "--sanitize" ]]; then sanitize=1; shift; fi
build="${1:-$top/build}"
[[ $# -gt 0 ]] && shift

run_suite() { # BUILD_DIR [cmake options...]
  local dir=$1 rc=0; shift
  "$top/scripts/bootstrap.sh" "$dir" "$@"
  (cd "$dir" && ctest --output-on-failure -j "$(nproc)") || rc=$?
  # CTest hides a skipped test's output: show the reason it gave.
  if grep -q "SKIP:" "$dir/Testing/Temporary/LastTest.log" 2>/dev/null; then
    echo "skip reasons:"
    grep -h "SKIP:" "$dir/Testing/Temporary/LastTest.log" | sort -u | sed 's/^/  /'
  fi
  return $rc
}

rc=0
run_suite "$build" "$@" || rc=$?
if [[ $sanitize -eq 1 ]]; then
  echo "run-tests: the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer"
  run_suite "$build-asan" -DRVCIDX_SANITIZE=ON "$@" || rc=$?
fi
exit $rc
