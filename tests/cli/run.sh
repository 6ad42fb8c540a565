#!/usr/bin/env bash
# CLI golden tests: each case runs the real rvcidx binary and checks its exit
# code and a line it must print. Env: RVCIDX (binary), TEST_TMP (scratch).
set -u
: "${RVCIDX:?set by CTest}" "${TEST_TMP:?set by CTest}"
scratch="$TEST_TMP/cli"
rm -rf "$scratch" && mkdir -p "$scratch"
pass=0 fail=0
fast=(--no-timing --eval-queries 200 --threads 1) # builds whose speed and recall these cases do not check
# (--threads 1: two OpenMP threads spin for seconds on a loaded 2-core machine)

# case NAME EXPECTED_EXIT PATTERN -- ARGS...   (PATTERN: grep -E on stdout+stderr)
case_() {
  local name=$1 want=$2 pattern=$3; shift 4
  local out rc
  out=$("$RVCIDX" "$@" 2>&1 </dev/null); rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL $name: exit $rc, expected $want"; echo "$out" | sed 's/^/    /' | head -20; fail=$((fail+1)); return
  fi
  if ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output lacks /$pattern/"; echo "$out" | sed 's/^/    /' | head -20; fail=$((fail+1)); return
  fi
  echo "ok   $name"; pass=$((pass+1))
}

