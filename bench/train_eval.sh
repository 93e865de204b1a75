#!/usr/bin/env bash
# Times `mechcert train` (the paper's recipe: k=4, v=64, d=32, 3000 steps, batch 128, seed 50)
# and `mechcert eval` (all 64^4 = 16,777,216 inputs), with 1 and 2 threads, and checks that the
# thread count changes neither the trained bytes nor the counts.
# usage: bench/train_eval.sh [path/to/mechcert]     (default: build/generator/mechcert)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${MECHCERT:-$root/build/generator/mechcert}}
[ -x "$bin" ] || { echo "bench/train_eval.sh: no executable at $bin (build first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TIMEFORMAT='%R s wall, %U s user, %S s sys'

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "train --seed 50 (k=4, v=64, d=32, 3000 steps, batch 128):"
for t in 1 2; do
  printf '  --threads %d: ' "$t"
  { time "$bin" train --seed 50 --threads "$t" --quiet --out "$tmp/m$t.safetensors"; } 2>&1
done
if cmp -s "$tmp/m1.safetensors" "$tmp/m2.safetensors"; then
  echo "  same bytes with 1 and 2 threads; sha256 $(sha256sum "$tmp/m1.safetensors" | cut -c1-64)"
else
  echo "  DIFFERENT bytes with 1 and 2 threads" >&2
  exit 1
fi

echo "eval (16,777,216 inputs):"
for t in 1 2; do
  printf '  --threads %d: ' "$t"
  { time "$bin" eval "$tmp/m1.safetensors" --threads "$t" --json --quiet > "$tmp/e$t.json"; } 2>&1
done
field() { grep -o "\"$2\":[0-9.e+-]*" "$1" | cut -d: -f2; }
for f in argmax_correct strict_correct; do
  if [ "$(field "$tmp/e1.json" $f)" != "$(field "$tmp/e2.json" $f)" ]; then
    echo "  $f DIFFERS between 1 and 2 threads" >&2
    exit 1
  fi
done
echo "  argmax_correct $(field "$tmp/e1.json" argmax_correct) / $(field "$tmp/e1.json" total)" \
     "(accuracy $(field "$tmp/e1.json" accuracy)), strict_correct" \
     "$(field "$tmp/e1.json" strict_correct); identical for 1 and 2 threads"
