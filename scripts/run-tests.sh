#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every
# test with CTest, and prints why each skipped test skipped.
#
# Usage: scripts/run-tests.sh [--all] [--sanitize] [BUILD_DIR] [extra cmake -D options...]
#   --all       also the minutes-long reliability tests (label "slow": 20
#               SIGKILL trials, 20 injected I/O faults, valgrind)
#   --sanitize  also build in BUILD_DIR-asan with AddressSanitizer and
#               UndefinedBehaviorSanitizer and run the suite there
# CI (CI=true) runs both.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sanitize=0 all=0
[[ "${CI:-}" == "true" ]] && sanitize=1 all=1
while [[ "${1:-}" == --all || "${1:-}" == --sanitize ]]; do
  [[ "$1" == --all ]] && all=1
  [[ "$1" == --sanitize ]] && sanitize=1
  shift
done
build="${1:-$top/build}"
[[ $# -gt 0 ]] && shift

run_suite() { # BUILD_DIR [cmake options...]
  local dir=$1 rc=0; shift
  "$top/scripts/bootstrap.sh" "$dir" "$@"
  local filter=()
  [[ $all -eq 1 ]] || filter=(-LE slow)
  (cd "$dir" && ctest --output-on-failure -j "$(nproc)" "${filter[@]}") || rc=$?
  # CTest hides a skipped test's output: show the reason it gave.
  if grep -q "SKIP:" "$dir/Testing/Temporary/LastTest.log" 2>/dev/null; then
    echo "skip reasons:"
    grep -h "SKIP:" "$dir/Testing/Temporary/LastTest.log" | sort -u | sed 's/^/  /'
  fi
  return $rc
}

# Disk is the resource CI runs out of first: say what there was.
disk_free() { df -Pk "$1" 2>/dev/null | awk 'NR == 2 {printf "%.1f GiB free on %s", $4 / 1048576, $6}'; }
mkdir -p "$build"
echo "run-tests: $(disk_free "$build")"
rc=0
run_suite "$build" "$@" || rc=$?
if [[ $sanitize -eq 1 ]]; then
  echo "run-tests: the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer"
  run_suite "$build-asan" -DRVCIDX_SANITIZE=ON "$@" || rc=$?
fi
[[ $rc -eq 0 ]] || echo "run-tests: failed; $(disk_free "$build") now"
exit $rc
