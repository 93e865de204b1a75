#!/usr/bin/env bash
# Regenerates fuzz/corpus/check/: for each model of the fuzz_check target (written by the target
# itself) and each strategy, the certificate `mechcert prove` writes, prefixed with the model's
# index byte; plus the same certificates with the claim raised by one (must be rejected).
#   fuzz/make_check_seeds.sh FUZZ_BUILD_DIR RELEASE_BUILD_DIR
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ_BUILD="${1:?fuzz build dir (scripts/fuzz.sh BUILD_DIR)}"
BUILD="${2:?release build dir with generator/mechcert}"
out="$SRC/fuzz/corpus/check"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
MECHCERT_FUZZ_WRITE_MODELS="$tmp" "$FUZZ_BUILD/fuzz/fuzz_check" >/dev/null
mkdir -p "$out"
for model in "$tmp"/*.safetensors; do
  base="$(basename "$model" .safetensors)"
  index="${base%%-*}"
  # Bounded: exact-EQKE subcubic strategies plus each EQKE approximation with one EU/attention pair.
  for strategy in $("$BUILD/generator/mechcert" strategies | awk '$1 !~ /^subcubic\// || $1 ~ /exact_EQKE/ || $1 ~ /^subcubic\/max_diff_exact\/mean_query\+diff\// {print $1}'); do
    tag="${strategy//\//_}"  # subcubic/<EU>/<attention>/<EQKE> -> one file name
    cert="$tmp/$base.$tag.json"
    "$BUILD/generator/mechcert" prove "$model" --strategy "$strategy" --out "$cert" --quiet >/dev/null || continue
    { printf "\\x$(printf %02x "$index")"; cat "$cert"; } > "$out/$base.$tag.cert"
    python3 - "$cert" "$out/$base.$tag.overclaim.cert" "$index" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["claim"]["correct"] = str(int(doc["claim"]["correct"]) + 1)
with open(sys.argv[2], "wb") as f:
    f.write(bytes([int(sys.argv[3])]) + json.dumps(doc).encode())
PY
  done
done
ls "$out" | wc -l
