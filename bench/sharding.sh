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
# certified count, CPU seconds (all threads / all ranks) and total op count of a --json verdict
summary() { /usr/bin/python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); p=j["proof_length"]; print(j["certified"], "%.3f" % p["cpu_seconds"], sum(p["ops"].values()))'; }

echo "model $MODEL (K=$K, v=$V), $SHARDS shards, best of $REPEATS, wall seconds of the whole process;" \
     "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
if [ -z "${REUSE:-}" ] || [ ! -f "$WORKDIR/shards/manifest.json" ]; then  # REUSE=1: keep the proofs
  rm -rf "$WORKDIR/shards"
  t0=$(now); "$GEN" prove "$MODEL" --strategy brute-force --out "$WORKDIR/whole.json" --quiet >/dev/null; t1=$(now)
  "$GEN" prove "$MODEL" --strategy brute-force --shards "$SHARDS" --out "$WORKDIR/shards" --quiet >/dev/null; t2=$(now)
  printf 'prove whole             %8.3f s\n' "$(sub "$t1" "$t0")"
  printf 'prove --shards %-4s     %8.3f s\n' "$SHARDS" "$(sub "$t2" "$t1")"
fi

printf '%-20s %9s %9s %12s %s\n' run "wall s" "CPU s" certified "ops"
timed() {  # timed NAME CMD...: best wall and CPU time of REPEATS runs, certified count, ops
  local name=$1; shift
  local times=() cpus=() out="" s=()
  for ((i = 0; i < REPEATS; i++)); do
    local a b
    a=$(now); out=$("$@" --json); b=$(now)
    read -r -a s <<<"$(summary <<<"$out")"
    times+=("$(sub "$b" "$a")"); cpus+=("${s[1]}")
  done
  local t c
  t=$(best "${times[@]}"); c=$(best "${cpus[@]}")
  printf '%-20s %9.3f %9.3f %12s %s\n' "$name" "$t" "$c" "${s[0]}" "${s[2]}"
  eval "T_$name=$t C_$name=$c O_$name=${s[2]}"
}

timed whole_2threads "$CHECK" "$MODEL" "$WORKDIR/whole.json" --threads 2
timed sharded_2threads "$CHECK" "$MODEL" "$WORKDIR/shards/manifest.json" --threads 2
timed whole_1thread "$CHECK" "$MODEL" "$WORKDIR/whole.json" --threads 1
if [ -x "$CHECK_MPI" ]; then
  timed mpi_1rank "${MPIRUN[@]}" -np 1 "$CHECK_MPI" "$MODEL" "$WORKDIR/shards/manifest.json"
  timed mpi_2ranks "${MPIRUN[@]}" -np 2 "$CHECK_MPI" "$MODEL" "$WORKDIR/shards/manifest.json"
fi
awk -v w="$T_whole_2threads" -v s="$T_sharded_2threads" -v cw="$C_whole_2threads" -v cs="$C_sharded_2threads" \
    -v ow="$O_whole_2threads" -v os="$O_sharded_2threads" 'BEGIN {
  printf "composition overhead: wall %+.3f s = %+.2f %%, CPU %+.3f s = %+.2f %%, ops %+d = %+.4f %%\n",
         s - w, 100 * (s - w) / w, cs - cw, 100 * (cs - cw) / cw, os - ow, 100 * (os - ow) / ow }'
if [ -x "$CHECK_MPI" ]; then
  awk -v a="$T_mpi_1rank" -v b="$T_mpi_2ranks" 'BEGIN { printf "MPI speed-up 1 -> 2 ranks, wall   %.2fx\n", a / b }'
  # On a shared machine the wall speed-up says more about the other load than about us; each
  # rank's own CPU time does not: the 1-rank CPU time over the busiest rank's is the speed-up on
  # an otherwise idle machine (what remains is the ranks' serial part: model, tables, gather).
  if [ -x /usr/bin/time ]; then
    "${MPIRUN[@]}" -np 2 /usr/bin/time -f "rank-cpu %U %S" "$CHECK_MPI" "$MODEL" "$WORKDIR/shards/manifest.json" \
      >/dev/null 2>"$WORKDIR/ranks.txt"
    awk -v one="$C_mpi_1rank" '/^rank-cpu/ { c = $2 + $3; n++; if (c > m) m = c; t += c }
      END { printf "per-rank CPU, 2 ranks: busiest %.3f s, sum %.3f s: CPU-bound speed-up %.2fx\n", m, t, one / m }' \
      "$WORKDIR/ranks.txt"
  fi
  # Per-input rate of one core (the projection's unit): v^K inputs in the 1-rank CPU time, which
  # other load on the machine inflates less than wall time.
  awk -v t="$C_mpi_1rank" -v v="$V" -v k="$K" 'BEGIN {
    n = v ^ k; r = n / t
    printf "per-input rate, 1 core (CPU time)  %.3g inputs/s\n", r
    for (kk = 6; kk <= 7; kk++) {
      m = 64 ^ kk
      printf "projected K=%d v=64: %.3g inputs: 1 core %.0f s, 64 machines x 2 cores %.0f s\n", kk, m, m / r, m / r / 128
    }
  }'
fi
