#!/usr/bin/env bash
# Whole-process check time with `--exp mpfr` and `--exp binary64` side by side (SPEC 3.3 vs 3.7),
# on the K = 4 example models, for the cubic, a subcubic and the hybrid strategy. Runs are
# interleaved (mpfr binary64 mpfr ...) so that load from other processes hits both alike; prints
# per (strategy, seed, method) the median and minimum of the process wall time (fork to exit) and
# of the checker's own wall time (proof_length.seconds), and the certified count (must agree).
# usage: bench/exp_methods.sh [MECHCERT_CHECK] [MECHCERT]
#   REPEAT=n (default 15), SEEDS="50 104 123", THREADS=1,
#   STRATEGIES="cubic subcubic/centered_max_exact/mean_query+diff/exact_EQKE+max_diff_exact hybrid/cubic+brute-force"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
check=${1:-$root/build/checker/mechcert-check}
prove=${2:-$root/build/generator/mechcert}
repeat=${REPEAT:-15}
seeds=${SEEDS:-50 104 123}
threads=${THREADS:-1}
strategies=${STRATEGIES:-cubic subcubic/centered_max_exact/mean_query+diff/exact_EQKE+max_diff_exact hybrid/cubic+brute-force}
echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
declare -A certs
for s in $strategies; do
  for seed in $seeds; do
    c=$tmp/cert-$i.json; i=$((i + 1))
    "$prove" prove "$root/examples/max4-seed$seed.safetensors" --strategy "$s" --out "$c" --quiet --threads 1
    certs["$s $seed"]=$c
  done
done
out=$tmp/runs
for _ in $(seq "$repeat"); do
  for s in $strategies; do
    for seed in $seeds; do
      for method in mpfr binary64; do
        start=$(date +%s%N)
        json=$("$check" "$root/examples/max4-seed$seed.safetensors" "${certs["$s $seed"]}" --json \
               --threads "$threads" --exp "$method")
        end=$(date +%s%N)
        echo "$s $seed $method $(( (end - start) / 1000 )) $json" >> "$out"
      done
    done
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    s, seed, method, us, js = line.split(" ", 4)
    d = json.loads(js)
    assert d["valid"], line
    rows.setdefault((s, seed, method), []).append(
        (int(us) / 1e3, d["proof_length"]["seconds"] * 1e3, d["certified"]))
print(f"{'strategy':<66} {'seed':>4} {'exp':>8} {'process ms med/min':>19} {'checker ms med/min':>19}  certified")
for (s, seed, method), r in rows.items():
    col = lambda i: (statistics.median(x[i] for x in r), min(x[i] for x in r))
    p, c = col(0), col(1)
    other = rows[(s, seed, "mpfr" if method == "binary64" else "binary64")][0][2]
    assert other == r[0][2], (s, seed, "counts differ")
    print(f"{s[-66:]:<66} {seed:>4} {method:>8} {p[0]:9.1f}/{p[1]:<9.1f} {c[0]:9.1f}/{c[1]:<9.1f}  {r[0][2]}")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
