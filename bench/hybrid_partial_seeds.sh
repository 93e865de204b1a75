#!/usr/bin/env bash
# Partial-residue hybrid (SPEC 10.7) vs cubic and the full hybrid over the first N seeds of the
# paper's list (default 20; K = 4, v = 64): trains each seed (skipped when OUTDIR holds the model),
# evaluates it exactly (`mechcert eval`), proves `cubic`, `hybrid/cubic+brute-force` and
# `hybrid/cubic+partial-brute-force` for each residue budget of BUDGETS (log2 checker ops given to
# `prove --residue-ops`, default "23"), checks every certificate with `mechcert-check --threads 1
# --json`, and prints per seed the normalised bound (certified / exact correct count) and the
# checker's total ops (log2, deterministic), then the means over the seeds.
# usage: bench/hybrid_partial_seeds.sh [build dir] [N] [outdir]   (BUDGETS="21 22 23" for a frontier)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
count=${2:-20}
budgets=${BUDGETS:-23}
gen=$build/generator/mechcert
chk=$build/checker/mechcert-check
[ -x "$gen" ] && [ -x "$chk" ] || { echo "bench/hybrid_partial_seeds.sh: build $build first" >&2; exit 2; }
if [ -n "${3:-}" ]; then out=$3; mkdir -p "$out"; else out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
seeds=(50 104 123 519 742 913 1185 1283 1412 1490 1681 1696 1895 1951 2236 2306 2345 2549 2743 2773)
rows=$out/rows.txt
: > "$rows"
# One row: seed, label, normalised bound, log2 ops (from mechcert-check --json).
record() {
  python3 - "$1" "$2" "$3" "$4" >> "$rows" <<'PY'
import json, math, sys
seed, label, check, exact = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), int(sys.argv[4])
assert check["valid"], check
ops = sum(check["proof_length"]["ops"].values())
print(seed, label, f"{int(check['bound']['num']) / exact:.6f}", f"{math.log2(ops):.3f}")
PY
}
for seed in "${seeds[@]:0:$count}"; do
  m=$out/max4-seed$seed.safetensors
  [ -f "$m" ] || "$gen" train --k 4 --vocab 64 --seed "$seed" --quiet --out "$m"
  "$gen" eval "$m" --json > "$out/$seed.eval.json" 2>/dev/null
  exact=$(python3 -c "import json; print(json.load(open('$out/$seed.eval.json'))['strict_correct'])")
  for s in cubic hybrid/cubic+brute-force; do
    c=$out/$seed.${s//\//_}.json
    "$gen" prove "$m" --strategy "$s" --out "$c" --quiet --threads 1 > /dev/null
    "$chk" "$m" "$c" --json --threads 1 > "$c.check"
    record "$seed" "$s" "$c.check" "$exact"
  done
  for b in $budgets; do
    c=$out/$seed.partial-$b.json
    "$gen" prove "$m" --strategy hybrid/cubic+partial-brute-force --residue-ops "$b" --out "$c" --quiet --threads 1 > /dev/null
    "$chk" "$m" "$c" --json --threads 1 > "$c.check"
    record "$seed" "partial@2^$b" "$c.check" "$exact"
  done
  grep "^$seed " "$rows"
done
python3 - "$rows" <<'PY'
import collections, statistics, sys
by = collections.defaultdict(list)
for line in open(sys.argv[1]):
    seed, label, norm, ops = line.split()
    by[label].append((float(norm), float(ops)))
print(f"{'strategy':32} {'seeds':>5} {'normalised mean':>16} {'min':>9} {'log2 ops mean':>14} {'max':>7}")
for label, xs in by.items():
    n = [x for x, _ in xs]; o = [y for _, y in xs]
    print(f"{label:32} {len(xs):5d} {statistics.mean(n):16.4f} {min(n):9.4f} {statistics.mean(o):14.3f} {max(o):7.3f}")
PY