case_ no_args           2 '^usage: rvcidx COMMAND'                   --
case_ help              0 'build +ingest, train, encode'             -- --help
case_ help_lists_all    0 '^  submit   submit builds to a Slurm cluster' -- --help
case_ version           0 '^faiss  1\.7\.3 \((avx2|generic), C API\)' -- --version
case_ version_hdf5      0 '^hdf5   1\.'                              -- version
case_ version_gpu_line  0 '^gpu    (CUDA runtime|no GPU: .+)'        -- --version
case_ unknown_command   2 "unknown command 'frobnicate'"             -- frobnicate
case_ submit_no_args    2 '-o OUTDIR and at least one SRC'           -- submit --slurm
case_ submit_bad_value  2 "--max-running: 'lots' is not an integer"  -- submit --slurm --max-running lots -o "$scratch/s" "$scratch"
case_ submit_no_stage   2 '--stage, --part and --plan are chosen by submit' -- submit --slurm --split 2 --stage part -o "$scratch/s" "$scratch"
case_ submit_no_models  3 'no model directories'                     -- submit --slurm --dry-run -o "$scratch/s" "$scratch"
case_ submit_split_auto 2 'no --per-speaker, --per-model or --index auto' -- build --split 2 --index auto -o "$scratch/s" "$scratch"
case_ stage_no_split    2 '--stage and --part belong to a split build' -- build --stage part -o "$scratch/s" "$scratch"
case_ status_not_dir    3 'not a directory'                          -- status "$scratch/none"
case_ demo_needs_output 2 '-o ROOT is required'                      -- demo
case_ demo_bad_number   2 "--speakers: 'many' is not an integer"     -- demo -o "$scratch/x" --speakers many
case_ demo_bad_dim      2 'must be 768 \(RVC v2\) or 256'            -- demo -o "$scratch/x" --dim 300
case_ demo_unknown_opt  2 'unrecognized option'                      -- demo -o "$scratch/x" --bogus
case_ demo_small        0 'wrote 1500 frames for 1 speaker'          -- demo -o "$scratch/ex" --speakers 1 --minutes 0.5
case_ for_help          0 '^  applio-realtime +Applio realtime: sets index.nprobe = 12' -- build --for help
case_ for_unknown       2 "--for bogus: 'bogus' is not an app"       -- build --for bogus -o "$scratch/f" "$scratch/ex"
case_ for_index_clash   2 'refine wrapper of --index ivfpq4fs has no nprobe' -- build --for applio-realtime --index ivfpq4fs -o "$scratch/f" "$scratch/ex"
case_ for_k_clash       2 'searches with k=1, not --k 8'             -- build --for w-okada --k 8 -o "$scratch/f" "$scratch/ex"
case_ for_nprobe_clash  2 'sets nprobe 12 itself'                    -- build --for applio-realtime --nprobe 4 -o "$scratch/f" "$scratch/ex"
case_ submit_container_gpu 0 'exec "\$runtime" exec --nv --bind .* .x\.sif. rvcidx build' -- submit --slurm --dry-run --container x.sif --gpus 1 -o "$scratch/s" "$scratch/ex"
case_ submit_container  0 'exec "\$runtime" exec --bind .* .x\.sif. rvcidx build .*--stage' -- submit --slurm --dry-run --container x.sif --split 2 -o "$scratch/s" "$scratch/ex"
case_ submit_container_runtime 0 'command -v apptainer \|\| command -v singularity' -- submit --slurm --dry-run --container x.sif -o "$scratch/s" "$scratch/ex"
case_ demo_json_log     0 '^\{"ts":"[0-9T:Z-]+","level":"info","msg":"demo: wrote' -- demo -o "$scratch/ej" --speakers 1 --minutes 0.1 --log-json
case_ demo_quiet        0 '^$'                                       -- demo -o "$scratch/eq" --speakers 1 --minutes 0.1 --quiet
case_ demo_non_ascii    0 'wrote 300 frames'                         -- demo -o "$scratch/dados de voz/ç" --speakers 1 --minutes 0.1
case_ demo_unwritable   4 'cannot create directory'                  -- demo -o /proc/rvcidx-cannot --speakers 1 --minutes 0.1
case_ gpu_probe         "$("$RVCIDX" gpu >/dev/null 2>&1; echo $?)" '(GPU\(s\)|no GPU: )' -- gpu
case_ build_usage       2 'at least one SRC'                         -- build -o "$scratch/out"
case_ ingest_small      0 'rows     1500 x 768'                      -- ingest -o "$scratch/store.h5" "$scratch/ex"
if ! "$RVCIDX" gpu >/dev/null 2>&1; then # without a GPU, --gpu on must refuse (with one, test_gpu_train covers it)
case_ train_gpu_on      6 '--gpu on, but no GPU is usable'           -- train -o "$scratch/c.h5" "$scratch/store.h5" --gpu on
case_ build_gpu_on      6 '--gpu on, but no GPU is usable'           -- build -o "$scratch/b" "$scratch/ex" --gpu on
[[ ! -e "$scratch/b" ]] && echo "ok   build_gpu_on_before_ingest" && pass=$((pass+1)) || { echo "FAIL build_gpu_on_before_ingest: $scratch/b was written"; fail=$((fail+1)); }
case_ models_gpu_on     6 '--gpu on, but no GPU is usable'           -- build --per-model -o "$scratch/b" "$scratch/ex" --gpu on
case_ eval_gpu_on       6 '--gpu on, but no GPU is usable'           -- eval --gpu on "$scratch/x.index" "$scratch/store.h5"
fi
case_ src_binary_file   3 'store\.h5: a binary file, not a list of sources' -- ingest -o "$scratch/s2.h5" "$scratch/store.h5"
case_ train_no_store    3 'missing or not an HDF5 file'              -- train -o "$scratch/c.h5" "$scratch/nope.h5"
case_ train_bad_nlist   2 "--nlist: 'many' is not an integer"        -- train -o "$scratch/c.h5" "$scratch/store.h5" --nlist many
case_ train_nlist_big   2 'more than the 1500 rows'                  -- train -o "$scratch/c.h5" "$scratch/store.h5" --nlist 2000
case_ train_small       0 '^centroids .*: [0-9]+ lists from 1500 sampled rows' -- train --threads 1 -o "$scratch/c.h5" "$scratch/store.h5"
case_ encode_k_factor   0 'nprobe 16, k_factor 8,'                   -- encode --threads 1 -o "$scratch/i.index" --centroids "$scratch/c.h5" "$scratch/store.h5"
case_ encode_unwritable  4 'i\.index: cannot write into /proc' -- encode --threads 1 -o /proc/i.index --centroids "$scratch/c.h5" "$scratch/store.h5"
case_ train_unwritable   4 'c\.h5: cannot write into /proc'   -- train --threads 1 -o /proc/c.h5 "$scratch/store.h5"
case_ encode_no_centroids 2 '--centroids FILE is required'           -- encode -o "$scratch/i.index" "$scratch/store.h5"
case_ eval_usage        2 'INDEX and STORE.h5 are required'          -- eval "$scratch/store.h5"
case_ eval_not_index    3 'not a faiss index'                        -- eval "$scratch/store.h5" "$scratch/store.h5"
case_ eval_bad_target   2 "--target-recall: '2' is not a number in 0..1" -- eval a b --target-recall 2
case_ eval_zero_queries 2 "--eval-queries: '0' is not an integer in 1\.\." -- eval a b --eval-queries 0
case_ plan_help         0 '^usage: rvcidx plan -o OUTDIR'           -- plan --help
case_ plan_fits         0 'memory   peak .* available: fits'        -- plan -o "$scratch/p" "$scratch/ex"
export RVCIDX_MEMORY_LIMIT=1M
case_ build_refused     8 'refused before starting: the build needs' -- build -o "$scratch/p" "$scratch/ex"
case_ plan_too_big       8 'memory   peak .* available: DOES NOT FIT' -- plan -o "$scratch/p" "$scratch/ex"
case_ models_guarded    1 '\| speaker0 \| refused: does not fit this machine \(exit 8\) \|' -- build --per-model -o "$scratch/pm" "$scratch/ex"
unset RVCIDX_MEMORY_LIMIT
# check NAME CONDITION...: a case that tests the files a command left behind.
check() {
  local name=$1; shift
  if "$@"; then echo "ok   $name"; pass=$((pass+1)); else echo "FAIL $name"; fail=$((fail+1)); fi
}
# silent WANT_EXIT ARGS...: the command exits WANT_EXIT and prints nothing but errors.
silent() {
  local want=$1 out rc; shift
  out=$("$RVCIDX" "$@" 2>&1 </dev/null); rc=$?
  [[ $rc -eq $want && -z "$(grep -v '^rvcidx: error: ' <<<"$out")" ]] ||
    { echo "    exit $rc, output:"; echo "$out" | head -5 | sed 's/^/    /'; false; }
}
# json_stdout WANT_EXIT ARGS...: exits WANT_EXIT, and every stdout line is a JSON object.
json_stdout() {
  local want=$1 rc; shift
  "$RVCIDX" "$@" >"$scratch/stdout.jsonl" 2>/dev/null </dev/null; rc=$?
  [[ $rc -eq $want && -s "$scratch/stdout.jsonl" ]] &&
    "${PYTHON:-python3}" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$scratch/stdout.jsonl" ||
    { echo "    exit $rc, stdout:"; head -3 "$scratch/stdout.jsonl" | sed 's/^/    /'; false; }
}
# lacks PATTERN WANT_EXIT ARGS...: exits WANT_EXIT and prints no line matching PATTERN.
lacks() {
  local pattern=$1 want=$2 out rc; shift 2
  out=$("$RVCIDX" "$@" 2>&1 </dev/null); rc=$?
  [[ $rc -eq $want ]] && ! grep -qE -- "$pattern" <<<"$out" ||
    { echo "    exit $rc, output:"; grep -E -- "$pattern" <<<"$out" | head -3 | sed 's/^/    /'; false; }
}
no_store() { [[ -z "$(find "$1" -name store.h5 2>/dev/null)" ]]; }
# Whole builds cost a minute or more each under valgrind (faiss's k-means and
# PQ training instrumented): the valgrind pass (tests/cli/valgrind.sh) runs
# them once in the cases before this point and in models_one_fails; the
# cases marked `full` run in the plain and sanitizer passes only.
full() { [[ -z "${RVCIDX_UNDER_VALGRIND:-}" ]] && "$@"; }
check build_refused_wrote_nothing no_store "$scratch/p"
check models_guarded_wrote_nothing no_store "$scratch/pm"
case_ plan_per_model    0 '^model    speaker0 .*' -- plan --per-model -o "$scratch/pm" "$scratch/ex"
full case_ build_recall_shipped 0 'measured on the shipped index with 200 queries: leave-one-out' -- build "${fast[@]}" -o "$scratch/one" "$scratch/ex"
case_ build_plan_per_model 0 '^memory   peak .* available: fits' -- build --plan --per-model -o "$scratch/pm" "$scratch/ex"
check plan_per_model_built_nothing no_store "$scratch/pm"


