#!/usr/bin/python3
"""CTest schema_certificates: format/certificate.schema.json, checked by an independent validator
(Debian's python3-jsonschema, draft 2020-12), agrees with mechcert-check.

1. The schema is a valid draft 2020-12 schema.
2. Every certificate shipped in examples/ validates.
3. For every strategy that `mechcert strategies --json` lists (so strategies added later are
   covered, and one without a schema entry fails here), a certificate freshly proved on a small
   trained model validates, and mechcert-check accepts it.
4. Malformed certificates (one field changed each, per step kind) fail validation, and
   mechcert-check rejects each of them (exit code 1): the schema never rejects what the checker
   accepts for these, and never accepts what it should not.

    test_certificate_schema.py --mechcert M --checker C --schema S --examples DIR
Run with /usr/bin/python3 (Debian's modules); `python3` on PATH may lack jsonschema.
"""
import argparse
import copy
import json
import pathlib
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    sys.exit("FAIL: python3-jsonschema is not installed (apt-get install python3-jsonschema); "
             "run this with /usr/bin/python3")

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def schema_errors(validator, doc):
    errors = list(validator.iter_errors(doc))
    return [] if not errors else [jsonschema.exceptions.best_match(errors)]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def check_rc(model, cert_path, checker):
    return run([checker, "--threads", "1", str(model), str(cert_path)]).returncode


# --- malformed certificates: (name, the certificate's strategy family, mutation) ----------------
def first(rows, pred):
    return next(i for i, r in enumerate(rows) if pred(r))


