#!/usr/bin/env bash
# Cubic proof: check time, proof length and peak memory, for Max-of-4 (the example model, seed 50)
# and for larger K / v (trained here with `mechcert train --seed 50` unless already in WORKDIR).
# Per model: `mechcert prove --strategy cubic` once (wall time, peak RSS), then `mechcert-check`
# REPEAT times (median and minimum of the wall time it reports, CPU time, peak RSS of one run),
# deterministic op counts and paper-convention FLOPs (the paper's cubic: 3.5e7 = 2^25.1, 15 s).
# usage: bench/cubic.sh [build dir] [workdir]     (defaults: build, a temporary directory)
#        REPEAT=n (default 7), CONFIGS="4:64 5:64 10:64 10:128 20:64 20:128" (k:v pairs),
#        STRATEGY=name (default cubic; any strategy of `mechcert strategies`, e.g. a subcubic one)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
gen=$build/generator/mechcert
chk=$build/checker/mechcert-check
[ -x "$gen" ] && [ -x "$chk" ] || { echo "bench/cubic.sh: build $build first" >&2; exit 2; }
if [ -n "${2:-}" ]; then work=$2; mkdir -p "$work"; else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
repeat=${REPEAT:-7}
configs=${CONFIGS:-"4:64 5:64 10:64 10:128 20:64 20:128"}
strategy=${STRATEGY:-cubic}
echo "strategy: $strategy"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-4s %10s %9s %9s %9s %9s %10s %12s %8s %9s\n' k v bound prove_s prove_MB \
  check_med check_min check_cpu ops paper_flops check_MB
peak() { grep 'Maximum resident' "$1" | awk '{printf "%.1f", $NF / 1024}'; }
for kv in $configs; do
  k=${kv%%:*}; v=${kv##*:}
  if [ "$k:$v" = "4:64" ]; then model=$root/examples/max4-seed50.safetensors
  else
    model=$work/k$k-v$v-seed50.safetensors
    [ -f "$model" ] || "$gen" train --k "$k" --vocab "$v" --seed 50 --quiet --out "$model"
  fi
  cert=$work/k$k-v$v.${strategy//\//_}.json
  start=$(date +%s.%N)
  /usr/bin/time -v "$gen" prove "$model" --strategy "$strategy" --out "$cert" > /dev/null 2> "$work/prove.time"
  prove_s=$(python3 -c "import time; print(f'{time.time() - $start:.3f}')")
  /usr/bin/time -v "$chk" "$model" "$cert" --json > "$work/check.json" 2> "$work/check.time"
  walls=()
  for _ in $(seq "$repeat"); do
    "$chk" "$model" "$cert" --json > "$work/check.json"
    walls+=("$(grep -o '"seconds":[0-9.e-]*' "$work/check.json" | cut -d: -f2)")
  done
  python3 - "$work/check.json" "$k" "$v" "$prove_s" "$(peak "$work/prove.time")" \
    "$(peak "$work/check.time")" "${walls[@]}" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
k, v, prove_s, prove_mb, check_mb = sys.argv[2:7]
walls = [float(x) for x in sys.argv[7:]]
pl = d["proof_length"]
ops = sum(pl["ops"].values())
print(f"{k:<4} {v:<4} {d['bound']['value']:10.6f} {float(prove_s):9.3f} {prove_mb:>9} "
      f"{statistics.median(walls):9.4f} {min(walls):9.4f} {pl['cpu_seconds']:10.4f} {ops:12.3e} "
      f"{pl['paper_flops']:8.2e} {check_mb:>9}")
PY
done
echo "times in seconds (check: as reported by mechcert-check --json, model load and parse included),"
echo "memory = peak RSS in MiB (/usr/bin/time -v); ops = deterministic operation count, all kinds."
