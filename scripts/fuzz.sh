#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ in the sanitizer build (scripts/configure-sanitized.sh:
# clang-14, ASan + UBSan, coverage on format/ and checker/; the same directory as
# scripts/sanitize.sh, so after that script only the fuzz targets are left to compile) and runs each
# for a bounded time from its seed corpus fuzz/corpus/<name>/. .ci/run runs it with 60 s per target.
# Fails if any target crashes, leaks, trips a sanitizer, times out on one input, or exceeds the
# memory limit; the reproducer is written to $OUT_DIR/artifacts/<target>/ and named in the summary.
#
#   scripts/fuzz.sh                         # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh fuzz_model
#   BUILD_DIR=... OUT_DIR=... JOBS=1 CXX=clang++-14 scripts/fuzz.sh
#
# Reproduce a crash: $BUILD_DIR/fuzz/<target> <artifact file>
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$SRC/build-sanitize}"
OUT_DIR="${OUT_DIR:-$BUILD_DIR/fuzz-run}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
JOBS="${JOBS:-2}"
export CXX="${CXX:-clang++-14}"
RSS_LIMIT_MB="${RSS_LIMIT_MB:-2048}"   # an allocation past this is a finding (resource limits)

"$SRC/scripts/configure-sanitized.sh" "$BUILD_DIR"

all_targets=()
for f in "$SRC"/fuzz/fuzz_*.cpp; do all_targets+=("$(basename "$f" .cpp)"); done
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=("${all_targets[@]}"); fi
cmake --build "$BUILD_DIR" -j"$JOBS" --target "${targets[@]}"

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
failed=0
summary=()
for t in "${targets[@]}"; do
  name="${t#fuzz_}"
  seeds="$SRC/fuzz/corpus/$name"
  work="$OUT_DIR/corpus/$name"      # grows during the run; the committed seeds stay untouched
  arts="$OUT_DIR/artifacts/$name"
  log="$OUT_DIR/$name.log"
  mkdir -p "$work" "$arts"
  dict=()
  if [[ -f "$SRC/fuzz/$name.dict" ]]; then dict=(-dict="$SRC/fuzz/$name.dict"); fi
  status=0
  "$BUILD_DIR/fuzz/$t" -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb="$RSS_LIMIT_MB" \
    -print_final_stats=1 -artifact_prefix="$arts/" "${dict[@]}" "$work" "$seeds" >"$log" 2>&1 \
    || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "$arts" -type f | wc -l)
  line="$t: ${execs:-?} executions in ${FUZZ_SECONDS} s, $crashes crash(es), exit $status"
  if [[ $status -ne 0 || $crashes -ne 0 ]]; then
    failed=1
    line+=" -- reproducers: $(find "$arts" -type f | tr '\n' ' ')(log: $log)"
  fi
  summary+=("$line")
  echo "$line"
done
echo "--- fuzz.sh summary ---"
printf '%s\n' "${summary[@]}"
exit "$failed"
