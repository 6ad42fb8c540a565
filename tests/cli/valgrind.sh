#!/usr/bin/env bash
# The CLI golden tests with every rvcidx run under valgrind memcheck: any
# memory error or definite leak makes that run exit 99, which fails its case.
set -u
: "${RVCIDX:?set by CTest}" "${TEST_TMP:?set by CTest}"
[[ "${RVCIDX_SANITIZED:-0}" == "1" ]] && { echo "SKIP: valgrind cannot run an AddressSanitizer build (the plain build runs this test)"; exit 77; }
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed (scripts/install-deps.sh installs it)"; exit 77; }
mkdir -p "$TEST_TMP"
wrapper="$TEST_TMP/rvcidx-under-valgrind"
cat > "$wrapper" <<WRAP
#!/usr/bin/env bash
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
  --show-leak-kinds=definite "$RVCIDX" "\$@"
WRAP
chmod +x "$wrapper"
# PASSIVE set here: rvcidx would otherwise re-execute itself to set it, outside valgrind.
RVCIDX="$wrapper" TEST_TMP="$TEST_TMP/valgrind" OMP_WAIT_POLICY=PASSIVE RVCIDX_UNDER_VALGRIND=1 exec bash "$(dirname "$0")/run.sh"
