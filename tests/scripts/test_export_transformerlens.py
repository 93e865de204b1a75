#!/usr/bin/python3
"""CTest: a TransformerLens-style state_dict built with torch, exported with
scripts/export_transformerlens.py, read by `mechcert eval` (whose counts must equal those of torch's
own forward pass over every input), proved and checked; malformed state_dicts get one clear line
and exit 2. One python process (torch's import is the slow part).

    /usr/bin/python3 tests/scripts/test_export_transformerlens.py MECHCERT MECHCERT_CHECK SOURCE_DIR WORK_DIR
"""
import contextlib
import importlib.util
import io
import itertools
import json
import os
import subprocess
import sys

import torch

mechcert, checker, source_dir, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
spec = importlib.util.spec_from_file_location(
    "export_transformerlens", os.path.join(source_dir, "scripts", "export_transformerlens.py"))
exporter = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exporter)

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def state_dict(v, k, d, h, seed, biases, dtype):
    """What HookedTransformer(cfg).state_dict() holds for a 1-layer, 1-head attn-only model."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: (torch.randn(*s, generator=g) * 0.8 / d ** 0.5).to(dtype)
    b = (lambda *s: torch.randn(*s, generator=g).to(dtype)) if biases else (lambda *s: torch.zeros(*s, dtype=dtype))
    return {"embed.W_E": r(v, d), "pos_embed.W_pos": r(k, d),
            "blocks.0.attn.W_Q": r(1, d, h), "blocks.0.attn.W_K": r(1, d, h),
            "blocks.0.attn.W_V": r(1, d, h), "blocks.0.attn.W_O": r(1, h, d),
            "blocks.0.attn.b_Q": b(1, h), "blocks.0.attn.b_K": b(1, h), "blocks.0.attn.b_V": b(1, h),
            "blocks.0.attn.b_O": b(d), "unembed.W_U": r(d, v), "unembed.b_U": b(v),
            "blocks.0.attn.mask": torch.tril(torch.ones(k, k, dtype=torch.bool)),
            "blocks.0.attn.IGNORE": torch.tensor(-float("inf"))}


def torch_counts(sd, v, k):
    """TransformerLens's forward pass (float64) on all v^k inputs: argmax and strict counts."""
    w = {n: t.to(torch.float64) if t.is_floating_point() else t for n, t in sd.items()}
    tokens = torch.tensor(list(itertools.product(range(v), repeat=k)))
    resid = w["embed.W_E"][tokens] + w["pos_embed.W_pos"]
    proj = lambda W, bias: torch.einsum("bpd,hde->bphe", resid, W) + bias
    q, kk, vv = (proj(w["blocks.0.attn." + W], w["blocks.0.attn." + bb])
                 for W, bb in (("W_Q", "b_Q"), ("W_K", "b_K"), ("W_V", "b_V")))
    scores = torch.einsum("bqhe,bkhe->bhqk", q, kk) / q.shape[-1] ** 0.5
    scores = torch.where(w["blocks.0.attn.mask"], scores, w["blocks.0.attn.IGNORE"])
    z = torch.einsum("bhqk,bkhe->bqhe", scores.softmax(-1), vv)
    out = torch.einsum("bqhe,hed->bqd", z, w["blocks.0.attn.W_O"]) + w["blocks.0.attn.b_O"]
    logits = ((resid + out) @ w["unembed.W_U"] + w["unembed.b_U"])[:, -1, :]
    label = tokens.max(dim=1).values
    argmax = int((logits.argmax(dim=1) == label).sum())
    right = logits.gather(1, label[:, None])
    others = logits.scatter(1, label[:, None], -float("inf"))
    strict = int((right[:, 0] > others.max(dim=1).values).sum())
    return len(tokens), argmax, strict


