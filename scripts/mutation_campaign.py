#!/usr/bin/env python3
"""Mutation campaign: tamper with valid certificates one field at a time and check that
mechcert-check never accepts a bound above the model's exact accuracy (BRIEF section 7:
"every single-field tampering of a valid certificate is rejected or still yields a true bound").

For each strategy of `mechcert strategies` (or --strategy), the campaign proves a certificate for
the model, checks that the original is VALID, then generates mutants:
  numbers   JSON integers: +1, -1, 0, x2, /2, negated, 2^53+1, 2^63
            hex floats ("0x1.8p-3"): +-1 ulp, negated, x2, /2, zero, as a decimal string
            decimal / rational strings ("16774693", "3/4"): +-1, 0, x2, /2, negated, p/q forms
            hex bit masks (cubic case rows): every single bit flipped, all bits set, cleared
  strings   sha256: first / last hex digit changed; other strings: replaced by the other strategy
            and step names, emptied, upper-cased
  structure arrays: drop / duplicate an element, swap neighbours, reverse, empty;
            objects: drop a key, add an unknown key; the whole step list reordered
  transplant the certificate re-addressed to a second model (its SHA-256 put in): the checker then
            verifies it against that model's weights, so the bound must hold for that model
and runs mechcert-check on each. Outcomes: rejected (exit 1), unreadable (exit 2), accepted with a
true bound (<= exact), accepted with a FALSE bound (> exact: a soundness bug; must be 0), crashed
(any other exit status: a robustness bug).

The default models are trained briefly on purpose (k=3, vocab=16; 400 and 200 steps): a model
with 100% accuracy would make every bound <= 1 true and the campaign toothless.

"Exact" is min(strict_correct of `mechcert eval --json`, the count the brute-force certificate
verifies) when a brute-force certificate exists, else eval's strict_correct. Both are sound
directions for this test: eval is a double-precision count (it can over-count near-ties), the
brute-force count is a verified lower bound; taking the minimum can only turn a true acceptance
into a reported false one, never hide a false one.

Standard library only. Examples:
  scripts/mutation_campaign.py --build build                              # full campaign
  scripts/mutation_campaign.py --build build --max-mutants 300 --seed 1   # bounded (CTest)
  scripts/mutation_campaign.py --build build --markdown docs/soundness-campaign.md
"""
import argparse
import copy
import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

HEX_FLOAT = re.compile(r"^-?0x[0-9a-fA-F](\.[0-9a-fA-F]*)?p[+-]?\d+$")
DECIMAL = re.compile(r"^-?\d+$")
RATIONAL = re.compile(r"^-?\d+/\d+$")
SHA = re.compile(r"^[0-9a-f]{64}$")
HEXMASK = re.compile(r"^[0-9a-f]+$")


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# ----------------------------------------------------------------------------------- mutations
def set_at(doc, path, value):
    """Returns a deep copy of doc with the value at path (list of keys/indices) replaced."""
    new = copy.deepcopy(doc)
    cur = new
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return new


def edit_container(doc, path, fn):
    new = copy.deepcopy(doc)
    cur = new
    for p in path:
        cur = cur[p]
    fn(cur)
    return new


def path_str(path):
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else p)
    return s or "<root>"


def hex_float_mutations(text):
    x = float.fromhex(text)
    vals = [("+1ulp", math.nextafter(x, math.inf)), ("-1ulp", math.nextafter(x, -math.inf)),
            ("negated", -x), ("x2", x * 2), ("/2", x / 2), ("zero", 0.0)]
    out = [(name, v.hex()) for name, v in vals if math.isfinite(v) and v.hex() != text]
    out.append(("as-decimal", repr(x)))
    return out


