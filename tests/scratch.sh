#!/usr/bin/env bash
# tests/scratch.sh NAME COMMAND... — runs one script test with TEST_TMP set to
# a folder of its own ($TEST_TMP/NAME) and removes that folder when the test
# passes or skips, so a whole CTest run (and CI's two passes) never holds more
# than the tests running at that moment. A failing test keeps its folder for
# reading; RVCIDX_KEEP_TEST_TMP=1 keeps every folder.
set -u
: "${TEST_TMP:?set by CTest}"
name=$1; shift
export TEST_TMP="$TEST_TMP/$name"
mkdir -p "$TEST_TMP"
"$@"
rc=$?
if [[ ( $rc -eq 0 || $rc -eq 77 ) && "${RVCIDX_KEEP_TEST_TMP:-0}" != 1 ]]; then
  # a Docker engine or Slurm started by the test may leave mounts under it
  awk -v d="$TEST_TMP/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null
  chmod -R u+rwX "$TEST_TMP" 2>/dev/null
  rm -rf "$TEST_TMP" || echo "scratch: could not remove $TEST_TMP" >&2
fi
exit $rc
