#!/usr/bin/env bash
# Reproduction check of the training recipe: trains the first N seeds of the paper's list
# (default 10, at most 151) with `mechcert train`, evaluates each exactly with `mechcert eval`,
# and prints one row per seed plus mean ± sample std of the accuracy (paper: 0.9992 ± 0.0015
# over 151 seeds).
# usage: [THREADS=n] [JOBS=n] [SEEDS="s1 s2 ..."] bench/train_seeds.sh [path/to/mechcert] [N] [outdir]
#        (defaults: build/generator/mechcert, 10, a temporary directory; THREADS=0: all cores)
#   SEEDS replaces the paper's list (N then defaults to all of SEEDS), e.g. the low-tail seeds
#   SEEDS="4800 6532 30371 1951" or an independent sample SEEDS="$(seq 100001 100151)".
#   JOBS=n trains and evaluates n seeds at a time (use THREADS=1 with it); rows stay in list order.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${MECHCERT:-$root/build/generator/mechcert}}
count=${2:-}
[ -x "$bin" ] || { echo "bench/train_seeds.sh: no executable at $bin (build first)" >&2; exit 2; }
if [ -n "${3:-}" ]; then out=$3; mkdir -p "$out"; else out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
# The paper's 151 seeds (paper/reference-algorithms.md §2), in the paper's order.
seeds=(50 104 123 519 742 913 1185 1283 1412 1490 1681 1696 1895 1951 2236 2306 2345 2549 2743
       2773 3175 3254 3284 4157 4305 4430 4647 4729 4800 4810 5358 5615 5781 5928 6082 6155 6159
       6204 6532 6549 6589 6910 7098 7238 7310 7467 7790 7884 8048 8299 8721 8745 8840 8893 9132
       9134 9504 9816 10248 11124 11130 11498 11598 11611 12141 12287 12457 12493 12552 12561
       13036 13293 13468 13654 13716 14095 14929 15043 15399 15622 15662 16069 16149 16197 16284
       17080 17096 17194 17197 18146 18289 18668 19004 19093 19451 19488 19538 19917 20013 20294
       20338 20415 20539 20751 20754 20976 21317 21598 22261 22286 22401 22545 23241 23367 23447
       23633 23696 24144 24173 24202 24262 24438 24566 25516 26278 26374 26829 26932 27300 27484
       27584 27671 27714 28090 28716 28778 29022 29052 29110 29195 29565 29725 29726 30371 30463
       30684 30899 31308 32103 32374 32382)
if [ -n "${SEEDS:-}" ]; then
  read -r -a seeds <<< "$(echo $SEEDS)"
  count=${count:-${#seeds[@]}}
fi
count=${count:-10}
[ "$count" -le "${#seeds[@]}" ] || { echo "at most ${#seeds[@]} seeds" >&2; exit 2; }
jobs_max=${JOBS:-1}
field() { grep -o "\"$2\":[0-9.e+-]*" "$1" | cut -d: -f2; }

# One seed: train, evaluate, write its table row to $out/row-$seed.txt.
run_seed() {
  local seed=$1 model=$out/max4-seed$1.safetensors start mid end
  start=$(date +%s.%N)
  "$bin" train --seed "$seed" --threads "${THREADS:-0}" --quiet --out "$model"
  mid=$(date +%s.%N)
  "$bin" eval "$model" --json --quiet > "$out/eval-$seed.json"
  end=$(date +%s.%N)
  printf '%6s %12s %12s %12.8f %8.2f %8.2f\n' "$seed" \
    "$(field "$out/eval-$seed.json" argmax_correct)" "$(field "$out/eval-$seed.json" strict_correct)" \
    "$(field "$out/eval-$seed.json" accuracy)" \
    "$(awk "BEGIN { print $mid - $start }")" "$(awk "BEGIN { print $end - $mid }")" \
    > "$out/row-$seed.txt"
}

printf '%6s %12s %12s %12s %8s %8s\n' seed argmax strict accuracy train_s eval_s
{
  if [ "$jobs_max" -le 1 ]; then
    for seed in "${seeds[@]:0:$count}"; do run_seed "$seed"; cat "$out/row-$seed.txt"; done
  else
    # A seed that fails leaves no row file, and the `cat` below then fails the script.
    rm -f "$out"/row-*.txt
    for seed in "${seeds[@]:0:$count}"; do
      while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
      run_seed "$seed" &
    done
    wait
    for seed in "${seeds[@]:0:$count}"; do cat "$out/row-$seed.txt"; done
  fi
} | tee "$out/table.txt"
awk '$1 ~ /^[0-9]+$/ { a[++n] = $4; s += $4 }
     END { m = s / n; for (i = 1; i <= n; ++i) q += (a[i] - m) ^ 2;
           printf "mean %.6f ± %.6f (sample std, %d seeds); paper 0.9992 ± 0.0015 (151 seeds)\n",
                  m, (n > 1 ? sqrt(q / (n - 1)) : 0), n }' "$out/table.txt"
