#!/usr/bin/env bash
# Late-training loss spikes: trains each seed with the paper's recipe, records every step's batch
# loss (`mechcert train --progress-every 1`), and prints per-seed statistics of the last 1000
# steps plus their mean ± standard error. The low tail of the trained accuracies comes from runs
# that end inside a spike (docs/training.md, "The low tail"); this measures how often spikes
# happen, which needs far fewer seeds than counting low-accuracy models.
# usage: [SEEDS="s1 s2 ..."] [JOBS=n] bench/train_spikes.sh [path/to/mechcert] [outdir]
#        (defaults: SEEDS="$(seq 100001 100040)", JOBS=1, a temporary directory)
# Columns: mean batch loss over steps 2001-3000; fraction of those steps with loss > 0.02,
# > 0.05, > 0.1; mean loss of the last 50 steps; the final model's exact accuracy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${MECHCERT:-$root/build/generator/mechcert}}
[ -x "$bin" ] || { echo "bench/train_spikes.sh: no executable at $bin (build first)" >&2; exit 2; }
if [ -n "${2:-}" ]; then out=$2; mkdir -p "$out"; else out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
read -r -a seeds <<< "$(echo ${SEEDS:-$(seq 100001 100040)})"
jobs_max=${JOBS:-1}

run_seed() {
  local seed=$1 model=$out/max4-seed$1.safetensors
  "$bin" train --seed "$seed" --threads 1 --progress-every 1 --out "$model" 2>&1 |
    awk '$1 == "train:" && $2 == "step" { split($3, a, "/"); print a[1], $5 }' > "$out/loss-$seed.txt"
  local acc
  acc=$("$bin" eval "$model" --json --quiet --threads 1 | grep -o '"accuracy":[0-9.e+-]*' | cut -d: -f2)
  awk -v seed="$seed" -v acc="$acc" '
    $1 > 2000 { n++; m += $2; if ($2 > 0.02) a++; if ($2 > 0.05) b++; if ($2 > 0.1) c++ }
    $1 > 2950 { l += $2; nl++ }
    END { if (n != 1000 || nl != 50) exit 1
          printf "%6s %9.6f %8.5f %8.5f %8.5f %9.6f %11.8f\n", seed, m / n, a / n, b / n, c / n, l / nl, acc }
  ' "$out/loss-$seed.txt" > "$out/row-$seed.txt"
}

printf '%6s %9s %8s %8s %8s %9s %11s\n' seed mean_loss '>0.02' '>0.05' '>0.1' last50 accuracy
rm -f "$out"/row-*.txt
for seed in "${seeds[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  run_seed "$seed" &
done
wait
# A seed that failed left no row file: `cat` fails the script.
for seed in "${seeds[@]}"; do cat "$out/row-$seed.txt"; done | tee "$out/table.txt"
awk '{ n++; for (i = 2; i <= 6; i++) { s[i] += $i; q[i] += $i * $i } }
     END { printf "mean ± s.e. over %d seeds:", n
           split("x mean_loss >0.02 >0.05 >0.1 last50", nm, " ")
           for (i = 2; i <= 6; i++) { mu = s[i] / n; v = n > 1 ? (q[i] / n - mu * mu) * n / (n - 1) : 0
                                      printf " %s %.5f ± %.5f", nm[i], mu, sqrt((v > 0 ? v : 0) / n) }
           printf "\n" }' "$out/table.txt"
