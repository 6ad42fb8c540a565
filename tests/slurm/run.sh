#!/usr/bin/env bash
# A real one-node Slurm cluster, started inside the test (Debian's munge,
# slurmctld and slurmd, root, localhost, this machine's CPUs), then:
#   1. `rvcidx submit` of the demo models as one job array; every model built
#      and verified, `status` says so, the logs are there;
#   2. a resubmit submits nothing; a new model is submitted alone; the 4
#      models again with --models-per-task 3: 2 tasks, the same index bytes;
#   3. a split build (prepare, 3-task part array, finish with afterok) whose
#      index is byte-identical to a local build of the same inputs.
# Skips (77) with the reason when Slurm cannot run here, except under CI=true,
# where not running is a failure: CI must show that it ran.
set -u
: "${RVCIDX:?set by CTest}" "${TEST_TMP:?set by CTest}"
T="$TEST_TMP/slurm"

cannot_run() {
    if [ "${CI:-}" = true ]; then echo "FAIL: Slurm could not run in CI: $*"; exit 1; fi
    echo "SKIP: $*"; exit 77
}
fail() { echo "FAIL: $*"; for f in "$T"/log/*.log; do echo "== $f"; tail -20 "$f"; done 2>/dev/null; exit 1; }
# shellcheck source=tests/slurm/cluster.sh
. "$(dirname "$0")/cluster.sh"
trap slurm_cluster_stop EXIT

if [ "${RVCIDX_SANITIZED:-}" = 1 ]; then # not a Slurm question: the plain pass runs it
    echo "SKIP: the sanitizer build's binary is not what Slurm tasks should run; the plain build's pass runs this test"
    exit 77
fi

# ---- the cluster (tests/slurm/cluster.sh) -----------------------------------
slurm_cluster_start "$T"

wait_jobs() { # job ids...; fails after 300 s
    local ids; ids=$(IFS=,; echo "$*")
    for _ in $(seq 600); do
        [ -z "$(squeue -h -j "$ids" 2>/dev/null)" ] && return 0
        sleep 0.5
    done
    fail "jobs $ids still queued after 300 s: $(squeue 2>&1)"
}
job_ids() { sed -n 's/.*job array \([0-9]*\).*/\1/p; s/.*prepare job \([0-9]*\), part array \([0-9]*\), finish job \([0-9]*\).*/\1 \2 \3/p'; }

# ---- 1. a job array over the example models ---------------------------------
"$RVCIDX" demo -q -o "$T/data" --speakers 3 --minutes 0.5 || fail "demo"
out=$("$RVCIDX" submit --slurm --max-running 2 --time 10:00 -o "$T/out" "$T/data" 2>&1) || fail "submit: $out"
echo "$out"
echo "$out" | grep -q "3 of 3 models" || fail "not all three models submitted"
read -r -a ids <<< "$(echo "$out" | job_ids)"
[ "${#ids[@]}" = 1 ] || fail "no job id in: $out"
wait_jobs "${ids[@]}"
for m in speaker0 speaker1 speaker2; do
    [ -f "$T/out/$m/manifest.json" ] || fail "$m: no manifest; log: $(cat "$T"/out/.rvcidx-submit/logs/* 2>/dev/null | tail -20)"
    "$RVCIDX" verify -q "$T/out/$m" >/dev/null || fail "$m: verify failed"
    ls "$T/out/$m"/added_*_"$m"_v2.index >/dev/null || fail "$m: no index named for RVC"
done
[ "$(ls "$T/out/.rvcidx-submit/logs" | wc -l)" = 3 ] || fail "expected one log per task"
st=$("$RVCIDX" status "$T/out") || fail "status"
echo "$st"
[ "$(echo "$st" | grep -c '| built |')" = 3 ] || fail "status does not show three built models"
echo "$st" | grep -q "job      ${ids[0]} (models)" || fail "status does not show the job"
echo "ok 1: job array of 3 models built and verified"

# ---- 2. resubmits only what is missing ----------------------------------------
out=$("$RVCIDX" submit --slurm -o "$T/out" "$T/data" 2>&1) || fail "resubmit: $out"
echo "$out" | grep -q "nothing to submit: all 3 models are up to date" || fail "resubmitted built models: $out"
"$RVCIDX" demo -q -o "$T/data" --speakers 1 --first 3 --minutes 0.5 || fail "demo speaker3"
out=$("$RVCIDX" submit --slurm -o "$T/out" "$T/data" 2>&1) || fail "submit new: $out"
echo "$out" | grep -q "1 of 4 models" || fail "expected only the new model: $out"
read -r -a ids <<< "$(echo "$out" | job_ids)"
wait_jobs "${ids[@]}"
"$RVCIDX" verify -q "$T/out/speaker3" >/dev/null || fail "speaker3 not built"
echo "ok 2: resubmit skips built models and submits the new one alone"

# ---- 2b. several models a task (--models-per-task) ---------------------------
out=$("$RVCIDX" submit --slurm --models-per-task 3 -o "$T/packed" "$T/data" 2>&1) || fail "packed submit: $out"
echo "$out" | grep -q "4 of 4 models in 2 task(s)" || fail "expected 4 models in 2 tasks: $out"
read -r -a ids <<< "$(echo "$out" | job_ids)"
wait_jobs "${ids[@]}"
[ "$(ls "$T/packed/.rvcidx-submit/logs" | wc -l)" = 2 ] || fail "expected one log per task (2)"
for m in speaker0 speaker1 speaker2 speaker3; do
    "$RVCIDX" verify -q "$T/packed/$m" >/dev/null || fail "$m not built by the packed array: $(cat "$T"/packed/.rvcidx-submit/logs/* | tail -20)"
    cmp -s "$T/packed/$m"/added_*.index "$T/out/$m"/added_*.index || fail "$m: the packed task's index differs from the one-model task's"
done
echo "ok 2b: --models-per-task 3 builds 4 models in 2 array tasks, the same bytes as one model a task"

# ---- 3. one index split over a job array, merged -----------------------------
srcs=("$T/data/speaker0" "$T/data/speaker1" "$T/data/speaker2")
out=$("$RVCIDX" submit --slurm --split 3 --max-running 2 --name big -o "$T/big" "${srcs[@]}" 2>&1) || fail "split submit: $out"
echo "$out"
read -r -a ids <<< "$(echo "$out" | job_ids)"
[ "${#ids[@]}" = 3 ] || fail "expected prepare, part and finish job ids in: $out"
wait_jobs "${ids[@]}"
[ -f "$T/big/manifest.json" ] || fail "split build not finished; logs: $(tail -n 20 "$T"/big/.rvcidx-submit/logs/* 2>/dev/null)"
[ "$(ls "$T/big/.rvcidx-submit/logs" | wc -l)" = 5 ] || fail "expected 5 task logs (prepare, 3 parts, finish)"
"$RVCIDX" build -q -o "$T/big-local" --name big "${srcs[@]}" >/dev/null || fail "local build"
cmp "$T"/big/added_*.index "$T"/big-local/added_*.index || fail "the split build's index differs from the local build's"
cmp "$T/big/manifest.json" "$T/big-local/manifest.json" || fail "the manifests differ"
out=$("$RVCIDX" submit --slurm --split 3 --name big -o "$T/big" "${srcs[@]}" 2>&1)
echo "$out" | grep -q "nothing to submit" || fail "resubmitted a finished split build: $out"
echo "ok 3: split build over Slurm (prepare -> 3 parts -> finish) is byte-identical to the local build"
echo "slurm: all passed"
