#!/usr/bin/env bash
# bench/slurm_tasks.sh [BUILD_DIR] — what Slurm itself costs per array task
# (queueing, starting, the epilogue), for docs/scale.md's nightly job of
# many small tasks. Starts the one-node Slurm tests/slurm/run.sh starts
# (tests/slurm/cluster.sh: same slurm.conf, this machine's CPUs; needs root)
# and times, in the same run, the same tasks three ways:
#   loop        a plain bash loop running the task script once per task id
#               (SLURM_ARRAY_TASK_ID set as Slurm sets it): the peer
#   slurm %1    one job array, one task at a time (--array=0-N-1%1): the
#               same serial work as the loop, so the difference is Slurm's
#   slurm       one job array, as many at once as the node's CPUs allow
#               (one CPU a task): what a nightly array gets on this node
# for two kinds of task:
#   true        the task script doing nothing (true)
#   no-op build `rvcidx build -o MODEL_i SRC` of a model already built there
#               (a copy per task, so no two tasks share an OUTDIR's lock):
#               the nightly check of an unchanged model
# "total" is from just before sbatch to squeue no longer listing the job
# (polled every 0.1 s); "in task" is the task script's own time, which
# every task records; Slurm's cost per task is (total - sum of in-task
# times) / tasks for the serial array, and for the loop the same formula
# gives bash's own cost. Tasks: TRUE_TASKS (200), BUILD_TASKS (200).
# Prints a Markdown table to stdout; removes its scratch directory at the
# end (RVCIDX_BENCH_KEEP=1 keeps it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
rvcidx=$build/src/rvcidx
[[ -x $rvcidx ]] || { echo "no $rvcidx: build first (cmake --build $build)" >&2; exit 2; }
true_tasks=${TRUE_TASKS:-200} build_tasks=${BUILD_TASKS:-200}
work=$(mktemp -d "$build/bench-slurm.XXXXXX")
cannot_run() { echo "slurm_tasks: Slurm cannot run here: $*" >&2; exit 2; }
# shellcheck source=tests/slurm/cluster.sh
. "$root/tests/slurm/cluster.sh"
finish() {
    slurm_cluster_stop
    [[ ${RVCIDX_BENCH_KEEP:-0} == 1 ]] || rm -rf "$work"
}
trap finish EXIT

now() { date +%s%N; }
hz=$(getconf CLK_TCK) ncpu=$(nproc)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }

# ---- the cluster, the model, the task script ---------------------------------
slurm_cluster_start "$work/slurm" >&2
mkdir -p "$work/models" "$work/times" "$work/logs"
"$rvcidx" demo -q -o "$work/data" --speakers 1 --minutes 0.2 --dim 256
"$rvcidx" build -q -o "$work/models/m0" "$work/data/speaker0"
for ((i = 1; i < build_tasks; i++)); do cp -a "$work/models/m0" "$work/models/m$i"; done
cat > "$work/task.sh" <<TASK
#!/bin/bash
# \$1: true or build; \$2: the run's label. Records its own start and end.
i=\${SLURM_ARRAY_TASK_ID:?}
s=\$(date +%s%N)
rc=0
case \$1 in
  true) true ;;
  build) "$rvcidx" build --no-progress -o "$work/models/m\$i" "$work/data/speaker0" || rc=\$? ;;
esac
echo "\$s \$(date +%s%N) \$rc" > "$work/times/\$2.\$i"
TASK
chmod +x "$work/task.sh"

# ---- the runs -----------------------------------------------------------------
# Each sets T_TOTAL (s) and checks every task ran, exited 0 and (builds)
# found its model up to date.
check_run() { # LABEL KIND N
    local n; n=$(cat "$work/times/$1".* 2>/dev/null | awk '$3 == 0' | wc -l)
    [[ $n == "$3" ]] || { echo "slurm_tasks: $1: $n of $3 tasks succeeded" >&2; exit 1; }
    if [[ $2 == build ]]; then
        n=$(grep -l "up to date" "$work/logs/$1".* | wc -l)
        [[ $n == "$3" ]] || { echo "slurm_tasks: $1: $n of $3 builds were no-ops" >&2; exit 1; }
    fi
}
run_loop() { # KIND N
    local label=loop-$1 t0 t1
    t0=$(now)
    for ((i = 0; i < $2; i++)); do
        SLURM_ARRAY_TASK_ID=$i "$work/task.sh" "$1" "$label" >"$work/logs/$label.$i" 2>&1
    done
    t1=$(now)
    T_TOTAL=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
    check_run "$label" "$1" "$2"
}
run_array() { # KIND N LABEL [%LIMIT]
    local label=$3 t0 t1 id
    t0=$(now)
    id=$(sbatch --parsable --array="0-$(($2 - 1))${4:-}" --cpus-per-task=1 -o "$work/logs/$label.%a" \
        "$work/task.sh" "$1" "$label")
    while [[ -n $(squeue -h -j "$id" 2>/dev/null) ]]; do sleep 0.1; done
    t1=$(now)
    T_TOTAL=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
    check_run "$label" "$1" "$2"
}
in_task() { # LABEL: the sum of the tasks' own times (s)
    cat "$work/times/$1".* | awk '{s += ($2 - $1) / 1e9} END {printf "%.3f", s}'
}
row() { # WHAT LABEL TASKS AT_ONCE TOTAL LOOP_TOTAL SERIAL(1/0)
    local sum; sum=$(in_task "$2")
    awk -v w="$1" -v n="$3" -v c="$4" -v t="$5" -v l="$6" -v s="$sum" -v serial="$7" 'BEGIN {
        cost = serial ? sprintf("%.1f", 1000 * (t - s) / n) : "n/a";
        printf "| %s | %d | %s | %.2f | %.1f | %.1f | %s | %.2f |\n", w, n, c, t, 1000 * t / n, 1000 * s / n, cost, t / l }'
}

b0=$(busy_ticks) w0=$(now)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "| task | tasks | at once | total wall (s) | wall per task (ms) | in task, per task (ms) | cost per task outside the task (ms) | total ÷ loop's |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for kind in true build; do
    n=$true_tasks what="\`true\`"
    [[ $kind == build ]] && n=$build_tasks what="no-op \`rvcidx build\`"
    run_loop "$kind" "$n"; loop=$T_TOTAL
    row "$what, bash loop" "loop-$kind" "$n" 1 "$loop" "$loop" 1
    run_array "$kind" "$n" "serial-$kind" "%1"
    row "$what, Slurm array %1" "serial-$kind" "$n" 1 "$T_TOTAL" "$loop" 1
    run_array "$kind" "$n" "array-$kind"
    row "$what, Slurm array" "array-$kind" "$n" "$slurm_cpus" "$T_TOTAL" "$loop" 0
done
b1=$(busy_ticks) w1=$(now)
echo
echo "$(nproc) CPUs; load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
    "the machine's CPUs were $(awk -v b="$((b1 - b0))" -v hz="$hz" -v w="$(((w1 - w0) / 1000000))" -v c="$ncpu" \
    'BEGIN {printf "%.0f", 100 * b / hz / (w / 1000 * c)}')% busy over the $(((w1 - w0) / 1000000000)) s of runs" \
    "(this benchmark, slurmctld and slurmd included); $(sinfo --version)."