# A --per-model build where one model fails: status lists it, with why, and exits 1.
"$RVCIDX" demo -q -o "$scratch/ex2" --speakers 2 --minutes 0.1
echo garbage > "$scratch/ex2/speaker1/3_feature768/zz.npy"
case_ models_one_fails  1 '\| speaker1 \| failed: bad input \(exit 3\) \|' -- build --per-model "${fast[@]}" -o "$scratch/pmf" "$scratch/ex2"
full check no_faiss_pq_spam  lacks '^WARNING clustering' 0 build "${fast[@]}" --index ivfpq4fs -o "$scratch/pms" "$scratch/ex2/speaker0"
case_ status_failed     1 '\| speaker1 \| failed: bad input \(exit 3\) at ' -- status "$scratch/pmf"
case_ status_built      1 '\| speaker0 \| built \|'                  -- status "$scratch/pmf"
check status_quiet      silent 1 status -q "$scratch/pmf"
case_ status_ok         0 '\| build \| state \|'                     -- status "$scratch/pmf/speaker0"
# A Slurm array with one failed task (sacct stubbed): status says so and exits 1.
mkdir -p "$scratch/bin" "$scratch/slurm/.rvcidx-submit"
printf '#!/bin/sh\necho "77_0|COMPLETED|00:00:09|0:0"\necho "77_1|FAILED|00:00:01|3:0"\n' > "$scratch/bin/sacct"
chmod +x "$scratch/bin/sacct"
echo '{"format":"rvcidx-submit","submissions":[{"time":1,"script":"s.sh","jobs":[{"id":"77","kind":"models"}]}]}' \
  > "$scratch/slurm/.rvcidx-submit/submit.json"
