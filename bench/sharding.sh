#!/usr/bin/env bash
# Sharded brute force (SPEC 9): composition overhead and MPI scaling on one model.
#   1. prove the model whole and with --shards N (same claim);
#   2. mechcert-check the whole certificate and the manifest (THREADS threads): the difference is
#      the composition's overhead (the parts' repeated per-query tables, hashing, parsing);
#   3. mechcert-check-mpi with 1 and 2 ranks (1 thread each) against mechcert-check --threads 1/2;
#   4. the per-input rate, projected to K = 6 and K = 7 (v = 64) on 64 machines of this kind.
# Every run prints its certified count; they must all be equal.
# usage: bench/sharding.sh [K] [VOCAB] [SHARDS] [REPEATS]
#        (build dir $BUILD, default ./build configured with -DMECHCERT_MPI=ON; models in $WORKDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-5}
V=${2:-64}
SHARDS=${3:-8}
REPEATS=${4:-2}
BUILD=${BUILD:-build}
WORKDIR=${WORKDIR:-/tmp/mechcert-sharding}
GEN=$BUILD/generator/mechcert
CHECK=$BUILD/checker/mechcert-check
CHECK_MPI=$BUILD/checker/mechcert-check-mpi
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
mkdir -p "$WORKDIR"
MODEL=$WORKDIR/max${K}-v${V}-seed50.safetensors
[ -f "$MODEL" ] || "$GEN" train --k "$K" --vocab "$V" --seed 50 --quiet --out "$MODEL"

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
certified() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["certified"])'; }

t0=$(now); "$GEN" prove "$MODEL" --strategy brute-force --out "$WORKDIR/whole.json" --quiet >/dev/null; t1=$(now)
"$GEN" prove "$MODEL" --strategy brute-force --shards "$SHARDS" --out "$WORKDIR/shards" --quiet >/dev/null; t2=$(now)
echo "model $MODEL (K=$K, v=$V), $SHARDS shards, best of $REPEATS, wall seconds of the whole process"
printf 'prove whole             %8.3f s\n' "$(sub "$t1" "$t0")"
printf 'prove --shards %-4s     %8.3f s\n' "$SHARDS" "$(sub "$t2" "$t1")"

timed() {  # timed NAME CMD...: best wall time of REPEATS runs, and the certified count
  local name=$1; shift
  local times=() out=""
  for ((i = 0; i < REPEATS; i++)); do
    local a b
    a=$(now); out=$("$@" --json); b=$(now)
    times+=("$(sub "$b" "$a")")
  done
  local t
  t=$(best "${times[@]}")
  printf '%-34s %8.3f s   certified %s\n' "$name" "$t" "$(certified <<<"$out")"
  eval "T_$(tr -c 'A-Za-z0-9\n' _ <<<"$name" | head -1)=$t"
}

timed whole_2threads "$CHECK" "$MODEL" "$WORKDIR/whole.json" --threads 2
timed sharded_2threads "$CHECK" "$MODEL" "$WORKDIR/shards/manifest.json" --threads 2
timed whole_1thread "$CHECK" "$MODEL" "$WORKDIR/whole.json" --threads 1
if [ -x "$CHECK_MPI" ]; then
  timed mpi_1rank "${MPIRUN[@]}" -np 1 "$CHECK_MPI" "$MODEL" "$WORKDIR/shards/manifest.json"
  timed mpi_2ranks "${MPIRUN[@]}" -np 2 "$CHECK_MPI" "$MODEL" "$WORKDIR/shards/manifest.json"
fi
awk -v w="$T_whole_2threads" -v s="$T_sharded_2threads" \
  'BEGIN { printf "composition overhead (2 threads)   %+.3f s = %+.2f %%\n", s - w, 100 * (s - w) / w }'
if [ -x "$CHECK_MPI" ]; then
  awk -v a="$T_mpi_1rank" -v b="$T_mpi_2ranks" 'BEGIN { printf "MPI speed-up 1 -> 2 ranks          %.2fx\n", a / b }'
  # Per-input rate of one rank (the projection's unit): v^K inputs in the 1-rank time.
  awk -v t="$T_mpi_1rank" -v v="$V" -v k="$K" 'BEGIN {
    n = v ^ k; r = n / t
    printf "per-input rate, 1 rank             %.3g inputs/s\n", r
    for (kk = 6; kk <= 7; kk++) {
      m = 64 ^ kk
      printf "projected K=%d v=64: %.3g inputs: 1 core %.0f s, 64 machines x 2 cores %.0f s\n", kk, m, m / r, m / r / 128
    }
  }'
fi
