#!/usr/bin/env bash
# Whole-process mechcert-check time, two checker binaries side by side (e.g. a build of main copied
# aside as the baseline, and the current build), on the K = 4 example models for the cubic and a
# subcubic strategy. Runs are interleaved (baseline, new, baseline, ... over every certificate) so
# that load from other processes hits both alike. Each run is timed from spawn to exit (posix_spawn
# + wait4, no shell in between; the verdict goes to a pipe). Prints per (strategy, seed, binary)
# the median and minimum process wall time, the median user+system CPU, and the certified count (the script asserts that both
# binaries print the same verdict, count and op counts).
# usage: bench/check_speed.sh BASELINE_CHECK [NEW_CHECK] [MECHCERT]
#   REPEAT=n (default 21), SEEDS="50 104 123", THREADS=1, EXP=binary64, OUTPUT=pipe|file,
#   STRATEGIES="cubic subcubic/centered_max_exact/mean_query+diff/exact_EQKE+max_diff_exact"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?usage: bench/check_speed.sh BASELINE_CHECK [NEW_CHECK] [MECHCERT]}
new=${2:-$root/build/checker/mechcert-check}
prove=${3:-$root/build/generator/mechcert}
strategies=${STRATEGIES:-cubic subcubic/centered_max_exact/mean_query+diff/exact_EQKE+max_diff_exact}
seeds=${SEEDS:-50 104 123}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
jobs=()
for s in $strategies; do
  for seed in $seeds; do
    c=$tmp/cert-$i.json; i=$((i + 1))
    "$prove" prove "$root/examples/max4-seed$seed.safetensors" --strategy "$s" --out "$c" --quiet --threads 1 >/dev/null
    jobs+=("$s|$seed|$root/examples/max4-seed$seed.safetensors|$c")
  done
done
python3 - "$base" "$new" "${REPEAT:-21}" "${THREADS:-1}" "${EXP:-binary64}" "$tmp" "${jobs[@]}" <<'PY'
import json, os, statistics, sys, time
base, new, repeat, threads, exp, tmp = sys.argv[1:7]
jobs = [j.split("|") for j in sys.argv[7:]]
bins = {"baseline": base, "new": new}
load_before = open("/proc/loadavg").read().split()[:3]
runs = {}
out = os.path.join(tmp, "out.json")
to_file = os.environ.get("OUTPUT") == "file"
def run(path, model, cert):
    # The verdict goes to a pipe, read after the process ends (it is < 1 kB, far below the pipe's
    # buffer). OUTPUT=file: to a file truncated at each run, as before 12-06; truncating and
    # writing an ext4 file added ~0.3-0.6 ms to each run, which is the harness's cost, not the check's.
    if to_file:
        fa = [(os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
    else:
        r, w = os.pipe()
        fa = [(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_CLOSE, r), (os.POSIX_SPAWN_CLOSE, w)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(path, [path, model, cert, "--json", "--threads", threads, "--exp", exp],
                         os.environ, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter()
    assert os.waitstatus_to_exitcode(status) == 0, (path, cert)
    if to_file:
        d = json.load(open(out))
    else:
        os.close(w)
        with os.fdopen(r, "rb") as f:
            d = json.loads(f.read())
    return (t1 - t0) * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3, d
for _ in range(int(repeat)):
    for s, seed, model, cert in jobs:
        for name, path in bins.items():
            ms, cpu, d = run(path, model, cert)
            assert d["valid"]
            key = (s, seed)
            r = runs.setdefault(key, {}).setdefault(name, [])
            r.append((ms, cpu, d["certified"], d["proof_length"]["ops"]))
# The machine's floor in the same minutes: a process that does nothing (this VM's speed drifts by
# 10-20 % over minutes; the floor and the baseline say which state a run was taken in).
floor = []
for _ in range(int(repeat)):
    t0 = time.perf_counter()
    pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
    os.wait4(pid, 0)
    floor.append((time.perf_counter() - t0) * 1e3)
load_after = open("/proc/loadavg").read().split()[:3]
print(f"machine: {os.cpu_count()} cores; load average before {' '.join(load_before)}, after {' '.join(load_after)}; "
      f"{repeat} interleaved runs per (certificate, binary), --threads {threads} --exp {exp}; "
      f"output to {'a file' if to_file else 'a pipe'}; /bin/true: {statistics.median(floor):.2f} ms median")
print(f"| strategy | seed | baseline ms median / min | new ms median / min | baseline CPU ms | new CPU ms | ratio of medians | certified |")
print("|---|---|---|---|---|---|---|---|")
for (s, seed), r in runs.items():
    b, n = r["baseline"], r["new"]
    for x in b + n:  # same verdict, count and op counts in every run
        assert (x[2], x[3]) == (b[0][2], b[0][3]), (s, seed, "counts differ")
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    mn = lambda xs: min(x[0] for x in xs)
    name = "cubic" if s == "cubic" else s.split("/")[0] if len(s) < 20 else "subcubic (" + "/".join(s.split("/")[1:]) + ")"
    print(f"| {name} | {seed} | {med(b,0):.1f} / {mn(b):.1f} | {med(n,0):.1f} / {mn(n):.1f} | "
          f"{med(b,1):.1f} | {med(n,1):.1f} | {med(b,0)/med(n,0):.2f} | {b[0][2]} |")
PY