def set_path(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def delete(doc, path):
    for key in path[:-1]:
        doc = doc[key]
    del doc[path[-1]]


def cubic_cases(d):
    return d["steps"][1]["cases"]


def gap_blocks(d):
    return d["steps"][2]["blocks"]


MUTATIONS = [
    # envelope (SPEC.md 2.1, 2.2)
    ("unknown top-level field", "brute-force", lambda d: set_path(d, ["extra"], 1)),
    ("version 2", "brute-force", lambda d: set_path(d, ["version"], 2)),
    ("format name", "brute-force", lambda d: set_path(d, ["format"], "mechcert-cert")),
    ("task name", "brute-force", lambda d: set_path(d, ["task", "name"], "sort")),
    ("task vocab 0", "brute-force", lambda d: set_path(d, ["task", "vocab"], 0)),
    ("task k as a string", "brute-force", lambda d: set_path(d, ["task", "k"], "3")),
    ("task k 1025", "brute-force", lambda d: set_path(d, ["task", "k"], 1025)),
    ("unknown field in model", "brute-force", lambda d: set_path(d, ["model", "d_mlp"], 4)),
    ("uppercase sha256", "brute-force", lambda d: set_path(d, ["model", "sha256"], d["model"]["sha256"].upper())),
    ("short sha256", "brute-force", lambda d: set_path(d, ["model", "sha256"], d["model"]["sha256"][:63])),
    ("d_model 0", "brute-force", lambda d: set_path(d, ["model", "d_model"], 0)),
    ("claim with a leading zero", "brute-force", lambda d: set_path(d, ["claim", "correct"], "0" + d["claim"]["correct"])),
    ("claim as a number", "brute-force", lambda d: set_path(d, ["claim", "correct"], int(d["claim"]["correct"]))),
    ("claim negative", "brute-force", lambda d: set_path(d, ["claim", "correct"], "-1")),
    ("missing claim", "brute-force", lambda d: delete(d, ["claim"])),
    ("generator not an object", "brute-force", lambda d: set_path(d, ["generator"], ["mechcert"])),
    ("sidecar path", "brute-force", lambda d: set_path(d, ["sidecar"], {"file": "../x.bin", "sha256": "0" * 64, "bytes": 8})),
    ("sidecar without sha256", "brute-force", lambda d: set_path(d, ["sidecar"], {"file": "x.bin", "bytes": 8})),
    ("unknown strategy", "brute-force", lambda d: set_path(d, ["strategy"], "quadratic")),
    ("empty strategy", "brute-force", lambda d: set_path(d, ["strategy"], "")),
    # brute force (SPEC.md 4.1)
    ("brute-force step with a field", "brute-force", lambda d: set_path(d, ["steps", 0, "inputs"], 512)),
    ("brute-force without steps", "brute-force", lambda d: set_path(d, ["steps"], [])),
    ("brute-force with two steps", "brute-force", lambda d: d["steps"].append({"kind": "brute-force"})),
    ("step without kind", "brute-force", lambda d: set_path(d, ["steps", 0], {})),
    ("step not an object", "brute-force", lambda d: set_path(d, ["steps", 0], "brute-force")),
    # cubic (SPEC.md 5.1)
    ("cubic steps swapped", "cubic", lambda d: d["steps"].reverse()),
    ("cubic with a brute-force step", "cubic", lambda d: set_path(d, ["steps"], [{"kind": "brute-force"}])),
    ("unknown step kind", "cubic", lambda d: set_path(d, ["steps", 0, "kind"], "path-table")),
    ("path-tables with a field", "cubic", lambda d: set_path(d, ["steps", 0, "rank"], 1)),
    ("cubic-classes without cases", "cubic", lambda d: delete(d, ["steps", 1, "cases"])),
    ("cases an object", "cubic", lambda d: set_path(d, ["steps", 1, "cases"], {})),
    ("case row of 5", "cubic", lambda d: cubic_cases(d)[0].append(0)),
    ("case row of 3", "cubic", lambda d: cubic_cases(d)[0].pop()),
    ("negative m", "cubic", lambda d: set_path(cubic_cases(d), [0, 0], -1)),
    ("m as a string", "cubic", lambda d: set_path(cubic_cases(d), [0, 0], "0")),
    ("c = 0 with a mask", "cubic", lambda d: set_path(cubic_cases(d), [first(cubic_cases(d), lambda r: r[2] == 0), 3], "1")),
    ("c >= 1 with an empty mask", "cubic", lambda d: set_path(cubic_cases(d), [first(cubic_cases(d), lambda r: r[2] >= 1), 3], "")),
    ("mask in uppercase", "cubic", lambda d: set_path(cubic_cases(d), [first(cubic_cases(d), lambda r: r[2] >= 1 and r[0] >= 4), 3], "F")),
    ("mask of the empty set", "cubic", lambda d: set_path(cubic_cases(d), [i := first(cubic_cases(d), lambda r: r[2] >= 1), 3], "0" * len(cubic_cases(d)[i][3]))),
    ("c >= 1 with m = 0", "cubic", lambda d: set_path(cubic_cases(d), [0], [0, 0, 1, "1"])),
    # subcubic (SPEC.md 7.1)
    ("eu-bound handling not the name's", "subcubic-mean", lambda d: set_path(d, ["steps", 1, "handling"], "max_diff_exact" if d["steps"][1]["handling"] != "max_diff_exact" else "max_diff")),
    ("unknown EU option", "subcubic-mean", lambda d: set_path(d, ["steps", 1, "handling"], "min_diff")),
    ("attention not the name's", "subcubic-mean", lambda d: set_path(d, ["steps", 2, "attention"], "drop_average_query_per_output_logit_reasoning")),
    ("unknown EQKE option in the name", "subcubic-mean", lambda d: set_path(d, ["strategy"], d["strategy"].replace("exact_EQKE+max_diff_exact", "svd_EQKE+max_diff"))),
    ("eu-bound with a field", "subcubic-mean", lambda d: set_path(d, ["steps", 1, "bound"], "0x1p+0")),
    ("subcubic without eu-bound", "subcubic-mean", lambda d: d["steps"].pop(1)),
    ("block of 3", "subcubic-mean", lambda d: gap_blocks(d)[0].pop()),
    ("avg negative", "subcubic-mean", lambda d: set_path(gap_blocks(d), [0, 2], "-0x1p-2")),
    ("avg a decimal", "subcubic-mean", lambda d: set_path(gap_blocks(d), [0, 2], "0.25")),
    ("avg a number", "subcubic-mean", lambda d: set_path(gap_blocks(d), [0, 2], 0.25)),
    ("no rows", "subcubic-mean", lambda d: set_path(gap_blocks(d), [0, 3], [])),
    ("gap 0", "subcubic-mean", lambda d: set_path(gap_blocks(d), [first(gap_blocks(d), lambda b: b[1] >= 1), 3, 0, 1], 0)),
    ("c = 0 with gap 2", "subcubic-mean", lambda d: set_path(gap_blocks(d), [first(gap_blocks(d), lambda b: b[1] == 0 and b[0] >= 2), 3, 0, 1], 2)),
    ("row of 3", "subcubic-mean", lambda d: gap_blocks(d)[0][3][0].append(1)),
    ("drop_average with avg != 0", "subcubic-drop", lambda d: set_path(gap_blocks(d), [0, 2], "0x1p-3")),
    # the peeling EQKE options (SPEC.md 7.18): six hints, none for a rank-1 option
    ("peeling without query_direction_2", "subcubic-peel", lambda d: d["steps"][0].pop("query_direction_2")),
    ("peeling without key_weight_direction", "subcubic-peel", lambda d: d["steps"][0].pop("key_weight_direction")),
    ("peeling weight direction a decimal", "subcubic-peel", lambda d: set_path(d, ["steps", 0, "query_weight_direction", 0], "0.5")),
    ("peeling eqke not the name's", "subcubic-peel", lambda d: set_path(d, ["steps", 0, "eqke"], "max_diff_subproduct_recursive" if d["steps"][0]["eqke"] != "max_diff_subproduct_recursive" else "max_diff_subproduct")),
    ("rank-1 option with a peeling hint", "subcubic-rank1", lambda d: set_path(d, ["steps", 0, "key_direction_2"], d["steps"][0]["key_direction"])),
    # hybrid (SPEC.md 10.1): the residue is never listed by the certificate
    ("hybrid without its residue step", "hybrid", lambda d: d["steps"].pop(2)),
    ("residue step listing inputs", "hybrid", lambda d: set_path(d, ["steps", 2, "inputs"], [[0, 0, 0]])),
    ("residue step as brute-force", "hybrid", lambda d: set_path(d, ["steps", 2, "kind"], "brute-force")),
    ("hybrid steps of cubic", "hybrid", lambda d: set_path(d, ["strategy"], "cubic")),
    ("full hybrid with a selection", "hybrid", lambda d: set_path(d, ["steps", 2, "select"], [])),
    ("hybrid part range as numbers", "hybrid-part", lambda d: set_path(d, ["steps", 2, "inputs"], {"begin": 0, "end": 64})),
    ("hybrid part range with a field", "hybrid-part", lambda d: set_path(d, ["steps", 2, "inputs", "step"], "1")),
    # partial hybrid (SPEC.md 10.7): the selection of cases (m, q)
    ("partial hybrid without its selection", "hybrid-partial", lambda d: delete(d, ["steps", 2, "select"])),
    ("selection row of three", "hybrid-partial", lambda d: set_path(d, ["steps", 2, "select"], [[1, 0, 0]])),
    ("selection index negative", "hybrid-partial", lambda d: set_path(d, ["steps", 2, "select"], [[-1, 0]])),
    ("selection as a string", "hybrid-partial", lambda d: set_path(d, ["steps", 2, "select"], "all")),
    # composition (SPEC.md 9.1): the manifest of `prove --shards`
    ("composition without parts", "composition", lambda d: set_path(d, ["steps", 0, "parts"], [])),
    ("part path escaping the directory", "composition", lambda d: set_path(d, ["steps", 0, "parts", 1, "file"], "../part-00001.json")),
    ("part path in a subdirectory", "composition", lambda d: set_path(d, ["steps", 0, "parts", 1, "file"], "sub/part-00001.json")),
    ("part without sha256", "composition", lambda d: delete(d, ["steps", 0, "parts", 0, "sha256"])),
    ("part without inputs", "composition", lambda d: delete(d, ["steps", 0, "parts", 0, "inputs"])),
    ("part range as numbers", "composition", lambda d: set_path(d, ["steps", 0, "parts", 0, "inputs"], {"begin": 0, "end": 10})),
    ("part range with a leading zero", "composition", lambda d: set_path(d, ["steps", 0, "parts", 0, "inputs", "begin"], "00")),
    ("unknown field in a part", "composition", lambda d: set_path(d, ["steps", 0, "parts", 0, "claim"], "1")),
    ("composition with a brute-force step", "composition", lambda d: d["steps"].append({"kind": "brute-force"})),
    ("brute-force inputs with a field", "part", lambda d: set_path(d, ["steps", 0, "inputs", "step"], "1")),
    ("brute-force inputs without end", "part", lambda d: delete(d, ["steps", 0, "inputs", "end"])),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mechcert", required=True)
    ap.add_argument("--checker", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--examples", required=True)
    args = ap.parse_args()

    schema = json.loads(pathlib.Path(args.schema).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    # 2. The shipped certificates.
    shipped = 0
    for path in sorted(pathlib.Path(args.examples).rglob("*.json")):
        doc = json.loads(path.read_text())
        if not (isinstance(doc, dict) and doc.get("format") == "mechcert-certificate"):
            continue
        shipped += 1
        for e in schema_errors(validator, doc):
            fail(f"{path.name}: {e.json_path}: {e.message[:300]}")
    if shipped == 0:
        fail(f"no certificates in {args.examples}")
    print(f"examples: {shipped} certificates validated")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        model = tmp / "model.safetensors"
        # A small trained Max-of-K model (v = 8, k = 3: 512 inputs), so that every strategy
        # certifies classes and writes non-trivial case lists.
        r = run([args.mechcert, "train", "--k", "3", "--vocab", "8", "--d-model", "8", "--steps", "600",
                 "--seed", "50", "--threads", "1", "--quiet", "--out", str(model)])
        if r.returncode != 0:
            sys.exit(f"FAIL: mechcert train: {r.stderr.strip()}")

        # 3. Every strategy mechcert lists.
        r = run([args.mechcert, "strategies", "--json"])
        strategies = [s["name"] for s in json.loads(r.stdout)]
        produced = {}
        for name in strategies:
            out = tmp / ("cert-%d.json" % len(produced))
            r = run([args.mechcert, "prove", str(model), "--strategy", name, "--out", str(out),
                     "--quiet", "--threads", "1"])
            if r.returncode != 0:
                fail(f"mechcert prove --strategy {name}: exit {r.returncode}: {r.stderr.strip()}")
                continue
            doc = json.loads(out.read_text())
            for e in schema_errors(validator, doc):
                fail(f"strategy {name}: the schema rejects mechcert's certificate: "
                     f"{e.json_path}: {e.message[:300]}")
            rc = check_rc(model, out, args.checker)
            if rc != 0:
                fail(f"strategy {name}: mechcert-check exit {rc} on mechcert's certificate")
            produced[name] = doc
        print(f"strategies: {len(produced)} of {len(strategies)} certificates proved, validated and checked")

        # 3b. A sharded brute-force proof (SPEC.md 9): the manifest and every part validate and check.
        shards = tmp / "shards"
        r = run([args.mechcert, "prove", str(model), "--strategy", "brute-force", "--shards", "3",
                 "--out", str(shards), "--quiet", "--threads", "1"])
        if r.returncode != 0:
            fail(f"mechcert prove --shards 3: exit {r.returncode}: {r.stderr.strip()}")
        else:
            for path in sorted(shards.glob("*.json")):
                doc = json.loads(path.read_text())
                for e in schema_errors(validator, doc):
                    fail(f"{path.name}: the schema rejects mechcert's file: {e.json_path}: {e.message[:300]}")
                rc = check_rc(model, path, args.checker)
                if rc != 0:
                    fail(f"{path.name}: mechcert-check exit {rc} on mechcert's file")
            produced["composition"] = json.loads((shards / "manifest.json").read_text())
            produced["part"] = json.loads((shards / "part-00001.json").read_text())

        # 3c. A sharded hybrid proof (SPEC.md 10.8): parts of whole queries.
        hshards = tmp / "hybrid-shards"
        r = run([args.mechcert, "prove", str(model), "--strategy", "hybrid/cubic+brute-force", "--shards", "3",
                 "--out", str(hshards), "--quiet", "--threads", "1"])
        if r.returncode != 0:
            fail(f"mechcert prove hybrid --shards 3: exit {r.returncode}: {r.stderr.strip()}")
        else:
            for path in sorted(hshards.glob("*.json")):
                doc = json.loads(path.read_text())
                for e in schema_errors(validator, doc):
                    fail(f"{path.name}: the schema rejects mechcert's file: {e.json_path}: {e.message[:300]}")
                rc = check_rc(model, path, args.checker)
                if rc != 0:
                    fail(f"{path.name}: mechcert-check exit {rc} on mechcert's file")
            produced["hybrid-part"] = json.loads((hshards / "part-00001.json").read_text())
            print(f"composition: manifest and {len(list(shards.glob('part-*.json')))} parts validated and checked")

        # 4. Malformed certificates, each from one base certificate.
        bases = {
            "brute-force": produced.get("brute-force"),
            "cubic": produced.get("cubic"),
            "hybrid": produced.get("hybrid/cubic+brute-force"),
            "hybrid-partial": produced.get("hybrid/cubic+partial-brute-force"),
            "hybrid-part": produced.get("hybrid-part"),
            "subcubic-mean": next((d for n, d in produced.items()
                                   if n.startswith("subcubic/") and "/mean_query+diff/" in n), None),
            "subcubic-drop": next((d for n, d in produced.items()
                                   if n.startswith("subcubic/") and "/drop_average_query_per_output_logit_reasoning/" in n), None),
            "subcubic-peel": next((d for n, d in produced.items()
                                   if n.startswith("subcubic/") and n.endswith("/max_diff_subproduct")), None),
            "subcubic-rank1": next((d for n, d in produced.items()
                                    if n.startswith("subcubic/") and n.endswith("/max_diff")), None),
            "composition": produced.get("composition"),
            "part": produced.get("part"),
        }
        for family, doc in bases.items():
            if doc is None:
                fail(f"no {family} certificate to mutate")
            elif schema_errors(validator, doc):
                fail(f"the {family} base certificate does not validate")
        rejected = 0
        for i, (what, family, mutate) in enumerate(MUTATIONS):
            if bases[family] is None:
                continue
            doc = copy.deepcopy(bases[family])
            mutate(doc)
            if doc == bases[family]:
                fail(f"malformed '{what}': the mutation changed nothing")
                continue
            if not schema_errors(validator, doc):
                fail(f"malformed '{what}': the schema accepts it")
            # A manifest is resolved against its parts' directory.
            path = (shards if family == "composition" else tmp) / f"bad-{i}.json"
            path.write_text(json.dumps(doc))
            rc = check_rc(model, path, args.checker)
            if rc != 1:
                fail(f"malformed '{what}': mechcert-check exit {rc}, expected 1 (rejected)")
            rejected += 1
        print(f"malformed: {rejected} certificates rejected by the schema and by mechcert-check")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
