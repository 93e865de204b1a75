#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer + UndefinedBehaviorSanitizer
# (scripts/configure-sanitized.sh: clang-14 where installed, a separate build directory) and runs
# the complete CTest suite under it, with leak detection and no suppressions. Any sanitizer report
# aborts the test that triggered it, so the script fails. .ci/run runs it.
#
#   scripts/sanitize.sh                    # build dir: build-sanitize, jobs: 2
#   BUILD_DIR=/tmp/b JOBS=1 scripts/sanitize.sh
#   CXX=g++ scripts/sanitize.sh            # GCC's sanitizers instead (about 5x slower to build)
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$SRC/build-sanitize}"
JOBS="${JOBS:-2}"

"$SRC/scripts/configure-sanitized.sh" "$BUILD_DIR"
start=$(date +%s)
cmake --build "$BUILD_DIR" -j"$JOBS"
built=$(date +%s)

# halt_on_error / abort_on_error: the first report fails the test. detect_leaks: leaks are bugs too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS" || status=$?
end=$(date +%s)
echo "sanitize.sh: build $((built - start)) s, tests $((end - built)) s, status $status"
exit "$status"
