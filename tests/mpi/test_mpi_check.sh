#!/usr/bin/env bash
# mechcert-check-mpi against mechcert-check on a sharded brute-force proof (and a sharded hybrid
# proof) of a K = 4 example model: the same verdict, certified count, bound and op counts from 1, 2 and 3 ranks (3 ranks
# for 2 parts leaves a rank idle) as from one process and from the unsharded certificate; a
# broken manifest gets the same exit code and the same one-line reason.
# Usage: test_mpi_check.sh MECHCERT MECHCERT_CHECK MECHCERT_CHECK_MPI MPIEXEC MODEL WORKDIR
set -euo pipefail
mechcert=$1 check=$2 check_mpi=$3 mpiexec=$4 model=$5 work=$6
rm -rf "$work" && mkdir -p "$work"
mpirun() { "$mpiexec" --allow-run-as-root --oversubscribe -np "$1" "${@:2}"; }
field() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(json.dumps(j.get(sys.argv[2]), sort_keys=True))' "$1" "$2"; }
same() {  # same() A B: equal verdict, count, bound and op counts (times differ)
  for f in valid certified bound strategy model_sha256 unexplained_dimension; do
    [[ "$(field "$1" $f)" == "$(field "$2" $f)" ]] || { echo "FAIL: $f differs: $1 vs $2"; exit 1; }
  done
  a=$(/usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["proof_length"]; print(json.dumps([p["ops"], p["paper_flops"]], sort_keys=True))' "$1")
  b=$(/usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["proof_length"]; print(json.dumps([p["ops"], p["paper_flops"]], sort_keys=True))' "$2")
  [[ "$a" == "$b" ]] || { echo "FAIL: op counts differ: $1 vs $2"; exit 1; }
}

"$mechcert" prove "$model" --strategy brute-force --out "$work/whole.json" --quiet --threads 2
"$mechcert" prove "$model" --strategy brute-force --shards 5 --out "$work/s5" --quiet --threads 2
"$mechcert" prove "$model" --strategy brute-force --shards 2 --out "$work/s2" --quiet --threads 2

"$check" "$model" "$work/whole.json" --json --threads 1 > "$work/whole.out"
"$check" "$model" "$work/s5/manifest.json" --json --threads 2 > "$work/single5.out"
[[ "$(field "$work/whole.out" certified)" == "$(field "$work/single5.out" certified)" ]] \
  || { echo "FAIL: sharded and unsharded certified counts differ"; exit 1; }
for np in 1 2; do
  mpirun $np "$check_mpi" "$model" "$work/s5/manifest.json" --json > "$work/mpi5-$np.out"
  same "$work/single5.out" "$work/mpi5-$np.out"
done
"$check" "$model" "$work/s2/manifest.json" --json > "$work/single2.out"
mpirun 3 "$check_mpi" "$model" "$work/s2/manifest.json" --json > "$work/mpi2-3.out"
same "$work/single2.out" "$work/mpi2-3.out"
# The text verdict line is mechcert-check's.
"$check" "$model" "$work/s5/manifest.json" | head -1 > "$work/single.txt"
mpirun 2 "$check_mpi" "$model" "$work/s5/manifest.json" | head -1 > "$work/mpi.txt"
cmp "$work/single.txt" "$work/mpi.txt"

# Broken manifests: the first failing part in manifest order decides, whatever the rank count.
/usr/bin/python3 - "$work/s5" <<'PY'
import json, sys, os
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
gap = json.loads(json.dumps(m)); del gap["steps"][0]["parts"][3]
json.dump(gap, open(os.path.join(d, "gap.json"), "w"))
p = json.load(open(os.path.join(d, "part-00004.json"))); p["generator"]["note"] = "edited"
open(os.path.join(d, "edited-4.json"), "w").write(json.dumps(p) + "\n")
p = json.load(open(os.path.join(d, "part-00001.json"))); p["generator"]["note"] = "edited"
open(os.path.join(d, "edited-1.json"), "w").write(json.dumps(p) + "\n")
alt = json.loads(json.dumps(m))
alt["steps"][0]["parts"][4]["file"] = "edited-4.json"
alt["steps"][0]["parts"][1]["file"] = "edited-1.json"
json.dump(alt, open(os.path.join(d, "altered.json"), "w"))
over = json.loads(json.dumps(m)); over["claim"]["correct"] = str(int(m["claim"]["correct"]) + 10**6)
json.dump(over, open(os.path.join(d, "above.json"), "w"))
PY
for bad in gap altered above; do
  set +e
  "$check" "$model" "$work/s5/$bad.json" > /dev/null 2> "$work/$bad.single.err"; rs=$?
  mpirun 2 "$check_mpi" "$model" "$work/s5/$bad.json" > /dev/null 2> "$work/$bad.mpi.err"; rm=$?
  set -e
  [[ $rs == 1 && $rm == 1 ]] || { echo "FAIL: $bad: exit codes $rs (single) $rm (mpi), expected 1"; exit 1; }
  grep '^mechcert-check:' "$work/$bad.mpi.err" > "$work/$bad.mpi.line" || true  # mpiexec adds its own lines
  cmp "$work/$bad.single.err" "$work/$bad.mpi.line" || { echo "FAIL: $bad: reasons differ"; cat "$work/$bad.single.err" "$work/$bad.mpi.err"; exit 1; }
done
grep -q 'parts\[1\] (edited-1.json)' "$work/altered.single.err"

# A sharded hybrid proof (SPEC 10.8): the same count as the unsharded hybrid, 1 and 2 ranks agree.
"$mechcert" prove "$model" --strategy hybrid/cubic+brute-force --out "$work/hybrid.json" --quiet --threads 2
"$mechcert" prove "$model" --strategy hybrid/cubic+brute-force --shards 3 --out "$work/h3" --quiet --threads 2
"$check" "$model" "$work/hybrid.json" --json > "$work/hybrid.out"
"$check" "$model" "$work/h3/manifest.json" --json > "$work/h3.out"
[[ "$(field "$work/hybrid.out" certified)" == "$(field "$work/h3.out" certified)" ]] \
  || { echo "FAIL: sharded and unsharded hybrid counts differ"; exit 1; }
for np in 1 2; do
  mpirun $np "$check_mpi" "$model" "$work/h3/manifest.json" --json > "$work/mpih3-$np.out"
  same "$work/h3.out" "$work/mpih3-$np.out"
done
echo "mechcert-check-mpi: 1, 2, 3 ranks agree with mechcert-check"