def rational_mutations(text):
    q = Fraction(text)
    vals = [("+1", q + 1), ("-1", q - 1), ("zero", Fraction(0)), ("x2", q * 2), ("/2", q / 2),
            ("negated", -q)]
    out = []
    for name, v in vals:
        s = str(v.numerator) if v.denominator == 1 and "/" not in text else f"{v.numerator}/{v.denominator}"
        if s != text:
            out.append((name, s))
    if "/" in text:
        p, d = text.split("/")
        out += [("num+1", f"{int(p) + 1}/{d}"), ("den-1", f"{p}/{int(d) - 1}"),
                ("den+1", f"{p}/{int(d) + 1}"), ("unreduced", f"{int(p) * 2}/{int(d) * 2}")]
    else:
        out += [("as-fraction", f"{text}/1"), ("leading-zero", "0" + text), ("plus-sign", "+" + text)]
    return out


def mask_mutations(text):
    bits = int(text, 16)
    nbits = 4 * len(text)
    out = [(f"flip-bit{b}", format(bits ^ (1 << b), f"0{len(text)}x")) for b in range(nbits)]
    out.append(("all-bits", "f" * len(text)))
    out.append(("cleared", "0" * len(text)))
    out.append(("longer", "0" + text))
    return out


def string_mutations(text, names, is_mask=False):
    if is_mask and HEXMASK.match(text):  # cubic case row [m, q, c, mask]
        return mask_mutations(text) + [("emptied", "")] if text else [("filled", "1")]
    if HEX_FLOAT.match(text):
        return hex_float_mutations(text)
    if SHA.match(text):
        flip = lambda c: "0" if c != "0" else "1"
        return [("sha-last-digit", text[:-1] + flip(text[-1])), ("sha-first-digit", flip(text[0]) + text[1:])]
    if DECIMAL.match(text) or RATIONAL.match(text):
        return rational_mutations(text)
    out = []
    if HEXMASK.match(text) and len(text) <= 32:
        out += mask_mutations(text)
    out += [(f"renamed-{n}", n) for n in names if n != text]
    out += [("emptied", ""), ("upper", text.upper())] if text else [("filled", "0")]
    return [(n, v) for n, v in out if v != text]


