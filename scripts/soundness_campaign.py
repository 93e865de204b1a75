#!/usr/bin/env python3
"""The whole adversarial soundness campaign (docs/soundness-campaign.md) in one command.

Runs, in order, and summarises in one table the figures that must be zero:
  1. planted-error models and resource limits: the CTest tests adversarial_test_planted_oracle,
     adversarial_test_planted_strategies and adversarial_test_limits in the Release build;
  2. the full mutation campaign (scripts/mutation_campaign.py; it also refreshes its own table);
  3. the whole test suite under ASan + UBSan (scripts/sanitize.sh);
  4. every libFuzzer target for FUZZ_SECONDS seconds (scripts/fuzz.sh, same build as 3).

  scripts/soundness_campaign.py                                   # build dirs: build, build-sanitize
  scripts/soundness_campaign.py --fuzz-seconds 600 --markdown docs/soundness-campaign.md
  scripts/soundness_campaign.py --skip sanitize --skip fuzz       # no clang needed

With --markdown the summary table is written into the file between campaign-summary markers (and
the mutation campaign's table between its own). Exit status 0 only if every attack ran and every
must-be-zero figure is zero. Standard library only.
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ATTACKS = ["planted", "mutation", "sanitize", "fuzz"]


def run_logged(cmd, log_path, env=None):
    """Runs cmd from the repository root, its output teed to log_path; returns (status, text, s)."""
    start = time.time()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=SRC, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        text = []
        for line in proc.stdout:
            log.write(line)
            text.append(line)
        status = proc.wait()
    return status, "".join(text), time.time() - start


def planted(args, logdir):
    build = os.path.join(SRC, args.build)
    targets = ["adversarial_test_planted_oracle", "adversarial_test_planted_strategies",
               "adversarial_test_limits"]
    status, out, secs = run_logged(["cmake", "--build", build, "-j2", "--target"] + targets,
                                   os.path.join(logdir, "planted-build.log"))
    if status != 0:
        return {"status": status, "figure": "build failed", "zero": None, "seconds": secs}
    status, out, secs2 = run_logged(["ctest", "--test-dir", build, "--output-on-failure", "-R",
                                     "^adversarial_test_(planted_|limits)"],
                                    os.path.join(logdir, "planted.log"))
    m = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", out)
    failed = int(m.group(2)) if m else None
    figure = (f"{m.group(3)} tests: {', '.join(targets)}" if m else "no ctest summary")
    return {"status": status, "figure": figure, "zero": failed, "zero_name": "failing tests",
            "seconds": secs + secs2}


def mutation(args, logdir):
    cmd = [sys.executable, os.path.join(SRC, "scripts/mutation_campaign.py"), "--build", args.build]
    if args.markdown:
        cmd += ["--markdown", args.markdown]
    status, out, secs = run_logged(cmd, os.path.join(logdir, "mutation.log"))
    tried = false = crashed = 0
    found = False
    for m in re.finditer(r": (\d+) mutants of \d+ sites .* accepted-FALSE (\d+), crashed (\d+)", out):
        found = True
        tried += int(m.group(1))
        false += int(m.group(2))
        crashed += int(m.group(3))
    if not found:
        return {"status": status or 1, "figure": "no results", "zero": None, "seconds": secs}
    return {"status": status, "figure": f"{tried} mutants", "zero": false + crashed,
            "zero_name": "accepted with a false bound + crashed", "seconds": secs}


def sanitize(args, logdir):
    env = dict(os.environ, BUILD_DIR=os.path.join(SRC, args.sanitize_build))
    status, out, secs = run_logged([os.path.join(SRC, "scripts/sanitize.sh")],
                                   os.path.join(logdir, "sanitize.log"), env)
    m = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", out)
    if not m:
        return {"status": status or 1, "figure": "build failed", "zero": None, "seconds": secs}
    return {"status": status, "figure": f"{m.group(3)} tests, whole suite",
            "zero": int(m.group(2)), "zero_name": "tests with a sanitizer report or failure",
            "seconds": secs}


def fuzz(args, logdir):
    env = dict(os.environ, BUILD_DIR=os.path.join(SRC, args.sanitize_build),
               FUZZ_SECONDS=str(args.fuzz_seconds))
    status, out, secs = run_logged([os.path.join(SRC, "scripts/fuzz.sh")],
                                   os.path.join(logdir, "fuzz.log"), env)
    summary = out.split("--- fuzz.sh summary ---")[-1]
    rows = re.findall(r"(fuzz_\w+): (\d+|\?) executions in \d+ s, (\d+) crash\(es\), exit (\d+)", summary)
    if not rows:
        return {"status": status or 1, "figure": "build failed", "zero": None, "seconds": secs}
    execs = sum(int(r[1]) for r in rows if r[1] != "?")
    bad = sum(int(r[2]) + (1 if r[3] != "0" else 0) for r in rows)
    per = ", ".join(f"{r[0]} {r[1]}" for r in rows)
    return {"status": status, "figure": f"{execs} executions, {args.fuzz_seconds} s per target ({per})",
            "zero": bad, "zero_name": "crashes, sanitizer reports, false bounds", "seconds": secs}


def write_markdown(path, table):
    begin, end = "<!-- campaign-summary:begin", "<!-- campaign-summary:end -->"
    block = begin + " (generated by scripts/soundness_campaign.py) -->\n" + table + end + "\n"
    text = open(path).read() if os.path.exists(path) else ""
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end) + 1
        text = text[:a] + block + text[b:]
    else:
        text += ("\n" if text else "") + block
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="Release build directory (configured and built)")
    ap.add_argument("--sanitize-build", default="build-sanitize", help="sanitizer + fuzz build directory")
    ap.add_argument("--fuzz-seconds", type=int, default=60, help="per fuzz target")
    ap.add_argument("--skip", action="append", default=[], choices=ATTACKS, help="leave an attack out")
    ap.add_argument("--markdown", help="write the summary table into this file between markers")
    ap.add_argument("--logs", default=None, help="log directory (default: <build>/soundness-campaign)")
    args = ap.parse_args()

    logdir = args.logs or os.path.join(SRC, args.build, "soundness-campaign")
    os.makedirs(logdir, exist_ok=True)
    runners = {"planted": planted, "mutation": mutation, "sanitize": sanitize, "fuzz": fuzz}
    names = {"planted": "planted-error models + resource limits", "mutation": "mutation campaign",
             "sanitize": "ASan + UBSan", "fuzz": "libFuzzer"}
    results = {}
    for attack in ATTACKS:
        if attack in args.skip:
            continue
        print(f"soundness_campaign: {names[attack]} ... (log: {logdir}/{attack}.log)", flush=True)
        results[attack] = runners[attack](args, logdir)
        r = results[attack]
        print(f"  {r['figure']}; {r.get('zero_name', 'must-be-zero')}: {r['zero']}; "
              f"{r['seconds']:.0f} s; exit {r['status']}", flush=True)

    date = datetime.date.today().isoformat()
    cmd = " ".join(["scripts/soundness_campaign.py"] + sys.argv[1:])
    lines = [f"Command: `{cmd}` ({date}; {os.cpu_count()} cores).", "",
             "| attack | what ran | must be zero | count | wall |", "|---|---|---|---:|---:|"]
    ok = True
    for attack, r in results.items():
        good = r["status"] == 0 and r["zero"] == 0
        ok = ok and good
        count = "**0**" if good else f"**{r['zero']}** (exit {r['status']})"
        lines.append(f"| {names[attack]} | {r['figure']} | {r.get('zero_name', '-')} | {count} | "
                     f"{r['seconds']:.0f} s |")
    if args.skip:
        lines.append("")
        lines.append("Skipped: " + ", ".join(names[a] for a in args.skip) + ".")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.markdown:
        write_markdown(args.markdown, table)
    return 0 if ok and results else 1


if __name__ == "__main__":
    sys.exit(main())