PATH="$scratch/bin:$PATH" case_ status_slurm_failed 1 '1 Slurm task\(s\) failed' -- status "$scratch/slurm"

# -q prints nothing but errors; --log-json makes stdout JSON lines too.
full check build_quiet       silent 0 build -q "${fast[@]}" -o "$scratch/q" "$scratch/ex"
full check build_json_stdout json_stdout 0 build --log-json "${fast[@]}" -o "$scratch/q" "$scratch/ex"
full check models_json_stdout json_stdout 1 build --log-json --per-model "${fast[@]}" -o "$scratch/pmf" "$scratch/ex2"

# The eval progress total is known from the start: every line has the same one.
one_eval_total() {
  local totals
  totals=$(RVCIDX_PROGRESS_INTERVAL=0 "$RVCIDX" eval --threads 1 --no-timing --eval-queries 200 "$@" 2>&1 >/dev/null |
           sed -n 's|^rvcidx: progress: eval [0-9.k]*/\([0-9.k]*\) settings.*|\1|p' | sort -u)
  [[ -n "$totals" && $(wc -l <<<"$totals") -eq 1 ]] || { echo "    totals: $totals"; false; }
}
full check eval_progress_total one_eval_total "$scratch"/q/added_*.index "$scratch/q/store.h5"

# Too little disk for a rebuild: an unchanged rerun writes nothing and goes ahead; a new build is refused.
export RVCIDX_DISK_LIMIT=1M
full case_ nightly_low_disk  0 'up to date: nothing rebuilt'               -- build "${fast[@]}" -o "$scratch/q" "$scratch/ex"
full case_ new_low_disk      8 'needs 0\.[0-9]+ GiB of disk \(0\.0 free\)' -- build "${fast[@]}" -o "$scratch/q2" "$scratch/ex"
unset RVCIDX_DISK_LIMIT
full check new_low_disk_wrote_nothing no_store "$scratch/q2"
for v in garbage 0 -5G; do
  RVCIDX_MEMORY_LIMIT=$v case_ memory_limit_$v 2 "RVCIDX_MEMORY_LIMIT=$v: not a size" -- plan -o "$scratch/p" "$scratch/ex"
done
# The variables the command reads are checked as options are: exit 2 naming the variable.
for v in abc 1e999 -1; do
  RVCIDX_PROGRESS_INTERVAL=$v case_ progress_interval_$v 2 "RVCIDX_PROGRESS_INTERVAL=$v: not a number of seconds" -- plan -o "$scratch/p" "$scratch/ex"
done
RVCIDX_PROGRESS_INTERVAL=0.5 case_ progress_interval_ok 0 'memory +peak' -- plan -o "$scratch/p" "$scratch/ex"
for v in yesterday -5 12abc; do
  SOURCE_DATE_EPOCH=$v case_ source_date_epoch_$v 2 "SOURCE_DATE_EPOCH=$v: not a count of seconds" -- plan -o "$scratch/p" "$scratch/ex"
done

