#!/usr/bin/env bash
# The README's main job: on a shipped example model, compute the exact accuracy, then prove and
# independently check a brute-force, a cubic and the best subcubic lower bound, printing verdict,
# bound and proof length. Usage: scripts/demo.sh [MODEL] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-examples/max4-seed50.safetensors}
build=${2:-build}
mechcert=$build/generator/mechcert
check=$build/checker/mechcert-check
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== mechcert eval $model (float evaluation of all v^k inputs; untrusted)"
"$mechcert" eval "$model"
for strategy in brute-force cubic subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact; do
  echo
  echo "== mechcert prove --strategy $strategy, then mechcert-check (trusted)"
  "$mechcert" prove "$model" --strategy "$strategy" --out "$out/${strategy//\//_}.json"
  "$check" "$model" "$out/${strategy//\//_}.json"
done
