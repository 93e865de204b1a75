#!/usr/bin/env bash
# Cubic bound vs exact accuracy over the first N seeds of the paper's list (default 20): trains each
# seed with `mechcert train` (skipped when OUTDIR already holds the model), evaluates it exactly
# with `mechcert eval`, proves it with `mechcert prove --strategy cubic`, checks the certificate
# with `mechcert-check`, and prints one row per seed plus mean ± sample std of the normalised bound
# (cubic bound / accuracy; the paper: 0.954 ± 0.008 over 151 seeds).
# usage: bench/cubic_seeds.sh [build dir] [N] [outdir]
#        (defaults: build, 20, a temporary directory)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
count=${2:-20}
gen=$build/generator/mechcert
chk=$build/checker/mechcert-check
[ -x "$gen" ] && [ -x "$chk" ] || { echo "bench/cubic_seeds.sh: build $build first" >&2; exit 2; }
if [ -n "${3:-}" ]; then out=$3; mkdir -p "$out"; else out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
seeds=(50 104 123 519 742 913 1185 1283 1412 1490 1681 1696 1895 1951 2236 2306 2345 2549 2743 2773)
field() { grep -o "\"$2\":[\"]*[0-9.e+-]*" "$1" | head -1 | sed 's/.*:"*//'; }
printf '%6s %10s %10s %10s %10s\n' seed accuracy cubic normalised check_s
rows=()
for seed in "${seeds[@]:0:$count}"; do
  m=$out/max4-seed$seed.safetensors
  [ -f "$m" ] || "$gen" train --k 4 --vocab 64 --seed "$seed" --quiet --out "$m"
  "$gen" eval "$m" --json > "$out/$seed.eval.json" 2>/dev/null
  "$gen" prove "$m" --strategy cubic --out "$out/$seed.cubic.json" > /dev/null 2>&1
  "$chk" "$m" "$out/$seed.cubic.json" --json > "$out/$seed.check.json"
  acc=$(field "$out/$seed.eval.json" accuracy)
  num=$(grep -o '"num":"[0-9]*"' "$out/$seed.check.json" | grep -o '[0-9]*')
  secs=$(field "$out/$seed.check.json" seconds)
  norm=$(python3 -c "print(f'{$num / 16777216 / $acc:.6f}')")
  rows+=("$norm")
  printf '%6s %10.6f %10.6f %10s %10.4f\n' "$seed" "$acc" "$(python3 -c "print($num/16777216)")" "$norm" "$secs"
done
python3 - "${rows[@]}" <<'PY'
import statistics, sys
xs = [float(x) for x in sys.argv[1:]]
sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
print(f"normalised cubic bound over {len(xs)} seeds: {statistics.mean(xs):.4f} ± {sd:.4f}"
      " (paper: 0.954 ± 0.008 over 151 seeds)")
PY
