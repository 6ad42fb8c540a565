#!/usr/bin/env bash
# outputs-digest.sh — the sha256 of everything a fixed set of small builds
# writes that must not change when the code is only reorganised: for
# checking that a refactor is behaviour-preserving (the same digest from the
# binary before and after, on the same data).
#
# Usage: scripts/outputs-digest.sh RVCIDX DATA OUT
#   RVCIDX  the rvcidx binary to run
#   DATA    a demo tree; made with RVCIDX's `demo` (4 speakers, 0.5 min) when
#           missing. Give both binaries the same DATA: the store records the
#           shards' sizes and mtimes.
#   OUT     a scratch folder (replaced); OUT.sums gets the digest
# Builds: the default, --per-speaker, two budgets (auto, kmeans), --refine
# fp16, --index auto, --for rvc-realtime, --for w-okada, IVF-Flat, a split
# build in 3 parts by stages, and a missing source (its error line). Hashes
# every index, store, centroids, report.json, manifest.json and stdout/stderr.
# Compare two digests with diff; the missing source's line differs when OUT
# differs (it names OUT).
set -euo pipefail
[[ $# -eq 3 ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
bin=$1 data=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
[[ -d "$data" ]] || "$bin" demo -q --no-progress -o "$data" --speakers 4 --minutes 0.5
run() { local name=$1; shift; "$bin" build -q --no-progress -o "$out/$name" "$@" > "$out/$name.stdout" 2>&1 || echo "rc=$? $name" >> "$out/rc.txt"; }
run default "$data"
run perspk --per-speaker "$data"
run budget --max-vectors 2000 --reduce auto "$data"
run kmeans --max-vectors 1500 --reduce kmeans "$data"
run fp16 --refine fp16 "$data"
run auto --index auto "$data"
run rt --for rvc-realtime "$data"
run wok --for w-okada "$data"
run flat --index ivfflat --nlist 20 "$data"
"$bin" build -q --no-progress -o "$out/split" --split 3 --stage prepare "$data" >/dev/null 2>&1
for p in 0 1 2; do "$bin" build -q --no-progress -o "$out/split" --split 3 --stage part --part $p "$data" >/dev/null 2>&1; done
run split --split 3 --stage finish "$data"
run bad "$out/nothing"
(cd "$out" && find . -type f \( -name '*.index' -o -name '*.h5' -o -name 'report.json' -o -name 'manifest.json' \
   -o -name '*.stdout' -o -name 'rc.txt' \) | sort | xargs sha256sum) > "$out.sums"
echo "$(wc -l < "$out.sums") files hashed into $out.sums"
