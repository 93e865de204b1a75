#!/usr/bin/env bash
# Side-by-side overview for README: for one model, in one run, the wall time (best of REPEATS,
# whole process) and peak memory of train/eval/prove/check, and the checker's proof length for
# every strategy. Prints a Markdown table.
# usage: bench/overview.sh [MODEL] [REPEATS]        (build dir: $BUILD, default ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-examples/max4-seed50.safetensors}
REPEATS=${2:-5}
BUILD=${BUILD:-build}
MECHCERT=$BUILD/generator/mechcert
CHECK=$BUILD/checker/mechcert-check
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# best_of CMD...: prints "seconds peak_MiB" of the fastest of REPEATS runs (wall clock around
# the process; peak RSS from GNU time).
best_of() {
  local best="" mem=""
  for ((i = 0; i < REPEATS; i++)); do
    local t0 t1 s kb
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$TMP/time" "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    read -r kb < "$TMP/time"
    if [[ -z $best ]] || awk -v a="$s" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$s; mem=$kb; fi
  done
  awk -v s="$best" -v kb="$mem" 'BEGIN { printf "%.3f %.0f", s, kb / 1024 }'
}

echo "model: $MODEL; $(nproc) cores; best of $REPEATS; $(date -u +%F)"
echo
read -r ts tm <<<"$(best_of "$MECHCERT" train --seed 50 --out "$TMP/m.safetensors" --quiet)"
read -r es em <<<"$(best_of "$MECHCERT" eval "$MODEL" --json)"
echo "| step | wall s | peak MiB |"
echo "|---|---:|---:|"
echo "| mechcert train (seed 50, 3000 steps) | $ts | $tm |"
echo "| mechcert eval (all v^k inputs, float) | $es | $em |"
rows=()
for strategy in brute-force cubic subcubic/centered_max_exact/mean_query+diff/exact_EQKE+max_diff_exact \
                subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact; do
  cert=$TMP/${strategy//\//_}.json
  read -r ps pm <<<"$(best_of "$MECHCERT" prove "$MODEL" --strategy "$strategy" --out "$cert")"
  read -r cs cm <<<"$(best_of "$CHECK" "$MODEL" "$cert")"
  echo "| mechcert prove --strategy $strategy | $ps | $pm |"
  echo "| mechcert-check ($strategy) | $cs | $cm |"
  json=$("$CHECK" "$MODEL" "$cert" --json)
  rows+=("$(python3 -c '
import json, math, sys
j = json.loads(sys.argv[1]); pl = j["proof_length"]
ops = sum(pl["ops"].values()); f = pl["paper_flops"]
print("| %s | %s | %.6f | %.3g | %.3g (2^%.1f) | %.3f |" % (j["strategy"], j["bound"]["num"], j["bound"]["value"], ops, f, math.log2(f), pl["cpu_seconds"]))
' "$json")")
done
echo
echo "| strategy | certified inputs | bound | checker ops | paper-convention FLOPs | checker CPU s |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
