#!/usr/bin/env bash
# `rvcidx ingest` on bad inputs: every case builds one bad input, runs the real
# binary and checks (docs/exit-codes.md) the exact exit code, ONE error line
# naming the offending file, directory or option and the problem, and that
# nothing was written: the output directory is as it was before the run (no
# store, no temporary file; a store that existed is byte-identical).
# Env: RVCIDX (binary), PYTHON (Debian's python3 with numpy), TEST_TMP (scratch).
set -u
: "${RVCIDX:?set by CTest}" "${PYTHON:?set by CTest}" "${TEST_TMP:?set by CTest}"
RVCIDX=$(cd "$(dirname "$RVCIDX")" && pwd)/$(basename "$RVCIDX") # setups run elsewhere
scratch="$TEST_TMP/cli_ingest_bad"
rm -rf "$scratch" && mkdir -p "$scratch"
pass=0 fail=0

# Helpers for the SETUP snippets, which run in the case's input dir. F is the
# bad shard's usual place: after the good m/3_feature768/0_0.npy that good() writes.
prelude='
import io, os, subprocess, numpy as np
O = os.environ["O"]
F = "m/3_feature768/0_1.npy"
def mkdir(p): os.makedirs(p, exist_ok=True)
def raw(p, b):
    mkdir(os.path.dirname(p) or ".")
    open(p, "wb").write(b)
def npy_bytes(a, version=None):
    b = io.BytesIO(); np.lib.format.write_array(b, np.asanyarray(a), version=version, allow_pickle=True)
    return b.getvalue()
def save(p, a, version=None): raw(p, npy_bytes(a, version))
def rows(n=5, dim=768, dtype=np.float32): return np.ones((n, dim), dtype)
def good(p="m/3_feature768/0_0.npy", dim=768): save(p, rows(dim=dim))
def with_value(r, c, v, dtype=np.float32):
    a = rows(dtype=dtype); a[r, c] = v; return a
def store(*srcs):  # an existing store the failed run must leave byte-identical
    subprocess.run([os.environ["RVCIDX"], "ingest", "-q", "-o", O + "/store.h5", *srcs], check=True)
'

report() { # report NAME VERDICT [DETAIL_FILE]
  if [[ $2 == ok ]]; then echo "ok   $1"; pass=$((pass+1)); return; fi
  echo "FAIL $1: $2"; [[ -n ${3:-} ]] && sed 's/^/    /' "$3" | head -20; fail=$((fail+1))
}

# case_ NAME EXIT PATTERN SETUP -- ARGS...
#   SETUP: Python run in the case's input dir (helpers above); ARGS follow
#   `rvcidx ingest`, with @S for the input dir and @O for the output dir.
#   PATTERN (grep -E) must match the one error line; for EXIT 0, any line,
#   and the store written must then be up to date on a second run.
case_() {
  local name=$1 want=$2 pattern=$3 setup=$4; shift 5
  local dir="$scratch/$name" S="$scratch/$name/in" O="$scratch/$name/out"
  mkdir -p "$S" "$O"
  if ! (cd "$S" && O="$O" "$PYTHON" -c "$prelude$setup" >"$dir/setup.log" 2>&1); then
    report "$name" "setup failed" "$dir/setup.log"; return
  fi
  cp -a "$O" "$dir/out.before"
  local args=("${@//@S/$S}"); args=("${args[@]//@O/$O}")
  "$RVCIDX" ingest "${args[@]}" >"$dir/stdout" 2>"$dir/stderr" </dev/null
  local rc=$?
  [[ $rc -ne $want ]] && { report "$name" "exit $rc, expected $want" "$dir/stderr"; return; }
  if grep -qv '^rvcidx: ' "$dir/stderr"; then report "$name" "stderr has foreign lines" "$dir/stderr"; return; fi
  if [[ $want -eq 0 ]]; then
    grep -qE -- "$pattern" "$dir/stderr" "$dir/stdout" || { report "$name" "output lacks /$pattern/" "$dir/stderr"; return; }
    "$RVCIDX" ingest "${args[@]}" 2>&1 | grep -q '(unchanged)' || { report "$name" "second run is not unchanged"; return; }
    report "$name" ok; return
  fi
  # one error line for the problem; a bad-shard run may add its summary line
  grep '^rvcidx: error: ' "$dir/stderr" | grep -v 'bad shard(s), listed above' >"$dir/errors"
  local n; n=$(wc -l <"$dir/errors")
  [[ $n -ne 1 ]] && { report "$name" "$n error lines, expected 1" "$dir/stderr"; return; }
  grep -qE -- "$pattern" "$dir/errors" || { report "$name" "error line lacks /$pattern/" "$dir/errors"; return; }
  # the lock file (empty once released) is the one thing a refused run leaves
  diff -r -x .rvcidx.lock "$dir/out.before" "$O" >"$dir/diff" 2>&1 || { report "$name" "the output dir changed" "$dir/diff"; return; }
  report "$name" ok
}

