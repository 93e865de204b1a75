#!/usr/bin/env bash
# Cubic check time of several mechcert-check binaries side by side (e.g. before/after a change),
# on the shipped K = 4 example certificates. Runs are interleaved (A B A B ...) so that load from
# other processes hits every binary alike; prints, per binary and thread count, the median and
# minimum of the process wall time (fork to exit), of the checker's own wall time
# (proof_length.seconds: model load, certificate parse and check) and of its CPU time.
# usage: bench/cubic_speed.sh BINARY... (REPEAT=n, default 30; SEEDS="50 104 123"; THREADS="0 1")
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: bench/cubic_speed.sh BINARY..." >&2; exit 2; }
repeat=${REPEAT:-30}
seeds=${SEEDS:-50 104 123}
threads=${THREADS:-0 1}
echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$repeat"); do
  for seed in $seeds; do
    for t in $threads; do
      for bin in "$@"; do
        model=$root/examples/max4-seed$seed.safetensors
        cert=$root/examples/max4-seed$seed.cubic.cert.json
        start=$(date +%s%N)
        json=$("$bin" "$model" "$cert" --json --threads "$t")
        end=$(date +%s%N)
        echo "$bin $seed $t $(( (end - start) / 1000 )) $json" >> "$out"
      done
    done
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    b, seed, t, us, js = line.split(" ", 4)
    d = json.loads(js)
    assert d["valid"], line
    pl = d["proof_length"]
    rows.setdefault((b, seed, t), []).append(
        (int(us) / 1e3, pl["seconds"] * 1e3, pl["cpu_seconds"] * 1e3, d["bound"]["value"]))
print(f"{'binary':<40} {'seed':>4} {'thr':>3} {'process ms med/min':>19} {'checker ms med/min':>19}"
      f" {'cpu ms med':>10}  bound")
for (b, seed, t), r in rows.items():
    col = lambda i: (statistics.median(x[i] for x in r), min(x[i] for x in r))
    p, c, u = col(0), col(1), col(2)
    print(f"{b[-40:]:<40} {seed:>4} {t if t != '0' else 'all':>3} {p[0]:9.1f}/{p[1]:<9.1f}"
          f" {c[0]:9.1f}/{c[1]:<9.1f} {u[0]:10.1f}  {r[0][3]:.6f}")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
