#!/usr/bin/env bash
# Times the generator's `mechcert eval` against the sound brute-force path (`mechcert prove
# --strategy brute-force` + `mechcert-check`) on one model, in one run, and prints the ratio.
# usage: bench/brute_force.sh [MODEL] [THREADS] [REPEATS]     (build dir: $BUILD, default ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-examples/max4-seed50.safetensors}
THREADS=${2:-2}
REPEATS=${3:-3}
BUILD=${BUILD:-build}
MECHCERT=$BUILD/generator/mechcert
CHECK=$BUILD/checker/mechcert-check
CERT=$(mktemp --suffix=.cert.json)
trap 'rm -f "$CERT"' EXIT

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }

evals=(); proves=(); checks=()
for ((i = 0; i < REPEATS; i++)); do
  t0=$(now); "$MECHCERT" eval "$MODEL" --threads "$THREADS" --json >/dev/null; t1=$(now)
  "$MECHCERT" prove "$MODEL" --strategy brute-force --out "$CERT" --threads "$THREADS" --quiet >/dev/null; t2=$(now)
  "$CHECK" "$MODEL" "$CERT" --threads "$THREADS" >/dev/null; t3=$(now)
  evals+=("$(sub "$t1" "$t0")"); proves+=("$(sub "$t2" "$t1")"); checks+=("$(sub "$t3" "$t2")")
done
e=$(best "${evals[@]}"); p=$(best "${proves[@]}"); c=$(best "${checks[@]}")
echo "model $MODEL, threads $THREADS, best of $REPEATS (wall seconds, whole process)"
printf 'mechcert eval          %.3f s\n' "$e"
printf 'mechcert prove         %.3f s\n' "$p"
printf 'mechcert-check         %.3f s\n' "$c"
awk -v c="$c" -v e="$e" 'BEGIN { printf "check / eval ratio     %.2f\n", c / e }'
"$CHECK" "$MODEL" "$CERT" --threads "$THREADS" | sed 's/^/  /'