M=(-o @O/store.h5 @S/m)  # the usual arguments: one model directory

# --- shard contents: exit 3, the shard named ---------------------------------------------------------------------------
case_ bad_magic         3 '0_1\.npy: not a NumPy \.npy file'       'good(); raw(F, b"PK\3\4" + bytes(200))' -- "${M[@]}"
case_ empty_file        3 '0_1\.npy: file is empty'                'good(); raw(F, b"")' -- "${M[@]}"
case_ truncated_header  3 '0_1\.npy: truncated header'             'good(); raw(F, npy_bytes(rows())[:60])' -- "${M[@]}"
case_ truncated_data    3 '0_1\.npy: truncated data'               'good(); raw(F, npy_bytes(rows())[:-6])' -- "${M[@]}"
case_ trailing_bytes    3 '0_1\.npy: trailing bytes'               'good(); raw(F, npy_bytes(rows()) + bytes(8))' -- "${M[@]}"
case_ array_1d          3 '0_1\.npy: array is 1-D'                 'good(); save(F, np.ones(768, np.float32))' -- "${M[@]}"
case_ array_3d          3 '0_1\.npy: array is 3-D'                 'good(); save(F, np.ones((2, 5, 768), np.float32))' -- "${M[@]}"
case_ fortran_order     3 '0_1\.npy: Fortran-order'                'good(); save(F, np.asfortranarray(rows()))' -- "${M[@]}"
case_ dtype_int32       3 "0_1\.npy: unsupported dtype '<i4'"    'good(); save(F, rows(dtype="<i4"))' -- "${M[@]}"
case_ dtype_complex64   3 "0_1\.npy: unsupported dtype '<c8'"      'good(); save(F, rows(dtype="<c8"))' -- "${M[@]}"
case_ dtype_object      3 "0_1\.npy: unsupported dtype '\|O'"      'good(); save(F, np.array([[1.0, None]], dtype=object))' -- "${M[@]}"
case_ nan_value         3 '0_1\.npy: row 3 has a NaN'              'good(); save(F, with_value(3, 7, np.nan))' -- "${M[@]}"
case_ inf_value         3 '0_1\.npy: row 2 has a NaN or infinite'  'good(); save(F, with_value(2, 0, -np.inf))' -- "${M[@]}"
case_ f8_overflow       3 '0_1\.npy: row 4 .*beyond float32'       'good(); save(F, with_value(4, 1, 1e300, np.float64))' -- "${M[@]}"
case_ header_over_cap   3 '0_1\.npy: header length 1048576 exceeds' \
  'good(); raw(F, b"\x93NUMPY\x02\x00" + (1 << 20).to_bytes(4, "little") + b"{" + b" " * 100)' -- "${M[@]}"
case_ npy_version_4     3 '0_1\.npy: unsupported \.npy format version 4\.0' \
  'good(); raw(F, b"\x93NUMPY\x04\x00" + npy_bytes(rows())[8:])' -- "${M[@]}"
case_ zero_columns      3 '0_1\.npy: .*zero columns'               'good(); save(F, np.ones((5, 0), np.float32))' -- "${M[@]}"
case_ only_empty_shards 3 'm/3_feature768(/0_0\.npy)?: .*0 rows'     'save("m/3_feature768/0_0.npy", rows(0))' -- "${M[@]}"
case_ only_empty_bare   3 'shards(/0_0\.npy)?: .*0 rows'              'save("shards/0_0.npy", rows(0))' -- -o @O/store.h5 @S/shards
case_ dim_mismatch      3 '0_1\.npy: D=256, but the shards before it have D=768' 'good(); save(F, rows(dim=256))' -- "${M[@]}"
case_ dim_mismatch_bare 3 'shards/0_1\.npy: D=256, but the shards before it have D=768' \
  'good("shards/0_0.npy"); save("shards/0_1.npy", rows(dim=256))' -- -o @O/store.h5 @S/shards
