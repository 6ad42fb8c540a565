# common.sh — sourced by the bench/*.sh scripts but ingest.sh: what they
# need checked first, the scratch directory, a private copy of the binary,
# and timing that keeps a shared machine honest.
# Usage: source common.sh NAME SECONDS_DIGITS PYTHON_MODULE...
# (expects $root and $build to be set; sets $py, Debian's python3).
bench_name=$1 secs_digits=$2
shift 2
py=/usr/bin/python3
[[ -x $build/src/rvcidx ]] || { echo "no $build/src/rvcidx: build first (cmake --build $build)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
$py -c "import $(IFS=,; echo "$*")" 2>/dev/null ||
  { echo "needs Debian's ${*/#/python3-}" >&2; exit 2; }
work=$(mktemp -d "$build/bench-$bench_name.XXXXXX")
[[ ${RVCIDX_BENCH_KEEP:-0} == 1 ]] || trap 'rm -rf "$work"' EXIT
export PYTHONPATH=$root/bench${PYTHONPATH:+:$PYTHONPATH} PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the tree
rvcidx=$work/rvcidx # a private copy: the build directory may be rebuilt while this runs
cp "$build/src/rvcidx" "$rvcidx"

now() { date +%s%N; }
secs() { awk -v d="$secs_digits" -v a="$1" -v b="$2" 'BEGIN {printf "%.*f", d, (b - a) / 1e9}'; }
hz=$(getconf CLK_TCK) ncpu=$(nproc)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# The machine may be shared. quiet_wait: before each timed run, wait (at most
# 60 s) for 3 s in which the machine is under 10% busy. timed CMD...: runs CMD
# (stdout, stderr to $work/stdout, $work/stderr) and sets T_WALL (s), T_RSS
# (peak RSS, KiB) and T_OTHER (% of all CPUs other processes used meanwhile:
# the machine's busy time minus CMD's user+system time); a run during which
# other processes used over 10% is repeated (at most twice; the last counts).
waited=0 repeated=0
quiet_wait() {
  local i a b
  for ((i = 0; i < 20; i++)); do
    a=$(busy_ticks); sleep 3; b=$(busy_ticks)
    ((100 * (b - a) < 10 * 3 * hz * ncpu)) && return 0
    waited=$((waited + 3))
  done
}
timed() {
  local attempt b0 b1 t0 t1 u s st
  for ((attempt = 1; attempt <= ${timed_attempts:-3}; attempt++)); do
    quiet_wait
    st=0
    b0=$(busy_ticks); t0=$(now)
    /usr/bin/time -f "%M %U %S" -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" || st=$?
    t1=$(now); b1=$(busy_ticks)
    if ((st != 0)); then
      echo "failed ($st): $*" >&2; tail -n 20 "$work/stdout" "$work/stderr" >&2; return $st
    fi
    read -r T_RSS u s < <(tail -1 "$work/time")
    T_WALL=$(secs "$t0" "$t1")
    T_OTHER=$(awk -v b="$((b1 - b0))" -v hz="$hz" -v u="$u" -v s="$s" -v w="$T_WALL" -v c="$ncpu" \
      'BEGIN {o = b / hz - u - s; if (o < 0) o = 0; printf "%.1f", 100 * o / (w * c)}')
    awk -v o="$T_OTHER" 'BEGIN {exit !(o > 10)}' || return 0
    ((attempt == ${timed_attempts:-3})) || { repeated=$((repeated + 1)); local c="$*"; echo "other processes used $T_OTHER% of the CPUs: repeating ${c:0:120}" >&2; }
  done
}
# CPU used by other processes over the whole run: the machine's busy ticks
# (/proc/stat) minus this script's own and its children's (/proc/$$/stat).
cpu_self() { sed 's/^.*) //' "/proc/$$/stat" | awk '{print $12 + $13 + $14 + $15}'; }
busy0=$(busy_ticks) self0=$(cpu_self) wall0=$(now)
other_cpu() {
  local busy1 self1; busy1=$(busy_ticks); self1=$(cpu_self)
  awk -v b="$((busy1 - busy0))" -v s="$((self1 - self0))" -v hz="$hz" -v w="$(secs "$wall0" "$(now)")" -v c="$ncpu" -v q="$waited" -v r="$repeated" 'BEGIN {
    o = (b - s) / hz; if (o < 0) o = 0
    printf "Other processes used %.0f CPU-s during this %.0f s run (%.1f%% of the %d CPUs); %d s spent waiting for a quiet machine, %d disturbed runs repeated.\n", o, w, 100 * o / (w * c), c, q, r }'
}

# eval_ok CMD...: runs an `rvcidx eval`, which exits 7 when no setting reaches
# its recall target (the sweep is still written); any other failure stops the script.
eval_ok() { local rc=0; "$@" || rc=$?; [[ $rc == 0 || $rc == 7 ]] || { echo "failed ($rc): $*" >&2; exit 1; }; }

# The versions every table header names: rvcidx, its faiss, Debian's python3-faiss.
versions_line() {
  echo "$("$rvcidx" --version | sed -n 1,2p | tr '\n' ' ' | sed 's/  */ /g'); python3-faiss $($py -c 'import faiss; print(faiss.__version__)')" \
       "($(dpkg-query -W -f '${Version}' python3-faiss 2>/dev/null), $($py -c 'import faiss; print(faiss.get_compile_options().strip())' 2>/dev/null || echo '?'))"
}
