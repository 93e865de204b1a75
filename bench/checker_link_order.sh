#!/usr/bin/env bash
# Regenerates checker/link-order.txt: the functions a check of a small model runs, hottest first,
# for lld's --symbol-ordering-file (checker/CMakeLists.txt). On our virtual machines the first
# touch of each 64 KiB window of code costs ~20 µs, and a 5 ms check touched ~45 of them in a 3 MB
# static program; placed together, they need a few. Layout only: no verdict can depend on it.
# Functions missing from the list just stay where the linker puts them (a stale list costs speed,
# never correctness), so regenerate it after large changes to the checker.
# How: first every function the program runs from exec to its floating-point self-test, in the
# order they first run (valgrind's callgrind; valgrind does not emulate directed rounding, so the
# checker refuses to go further there, as it should); then every function on a stack sampled by
# perf (cpu-clock, and every page fault, with DWARF call chains) over repeated checks of the
# example models, hottest first; kept if the binary has it.
# usage: bench/checker_link_order.sh [BUILD_DIR] > checker/link-order.txt   (needs perf, valgrind)
#   RUNS=n checks per certificate (default 60)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
check=$build/checker/mechcert-check
prove=$build/generator/mechcert
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
certs=()
for seed in 50 104; do
  model=$root/examples/max4-seed$seed.safetensors
  for s in cubic subcubic/centered_max_exact/mean_query+diff/exact_EQKE+max_diff_exact \
           subcubic/centered_max_exact/mean_query+weighted_diff/exact_EQKE+max_diff_exact; do
    c=$tmp/cert-$seed-${#certs[@]}.json
    "$prove" prove "$model" --strategy "$s" --out "$c" --quiet --threads 1 >/dev/null
    certs+=("$model|$c")
  done
done
{
  echo 'set -e'
  for i in $(seq "${RUNS:-60}"); do
    for mc in "${certs[@]}"; do
      echo "'$check' '${mc%%|*}' '${mc##*|}' --json --threads 1 >/dev/null"
    done
  done
} > "$tmp/run.sh"
# cpu-clock samples find the hot code; a sample at every page fault finds the code touched once.
perf record -q -e cpu-clock/freq=20000/ -e page-faults/period=1/ --call-graph dwarf,16384 \
  -o "$tmp/perf.data" -- bash "$tmp/run.sh" >&2
nm "$check" | awk 'NF == 3 && $2 ~ /^[tTwWiI]$/ {print $3}' | sort -u > "$tmp/text-symbols"
first=${certs[0]}
valgrind --tool=callgrind --demangle=no --compress-strings=no --callgrind-out-file="$tmp/callgrind.out" \
  "$check" "${first%%|*}" "${first##*|}" --json --threads 1 >/dev/null 2>&1 || true
{
  # Start-up, in the order functions first run.
  sed -n 's/^c\{0,1\}fn=//p' "$tmp/callgrind.out" | awk '!seen[$0]++'
  # The check: every frame of every sampled stack (mangled names), counted; the hottest first.
  perf script -i "$tmp/perf.data" --comm mechcert-check -F ip,sym --no-demangle 2>/dev/null |
    awk 'NF >= 2 {sub(/\+0x[0-9a-f]+$/, "", $2); print $2}' | sort | uniq -c | sort -k1,1nr -k2 |
    awk '{print $2}'
} | awk 'NR == FNR {keep[$1] = 1; next} ($1 in keep) && !seen[$1]++' "$tmp/text-symbols" -