def run(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


def export_error(sd, name):
    path = os.path.join(work, name + ".pt")
    torch.save(sd, path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = exporter.main([path, os.path.join(work, name + ".safetensors")])
    return code, err.getvalue()


# Round trips: TransformerLens float32 with non-zero biases; float64 without biases, wrapped.
for tag, (v, k, d, h, seed, biases, dtype, wrap) in {
        "f32-biases": (7, 3, 8, 4, 1, True, torch.float32, False),
        "f64-wrapped": (5, 4, 6, 3, 2, False, torch.float64, True),
        "f32-biases-b": (6, 3, 5, 5, 3, True, torch.float32, False)}.items():
    sd = state_dict(v, k, d, h, seed, biases, dtype)
    pt = os.path.join(work, tag + ".pt")
    out = os.path.join(work, tag + ".safetensors")
    torch.save({"state_dict": sd} if wrap else sd, pt)
    check(exporter.main([pt, out, "--k", str(k), "--vocab", str(v)]) == 0, f"{tag}: exported")
    total, argmax, strict = torch_counts(sd, v, k)
    r = run(mechcert, "eval", out, "--json", "--quiet", "--threads", "1")
    check(r.returncode == 0, f"{tag}: mechcert eval reads the exported file ({r.stderr.strip()})")
    if r.returncode == 0:
        j = json.loads(r.stdout)
        check((j["total"], j["argmax_correct"], j["strict_correct"]) == (total, argmax, strict),
              f"{tag}: mechcert eval {j['total']}/{j['argmax_correct']}/{j['strict_correct']} == "
              f"torch {total}/{argmax}/{strict} (inputs / argmax / strict)")
    cert = os.path.join(work, tag + ".cert.json")
    for strategy in ("brute-force", "cubic"):
        r = run(mechcert, "prove", out, "--strategy", strategy, "--out", cert, "--quiet", "--threads", "1")
        check(r.returncode == 0, f"{tag}: prove {strategy} ({r.stderr.strip()})")
        r = run(checker, out, cert, "--json", "--threads", "1")
        ok = r.returncode == 0 and json.loads(r.stdout)["valid"]
        check(ok, f"{tag}: mechcert-check accepts {strategy} ({r.stderr.strip()})")
        if ok:
            certified = int(json.loads(r.stdout)["certified"])
            check(certified <= strict, f"{tag}: {strategy} certifies {certified} <= torch strict {strict}")
            if strategy == "brute-force":
                check(certified == strict, f"{tag}: brute force certifies exactly torch's strict count")

# Clear errors for broken state_dicts: exit 2, one line naming the tensor.
good = state_dict(5, 3, 4, 2, 9, True, torch.float32)
missing = dict(good)
del missing["blocks.0.attn.W_K"]
misshaped = dict(good, **{"blocks.0.attn.W_K": torch.zeros(1, 4, 3)})
extra = dict(good, **{"ln_final.w": torch.ones(4)})
heads = dict(good, **{n: torch.zeros(2, *good[n].shape[1:]) for n in
                      ("blocks.0.attn.W_Q", "blocks.0.attn.W_K", "blocks.0.attn.W_V")})
nan = dict(good, **{"unembed.b_U": torch.tensor([0.0, 1.0, float("nan"), 0.0, 0.0])})
for name, sd, want in [
        ("missing", missing, "tensor 'blocks.0.attn.W_K': missing (required weight)"),
        ("misshaped", misshaped, "tensor 'blocks.0.attn.W_K': shape [1, 4, 3], expected [1, 4, 2]"),
        ("extra", extra, "tensor 'ln_final.w': unknown tensor"),
        ("two-heads", heads, "n_heads = 2, only 1 head is supported"),
        ("nan", nan, "tensor 'unembed.b_U': non-finite value at flat index 2"),
        ("not-a-dict", [torch.zeros(3)], "not a state_dict")]:
    code, err = export_error(sd, name)
    check(code == 2 and want in err and err.count("\n") == 1, f"{name}: exit 2 with '{want}' (got {code}: {err.strip()})")
    check(not os.path.exists(os.path.join(work, name + ".safetensors")), f"{name}: no output written")
with open(os.path.join(work, "garbage.pt"), "wb") as f:
    f.write(b"not a checkpoint")
err = io.StringIO()
with contextlib.redirect_stderr(err):
    code = exporter.main([os.path.join(work, "garbage.pt"), os.path.join(work, "garbage.safetensors")])
check(code == 2 and "not a torch.save file" in err.getvalue(), "garbage: not a torch.save file")
err = io.StringIO()
with contextlib.redirect_stderr(err):
    code = exporter.main([os.path.join(work, "f32-biases.pt"), os.path.join(work, "x.safetensors"), "--k", "4"])
check(code == 2 and "--k 4 disagrees with tensor 'pos_embed.W_pos'" in err.getvalue(), "--k that disagrees")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
