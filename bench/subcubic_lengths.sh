#!/usr/bin/env bash
# Proof length of every subcubic configuration on one model, beside the reference's FLOP counts
# and unexplained dimensions (paper/reference-algorithms.md §6.11, K = 4, v = 64, d = 32): proves
# each `subcubic/...` strategy of `mechcert strategies`, checks it with `mechcert-check --json`
# and prints a markdown table (ours: counted ops, paper-convention FLOPs and their log2, ratio
# ours/paper, unexplained dimension ours vs reference). Our counts depend on the model (the row
# list), the reference's do not. Every certificate must be VALID (the script fails otherwise).
# usage: bench/subcubic_lengths.sh [build dir] [model] [reference-algorithms.md]
#   (defaults: build, examples/max4-seed50.safetensors, /work/shared/paper/reference-algorithms.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
model=${2:-$root/examples/max4-seed50.safetensors}
ref=${3:-/work/shared/paper/reference-algorithms.md}
gen=$build/generator/mechcert
chk=$build/checker/mechcert-check
[ -x "$gen" ] && [ -x "$chk" ] || { echo "bench/subcubic_lengths.sh: build $build first" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$gen" strategies --json > "$out/strategies.json"
: > "$out/results.tsv"
for s in $("$gen" strategies | awk '$1 ~ /^subcubic\// {print $1}'); do
  "$gen" prove "$model" --strategy "$s" --out "$out/cert.json" --quiet --threads 1 > /dev/null
  printf '%s\t%s\n' "$s" "$("$chk" --threads 1 "$model" "$out/cert.json" --json)" >> "$out/results.tsv"
done
python3 - "$out/results.tsv" "$out/strategies.json" "$ref" <<'PY'
import json, math, re, sys
short = {"drop_avg": "drop_average_query_per_output_logit_reasoning", "mean+diff": "mean_query+diff"}
paper = {}
for line in open(sys.argv[3]):
    m = re.match(r"\| (\d+) \| (\S+) \| (\S+) \| (\S+) \| [^|]+\| (\d+) \| (\d+) \|", line)
    if m:
        _, eu, att, eqke, dim, flops = m.groups()
        paper[f"subcubic/{eu}/{short.get(att, att)}/{eqke}"] = (int(m.group(1)), int(dim), int(flops))
group = {s["name"]: s["group"] for s in json.load(open(sys.argv[2]))}
rows = []
for line in open(sys.argv[1]):
    name, js = line.rstrip("\n").split("\t", 1)
    c = json.loads(js)
    if not c["valid"]:
        sys.exit(f"{name}: not valid: {c.get('reason')}")
    ops = sum(c["proof_length"]["ops"].values())
    rows.append((paper.get(name, (999, None, None)), name, ops, c["proof_length"]["paper_flops"],
                 int(c["unexplained_dimension"]), c["proof_length"]["seconds"]))
print("| # | configuration (EU / attention / EQKE) | group | ops | paper FLOPs (log2) | §6.11 FLOPs (log2) | ratio | unexpl. dim (ours / §6.11) | check s |")
print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
ratios = []
for (idx, pdim, pflops), name, ops, flops, dim, secs in sorted(rows):
    cfg = name[len("subcubic/"):].replace("drop_average_query_per_output_logit_reasoning", "drop_avg")
    if pflops:
        ratios.append(flops / pflops)
        ref = f"{pflops} ({math.log2(pflops):.2f})"
        ratio = f"{flops / pflops:.2f}"
        dims = f"{dim} / {pdim}" + ("" if dim == pdim else " (!)")
    else:
        ref, ratio, dims, idx = "—", "—", f"{dim} / —", "ours"
    print(f"| {idx} | {cfg} | {group.get(name, '')} | {ops} | {flops} ({math.log2(flops):.2f}) | {ref} | {ratio} | {dims} | {secs:.4f} |")
if ratios:
    print(f"\n{len(ratios)} reference configurations; ratio ours/paper min {min(ratios):.2f}, "
          f"max {max(ratios):.2f}, geometric mean {math.exp(sum(map(math.log, ratios)) / len(ratios)):.2f}")
PY