# Too few frames: exit 3 before any work, saying how many there are and how many are needed.
mkdir -p "$scratch/tiny/m/3_feature768"
"${PYTHON:-python3}" -c 'import numpy as np, sys; np.save(sys.argv[1], np.ones((5, 768), "float32"))' "$scratch/tiny/m/3_feature768/0.npy"
case_ too_few_rows      3 '5 rows \(frames\) in all, but an IVF-PQ4 index needs at least 16' -- build -o "$scratch/tinyo" "$scratch/tiny/m"
case_ too_few_rows_flat 3 '5 rows \(frames\) in all, but measuring 8-recall@8 needs at least 9' -- build --index ivfflat -o "$scratch/tinyo" "$scratch/tiny/m"
check too_few_rows_wrote_nothing no_store "$scratch/tinyo"
"$RVCIDX" ingest -q -o "$scratch/tiny.h5" "$scratch/tiny/m"
case_ too_few_rows_train 3 'tiny\.h5: 5 rows \(frames\) to index, but an IVF-PQ4 index needs at least 16' -- train -o "$scratch/tc.h5" "$scratch/tiny.h5"

# --metric cosine with all-zero frames: the advice names them, not --nlist alone.
mkdir -p "$scratch/zero/m/3_feature768"
"${PYTHON:-python3}" -c 'import numpy as np, sys; x = np.random.default_rng(1).random((300, 768), "float32"); x[:3] = 0; np.save(sys.argv[1], x)' "$scratch/zero/m/3_feature768/0.npy"
full case_ cosine_zero_rows  7 '3 of the 300 indexed frames are all zeros, which --metric cosine cannot rank' -- build "${fast[@]}" --metric cosine -o "$scratch/zo" "$scratch/zero/m"

# A shard named in upper case (X.NPY) is a shard: RVC loads every file of the folder.
mkdir -p "$scratch/upper/m/3_feature768"
cp "$scratch/ex/speaker0/3_feature768/"*.npy "$scratch/upper/m/3_feature768/"
first=$(ls "$scratch/upper/m/3_feature768" | head -1)
mv "$scratch/upper/m/3_feature768/$first" "$scratch/upper/m/3_feature768/${first%.npy}.NPY"
case_ upper_case_npy    0 'rows     1500 x 768'                      -- ingest -o "$scratch/upper.h5" "$scratch/upper/m"

# submit --dry-run prints sbatch commands safe to paste, whatever the paths hold.
pasted_safely() { # DEPENDENCY ARGS...: runs the printed commands with a stub sbatch; nothing the paths hold runs
  local dir="$scratch/paste" out dependency=$1; shift
  rm -rf "$dir" && mkdir -p "$dir/bin" && cd "$dir" || return 1
  printf '#!/bin/sh\nfor a in "$@"; do printf "%%s\\n" "$a"; done >> "%s/argv"\necho 4242\n' "$dir" > bin/sbatch
  chmod +x bin/sbatch
  out=$("$RVCIDX" submit --slurm --dry-run "$@" 2>&1) || { cd - >/dev/null; echo "$out" | tail -3; return 1; }
  grep -E "^([A-Z_]+=\\\$\()?'sbatch' " <<<"$out" > cmds.sh
  PATH="$dir/bin:$PATH" bash cmds.sh
  cd - >/dev/null
  [[ -s "$dir/cmds.sh" && ! -e "$dir/PWNED" ]] && grep -q 'we$(touch PWNED)ird'"'"'q' "$dir/argv" &&
    { [[ $dependency == no ]] || grep -qx -- '--dependency=afterok:4242' "$dir/argv"; }
}
weird="$scratch/we\$(touch PWNED)ird'q"
mkdir -p "$weird" && cp -r "$scratch/ex/speaker0" "$weird/"
check submit_paste_split pasted_safely yes --split 2 -o "$weird/out" "$weird/speaker0"
check submit_paste_models pasted_safely no -o "$weird/out" "$weird"

# eval --queries-from other-speakers on an index of a whole multi-speaker store: the true reason.
full case_ build_recall_label 0 'measured on the tuning index \(1500 of the 1800 vectors\), not the shipped one' -- build "${fast[@]}" -o "$scratch/ms" "$scratch/ex2/speaker0" "$scratch/upper/m"
full case_ eval_other_whole_store 3 'the index holds all 1800 rows of the store \(2 speakers\), so no other speaker' -- eval --queries-from other-speakers "$scratch"/ms/added_*.index "$scratch/ms/store.h5"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