def int_mutations(x):
    vals = [("+1", x + 1), ("-1", x - 1), ("zero", 0), ("x2", x * 2), ("/2", x // 2), ("negated", -x),
            ("2^53+1", 2**53 + 1), ("2^63", 2**63), ("as-float", float(x)), ("as-string", str(x))]
    return [(n, v) for n, v in vals if v != x or type(v) is not type(x)]


def mutants(doc, names):
    """Yields (description, mutated document) for every single-site mutation."""
    def walk(node, path):
        if isinstance(node, bool):
            yield f"{path_str(path)}: flipped", set_at(doc, path, not node)
        elif isinstance(node, int):
            for name, v in int_mutations(node):
                yield f"{path_str(path)}: int {name}", set_at(doc, path, v)
        elif isinstance(node, float):
            for name, v in [("x2", node * 2), ("negated", -node), ("zero", 0.0)]:
                yield f"{path_str(path)}: float {name}", set_at(doc, path, v)
        elif isinstance(node, str):
            is_mask = "cases" in path and path[-1] == 3
            for name, v in string_mutations(node, names, is_mask):
                yield f"{path_str(path)}: string {name}", set_at(doc, path, v)
        elif isinstance(node, list):
            n = len(node)
            for i in range(n):
                yield f"{path_str(path)}: drop [{i}]", edit_container(doc, path, lambda a, i=i: a.pop(i))
                yield f"{path_str(path)}: duplicate [{i}]", edit_container(
                    doc, path, lambda a, i=i: a.insert(i, copy.deepcopy(a[i])))
                if i + 1 < n and node[i] != node[i + 1]:
                    yield f"{path_str(path)}: swap [{i}],[{i + 1}]", edit_container(
                        doc, path, lambda a, i=i: a.__setitem__(slice(i, i + 2), [a[i + 1], a[i]]))
            if n > 1:
                yield f"{path_str(path)}: reversed", edit_container(doc, path, lambda a: a.reverse())
            if n > 0:
                yield f"{path_str(path)}: emptied", set_at(doc, path, [])
            for i, child in enumerate(node):
                yield from walk(child, path + [i])
        elif isinstance(node, dict):
            for key in list(node):
                if path == [] and key == "generator":
                    continue  # free-form and ignored by contract
                yield f"{path_str(path + [key])}: dropped", edit_container(doc, path, lambda o, k=key: o.pop(k))
            yield f"{path_str(path)}: unknown key added", edit_container(
                doc, path, lambda o: o.__setitem__("x_unknown", 1))
            for key, child in node.items():
                if path == [] and key == "generator":
                    continue
                yield from walk(child, path + [key])
    yield from walk(doc, [])


# ----------------------------------------------------------------------------------- campaign
class Tools:
    def __init__(self, build):
        self.mechcert = os.path.join(build, "generator", "mechcert")
        self.check = os.path.join(build, "checker", "mechcert-check")
        for exe in (self.mechcert, self.check):
            if not os.access(exe, os.X_OK):
                sys.exit(f"mutation_campaign: {exe} not built")

    def strategies(self):
        r = run([self.mechcert, "strategies", "--json"])
        if r.returncode != 0:
            sys.exit(f"mutation_campaign: mechcert strategies failed: {r.stderr.strip()}")
        names = [str(s["name"]) for s in json.loads(r.stdout)]
        # Bounded with 60 subcubic strategies: every exact-EQKE one, and each EQKE approximation
        # with the max_diff_exact EU and mean_query+diff attention only.
        return [n for n in names if not n.startswith("subcubic/") or n.endswith("/exact_EQKE+max_diff_exact")
                or n.startswith("subcubic/max_diff_exact/mean_query+diff/")]

    def exact(self, model):
        r = run([self.mechcert, "eval", model, "--json", "--quiet"])
        if r.returncode != 0:
            sys.exit(f"mutation_campaign: eval failed: {r.stderr.strip()}")
        return json.loads(r.stdout)

    def prove(self, model, strategy, out):
        return run([self.mechcert, "prove", model, "--strategy", strategy, "--out", out])

    def verify(self, model, cert):
        try:
            r = run([self.check, model, cert, "--json", "--threads", "1"], timeout=600)
        except subprocess.TimeoutExpired:
            return "timeout", None, "timeout"
        if r.returncode == 0:
            try:
                j = json.loads(r.stdout)
                return "valid", Fraction(int(j["bound"]["num"]), int(j["bound"]["den"])), ""
            except (ValueError, KeyError, TypeError, ZeroDivisionError) as e:
                return "bad-output", None, f"exit 0 with unparsable output: {e}"
        if r.returncode == 1:
            return "rejected", None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        if r.returncode == 2:
            return "unreadable", None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        return "crashed", None, f"exit {r.returncode}: {r.stderr.strip()[-300:]}"


def campaign_for(tools, model, exact, strategy, workdir, args, names, transplant):
    rng = random.Random(f"{args.seed}:{strategy}")
    sdir = os.path.join(workdir, strategy.replace("/", "_"))
    os.makedirs(sdir, exist_ok=True)
    cert = os.path.join(sdir, "original.json")
    r = tools.prove(model["path"], strategy, cert)
    if r.returncode != 0:
        return {"strategy": strategy, "error": f"prove failed: {r.stderr.strip()[-200:]}"}
    status, bound, why = tools.verify(model["path"], cert)
    if status != "valid":
        return {"strategy": strategy, "error": f"original certificate not valid: {status} {why}"}
    with open(cert) as f:
        doc = json.load(f)
    # A sidecar, if any, sits next to original.json; mutants are written beside it and name it.
    # No-op edits (e.g. "all bits" of a mask that is already full) are not mutants. Compared as
    # text: in Python 1 == 1.0 == True, but the checker must tell them apart.
    original_text = json.dumps(doc, sort_keys=True)
    all_mutants = [(d, m) for d, m in mutants(doc, names) if json.dumps(m, sort_keys=True) != original_text]
    total_sites = len(all_mutants)
    if args.max_mutants and len(all_mutants) > args.max_mutants:
        # keep every mutation outside the bulk step data, sample the rest deterministically
        head = [m for m in all_mutants if not m[0].startswith("steps[")]
        rest = [m for m in all_mutants if m[0].startswith("steps[")]
        k = max(0, args.max_mutants - len(head))
        all_mutants = head[: args.max_mutants] + (rng.sample(rest, min(k, len(rest))) if k else [])
    jobs = [(desc, mdoc, model) for desc, mdoc in all_mutants]
    if transplant is not None:
        other = copy.deepcopy(doc)
        other["model"]["sha256"] = transplant["sha256"]
        jobs.append(("transplant: certificate re-addressed to the second model", other, transplant))
    counts = {"tried": 0, "rejected": 0, "unreadable": 0, "true": 0, "false": 0, "crashed": 0}
    false_list, crash_list, accepted_true = [], [], []
    t0 = time.time()
    for i, (desc, mdoc, target) in enumerate(jobs):
        path = os.path.join(sdir, "mutant.json")
        with open(path, "w") as f:
            json.dump(mdoc, f)
        status, b, why = tools.verify(target["path"], path)
        counts["tried"] += 1
        if status == "valid":
            limit = Fraction(target["exact"], target["total"])
            if b <= limit:
                counts["true"] += 1
                accepted_true.append(desc)
            else:
                counts["false"] += 1
                keep = os.path.join(sdir, f"FALSE-{i}.json")
                shutil.copy(path, keep)
                false_list.append(f"{desc}: bound {b} > exact {limit} (kept: {keep})")
        elif status in ("rejected",):
            counts["rejected"] += 1
        elif status == "unreadable":
            counts["unreadable"] += 1
        else:
            counts["crashed"] += 1
            keep = os.path.join(sdir, f"CRASH-{i}.json")
            shutil.copy(path, keep)
            crash_list.append(f"{desc}: {status} {why} (kept: {keep})")
        if args.verbose:
            print(f"  {strategy}: {desc}: {status} {why}", file=sys.stderr)
    return {"strategy": strategy, "sites": total_sites, "bound": bound, "counts": counts,
            "false": false_list, "crashes": crash_list, "accepted_true": accepted_true,
            "seconds": time.time() - t0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="build directory with generator/mechcert and checker/mechcert-check")
    ap.add_argument("--model", help="model file (default: train k=3, vocab=16, 400 steps, seed 1)")
    ap.add_argument("--second-model", help="model for the transplant mutation (default: 200 steps, seed 2)")
    ap.add_argument("--strategy", action="append", help="strategy name (default: all of `mechcert strategies`)")
    ap.add_argument("--max-mutants", type=int, default=0, help="per strategy; 0 = all")
    ap.add_argument("--seed", type=int, default=1, help="sampling seed for --max-mutants")
    ap.add_argument("--workdir", help="keep files here (default: a temporary directory)")
    ap.add_argument("--markdown", help="write the results table into this file between markers")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    tools = Tools(args.build)
    workdir = args.workdir or tempfile.mkdtemp(prefix="mechcert-mutation-")
    os.makedirs(workdir, exist_ok=True)

    def train(seed, steps):
        path = os.path.join(workdir, f"train-k3-v16-steps{steps}-seed{seed}.safetensors")
        if not os.path.exists(path):
            r = run([tools.mechcert, "train", "--k", "3", "--vocab", "16", "--steps", str(steps),
                     "--seed", str(seed), "--out", path, "--quiet"])
            if r.returncode != 0:
                sys.exit(f"mutation_campaign: training failed: {r.stderr.strip()}")
        return path

    def describe(path):
        e = tools.exact(path)
        m = {"path": path, "total": int(e["total"]), "strict": int(e["strict_correct"]),
             "argmax": int(e["argmax_correct"])}
        m["exact"] = m["strict"]
        with open(path, "rb") as f:
            m["sha256"] = hashlib.sha256(f.read()).hexdigest()
        # Pin the exact count from below with the brute-force certificate when there is one.
        bf = os.path.join(workdir, os.path.basename(path) + ".bf.json")
        if tools.prove(path, "brute-force", bf).returncode == 0:
            status, b, _ = tools.verify(path, bf)
            if status == "valid":
                m["bruteforce"] = int(b * m["total"])
                m["exact"] = min(m["strict"], m["bruteforce"])
        return m

    # Short training on purpose: a model with 100% accuracy makes every bound <= 1 true, so the
    # campaign needs a model that gets some inputs wrong (400 steps: ~99.3%; 200 steps: ~97%).
    model = describe(args.model or train(1, 400))
    second = describe(args.second_model or train(2, 200))
    strategies = args.strategy or tools.strategies()
    names = sorted(set(strategies) | {"brute-force", "cubic", "path-tables", "cubic-classes",
                                     "mechcert-certificate", "max-of-k", "eu-bound", "gap-classes",
                                     "max_diff_exact", "global_max_diff_exact", "max_diff",
                                     "mean_query+max_diff", "mean_query+diff",
                                     "drop_average_query_per_output_logit_reasoning"})
    print(f"model {model['path']}: total {model['total']}, eval strict {model['strict']}, "
          f"argmax {model['argmax']}, brute-force {model.get('bruteforce', '-')}; exact used {model['exact']}")
    results = []
    for s in strategies:
        res = campaign_for(tools, model, model, s, workdir, args, names, second)
        results.append(res)
        if "error" in res:
            print(f"{s}: ERROR {res['error']}")
            continue
        c = res["counts"]
        print(f"{s}: {c['tried']} mutants of {res['sites']} sites in {res['seconds']:.1f} s: "
              f"rejected {c['rejected']}, unreadable {c['unreadable']}, accepted-true {c['true']}, "
              f"accepted-FALSE {c['false']}, crashed {c['crashed']}")
        for line in res["false"] + res["crashes"]:
            print(f"  {line}")

    if args.markdown:
        write_markdown(args, model, second, results)
    bad = any("error" in r or r["counts"]["false"] or r["counts"]["crashed"] for r in results)
    if not args.workdir and not bad:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if bad else 0


def write_markdown(args, model, second, results):
    cmd = "scripts/mutation_campaign.py --build " + args.build
    if args.max_mutants:
        cmd += f" --max-mutants {args.max_mutants} --seed {args.seed}"
    lines = ["<!-- mutation-campaign:begin (generated by scripts/mutation_campaign.py) -->",
             f"Command: `{cmd}` (model: `mechcert train --k 3 --vocab 16 --steps 400 --seed 1`; "
             f"transplant target: `--steps 200 --seed 2`, exact {second['exact']}). Exact count used: {model['exact']} of {model['total']} "
             f"(eval strict {model['strict']}, argmax {model['argmax']}, brute-force certified "
             f"{model.get('bruteforce', '-')}).", "",
             "| strategy | mutation sites | tried | rejected (exit 1) | unreadable (exit 2) | "
             "accepted, bound still true | accepted, bound FALSE | crashed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['strategy']} | error: {r['error']} | | | | | | |")
            continue
        c = r["counts"]
        lines.append(f"| {r['strategy']} | {r['sites']} | {c['tried']} | {c['rejected']} | {c['unreadable']} | "
                     f"{c['true']} | **{c['false']}** | {c['crashed']} |")
    lines.append("")
    for r in results:
        if "error" in r or not r["accepted_true"]:
            continue
        shown = r["accepted_true"][:12]
        more = len(r["accepted_true"]) - len(shown)
        lines.append(f"Accepted with a true bound ({r['strategy']}): " + "; ".join(f"`{d}`" for d in shown)
                     + (f"; and {more} more." if more > 0 else "."))
    lines.append("<!-- mutation-campaign:end -->")
    block = "\n".join(lines) + "\n"
    text = open(args.markdown).read() if os.path.exists(args.markdown) else ""
    begin, end = "<!-- mutation-campaign:begin", "<!-- mutation-campaign:end -->"
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end) + 1
        text = text[:a] + block + text[b:]
    else:
        text += ("\n" if text else "") + block
    with open(args.markdown, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
