#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DMECHCERT_SANITIZE=ON, a separate build directory) and runs the complete CTest suite under it.
# Any sanitizer report aborts the test that triggered it, so the script fails.
#
#   scripts/sanitize.sh                    # build dir: build-sanitize, jobs: 2
#   BUILD_DIR=/tmp/b JOBS=1 scripts/sanitize.sh
#   SANITIZE_EXCLUDE='regex' scripts/sanitize.sh   # extra tests to skip (ctest -E)
#
# SANITIZE_EXCLUDE may name only tests that are purely long-running duplicates of other tests
# under ASan (see docs/soundness-campaign.md, "Sanitizers", for the current list and why).
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$SRC/build-sanitize}"
JOBS="${JOBS:-2}"

# RelWithDebInfo: optimised enough that the brute-force tests finish, with line numbers in reports.
cmake -S "$SRC" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMECHCERT_SANITIZE=ON \
  -DMECHCERT_BUILD_TESTS=ON >/dev/null
start=$(date +%s)
cmake --build "$BUILD_DIR" -j"$JOBS"
built=$(date +%s)

# halt_on_error / abort_on_error: the first report fails the test. detect_leaks: leaks are bugs too
# (scripts/lsan.supp lists the one temporary suppression and why).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$SRC/scripts/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

ctest_args=(--test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS")
if [[ -n "${SANITIZE_EXCLUDE:-}" ]]; then ctest_args+=(-E "$SANITIZE_EXCLUDE"); fi
status=0
ctest "${ctest_args[@]}" || status=$?
end=$(date +%s)
echo "sanitize.sh: build $((built - start)) s, tests $((end - built)) s, status $status"
exit "$status"