case_ v1_v2_models      3 'r/b: 3_feature768 does not match the 3_feature256' \
  'good("r/a/3_feature256/0_0.npy", dim=256); good("r/b/3_feature768/0_0.npy")' -- -o @O/store.h5 @S/r

# --- layouts: exit 3, the directory or file named ----------------------------------------------------------------------
case_ empty_feature_dir 3 'm/3_feature768: holds no \.npy files'   'mkdir("m/3_feature768"); raw("m/3_feature768/notes.txt", b"x")' -- "${M[@]}"
case_ both_feature_dirs 3 'm: holds both 3_feature256 .*--dim'     'good(); good("m/3_feature256/0_0.npy", dim=256)' -- "${M[@]}"
case_ dim_256_only_768  3 'm: has no 3_feature256 folder'          'good()' -- --dim 256 "${M[@]}"
case_ root_no_models    3 'r: no \.npy files, no 3_feature768'     'mkdir("r/x"); mkdir("r/y/logs"); raw("r/readme.txt", b"hi")' -- -o @O/store.h5 @S/r
case_ src_missing       3 'in/nope: No such file or directory'     'pass' -- -o @O/store.h5 @S/nope
case_ src_single_npy    3 '0_0\.npy: pass the folder that holds the shards' 'good()' -- -o @O/store.h5 @S/m/3_feature768/0_0.npy
case_ list_empty        3 'list\.txt: the list names no sources'   'raw("list.txt", b"# nothing here\n\n")' -- -o @O/store.h5 @S/list.txt
case_ list_names_list   3 'inner\.txt: list files cannot name other list files' \
  'good(); raw("inner.txt", b"m\n"); raw("outer.txt", b"inner.txt\n")' -- -o @O/store.h5 @S/outer.txt
case_ list_names_missing 3 'in/gone: No such file or directory'    'raw("list.txt", b"gone\n")' -- -o @O/store.h5 @S/list.txt
case_ duplicate_speaker 3 "same speaker and shard name 'spk/3_feature768/0_0\.npy'" \
  'good("a/spk/3_feature768/0_0.npy"); good("b/spk/3_feature768/0_0.npy")' -- -o @O/store.h5 @S/a/spk @S/b/spk

# --- the store path: exit 4 (I/O), the path named; an existing store is left byte-identical -------------------------
case_ output_dir_missing 4 'out/missing(/store\.h5)?: .*(No such file or directory|does not exist)' 'good()' -- -o @O/missing/store.h5 @S/m
case_ output_is_dir     4 'out/store\.h5: .*(Is a directory|is a directory)' 'good(); mkdir(O + "/store.h5")' -- "${M[@]}"
case_ store_kept_on_nan 3 '0_1\.npy: row 0 has a NaN'              'good(); store("m"); save(F, with_value(0, 0, np.nan))' -- "${M[@]}"
case_ store_kept_on_truncated 3 '0_1\.npy: truncated data'         'good(); store("m"); raw(F, npy_bytes(rows())[:-6])' -- "${M[@]}"
case_ store_kept_on_dim 3 '0_1\.npy: D=256'                        'good(); store("m"); save(F, rows(dim=256))' -- "${M[@]}"
case_ store_kept_src_missing 3 'in/gone: No such file or directory' 'good(); store("m")' -- -o @O/store.h5 @S/gone
case_ store_not_hdf5_kept 3 'out/store\.h5: exists and is not an rvcidx store' \
  'good(); raw(O + "/store.h5", b"this is not an HDF5 file\n" * 40)' -- "${M[@]}"

# --- usage: exit 2, the option named ---------------------------------------------------------------------------------
case_ no_output         2 '-o STORE\.h5 and at least one SRC are required' 'good()' -- @S/m
case_ no_src            2 '-o STORE\.h5 and at least one SRC are required' 'pass' -- -o @O/store.h5
case_ dim_300           2 '--dim: 300 is not 256'                  'good()' -- --dim 300 "${M[@]}"
case_ dim_not_a_number  2 "--dim: 'big' is not an integer"         'good()' -- --dim big "${M[@]}"
case_ version_v3        2 "--version: 'v3' is not v1 or v2"        'good()' -- --version v3 "${M[@]}"
case_ check_foo         2 "--check: 'foo' is not hash or stat"     'good()' -- --check foo "${M[@]}"
case_ store_kept_on_usage 2 '--check: .foo. is not hash or stat'   'good(); store("m")' -- --check foo "${M[@]}"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
