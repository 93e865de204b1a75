#!/usr/bin/python3
"""Export a TransformerLens HookedTransformer state_dict (torch.save) as a mechcert model file.

    /usr/bin/python3 scripts/export_transformerlens.py STATE_DICT.pt OUT.safetensors [--k K] [--vocab V]

Reads a 1-layer, 1-head, attention-only HookedTransformer state_dict (also one wrapped as
{"state_dict": ...} or {"model_state_dict": ...}, and with the blocks.0.attn.mask / IGNORE buffers,
which are dropped), checks every name and shape against SPEC.md 1.2, and writes a safetensors file
with __metadata__ (task max-of-k, k, vocab) that `mechcert` and `mechcert-check` read. Values are
copied exactly: float32 and float64 stay as they are; float16 and bfloat16 widen exactly to float32.
Needs Debian's python3-torch (hence /usr/bin/python3). Writes to a temporary name and renames, so
a kill never leaves a half-written model. Exit codes: 0 written, 2 bad input (one line on stderr).
"""
import argparse
import json
import math
import os
import struct
import sys

PROG = "export_transformerlens"

REQUIRED = ["embed.W_E", "pos_embed.W_pos", "blocks.0.attn.W_Q", "blocks.0.attn.W_K",
            "blocks.0.attn.W_V", "blocks.0.attn.W_O", "unembed.W_U"]
BIASES = ["blocks.0.attn.b_Q", "blocks.0.attn.b_K", "blocks.0.attn.b_V", "blocks.0.attn.b_O",
          "unembed.b_U"]


class ExportError(Exception):
    pass


def is_ignored_buffer(name):
    return name.endswith(".mask") or name.endswith(".IGNORE")


def expected_shapes(v, d, h, k, v_out):
    return {"embed.W_E": [v, d], "pos_embed.W_pos": [k, d],
            "blocks.0.attn.W_Q": [1, d, h], "blocks.0.attn.W_K": [1, d, h],
            "blocks.0.attn.W_V": [1, d, h], "blocks.0.attn.W_O": [1, h, d],
            "unembed.W_U": [d, v_out], "blocks.0.attn.b_Q": [1, h], "blocks.0.attn.b_K": [1, h],
            "blocks.0.attn.b_V": [1, h], "blocks.0.attn.b_O": [d], "unembed.b_U": [v_out]}


def unwrap(obj, path):
    """The tensor dict inside what torch.load returned."""
    import torch
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict):
        raise ExportError(f"{path}: not a state_dict (a dict of tensors), but {type(obj).__name__}")
    for name, value in obj.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise ExportError(f"{path}: entry {name!r} is not a tensor (expected a state_dict)")
    return obj


def checked_tensors(sd, path, k_override=None, v_override=None):
    """name -> (dtype string, shape, little-endian bytes), validated like SPEC.md 1.2."""
    import torch
    for name in sd:
        if name not in REQUIRED and name not in BIASES and not is_ignored_buffer(name):
            raise ExportError(f"{path}: tensor '{name}': unknown tensor (expected a 1-layer, 1-head, "
                              "attention-only TransformerLens model)")
    for name in REQUIRED:
        if name not in sd:
            raise ExportError(f"{path}: tensor '{name}': missing (required weight)")

    def shape(name):
        return list(sd[name].shape)

    for name, rank, what in [("embed.W_E", 2, "[d_vocab, d_model]"),
                             ("blocks.0.attn.W_Q", 3, "[n_heads, d_model, d_head]"),
                             ("pos_embed.W_pos", 2, "[n_ctx, d_model]"),
                             ("unembed.W_U", 2, "[d_model, d_vocab_out]")]:
        if len(shape(name)) != rank:
            raise ExportError(f"{path}: tensor '{name}': shape {shape(name)}, expected {what}")
    v, d = shape("embed.W_E")
    n_heads, _, h = shape("blocks.0.attn.W_Q")
    k = shape("pos_embed.W_pos")[0]
    v_out = shape("unembed.W_U")[1]
    if n_heads != 1:
        raise ExportError(f"{path}: tensor 'blocks.0.attn.W_Q': n_heads = {n_heads}, only 1 head is "
                          "supported")
    want = expected_shapes(v, d, h, k, v_out)
    dims = f" (d_vocab {v}, d_model {d}, d_head {h}, n_ctx {k}, d_vocab_out {v_out})"
    for name, expected in want.items():
        if name in sd and shape(name) != expected:
            raise ExportError(f"{path}: tensor '{name}': shape {shape(name)}, expected {expected}{dims}")
    if k_override is not None and k_override != k:
        raise ExportError(f"{path}: --k {k_override} disagrees with tensor 'pos_embed.W_pos' "
                          f"shape {shape('pos_embed.W_pos')}")
    if v_override is not None and v_override != v:
        raise ExportError(f"{path}: --vocab {v_override} disagrees with tensor 'embed.W_E' "
                          f"shape {shape('embed.W_E')}")
    if v_out != v:
        raise ExportError(f"{path}: tensor 'unembed.W_U': max-of-k needs d_vocab_out = d_vocab = {v}")

    # One dtype for the file: float64 if any weight is float64, else float32 (exact widening).
    names = [n for n in REQUIRED + BIASES if n in sd]
    for name in names:
        if sd[name].dtype not in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
            raise ExportError(f"{path}: tensor '{name}': dtype {sd[name].dtype} is not a float dtype")
    wide = any(sd[name].dtype == torch.float64 for name in names)
    out = {}
    for name in names:
        t = sd[name].detach().cpu().to(torch.float64 if wide else torch.float32).contiguous()
        if not bool(torch.isfinite(t).all()):
            flat = t.reshape(-1)
            index = int((~torch.isfinite(flat)).nonzero()[0])
            raise ExportError(f"{path}: tensor '{name}': non-finite value at flat index {index}")
        array = t.numpy().astype("<f8" if wide else "<f4", copy=False)
        out[name] = ("F64" if wide else "F32", list(t.shape), array.tobytes())
    return out, k, v


def safetensors_bytes(tensors, metadata):
    """The safetensors container: 8-byte header length, JSON header padded to 8, data."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    offset = 0
    order = sorted(tensors)
    for name in order:
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(tensors[n][2] for n in order)


def export(state_dict_path, out_path, k=None, vocab=None):
    import torch
    try:
        try:
            obj = torch.load(state_dict_path, map_location="cpu", weights_only=True)
        except TypeError:  # an older torch without weights_only
            obj = torch.load(state_dict_path, map_location="cpu")
    except FileNotFoundError:
        raise ExportError(f"{state_dict_path}: cannot read (no such file)")
    except Exception as e:  # torch raises many kinds for a file that is not a checkpoint
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ExportError(f"{state_dict_path}: not a torch.save file ({first})")
    sd = unwrap(obj, state_dict_path)
    tensors, k_found, v_found = checked_tensors(sd, state_dict_path, k, vocab)
    metadata = {"task": "max-of-k", "k": str(k_found), "vocab": str(v_found),
                "exporter": "mechcert scripts/export_transformerlens.py"}
    data = safetensors_bytes(tensors, metadata)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out_path)
    return tensors


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG, description="Export a TransformerLens HookedTransformer state_dict (torch.save) "
        "as a mechcert model file (safetensors with metadata).")
    parser.add_argument("state_dict", help="STATE_DICT.pt written by torch.save(model.state_dict(), ...)")
    parser.add_argument("out", help="OUT.safetensors")
    parser.add_argument("--k", type=int, help="sequence length (must equal n_ctx of W_pos)")
    parser.add_argument("--vocab", type=int, help="vocabulary size (must equal d_vocab of W_E)")
    args = parser.parse_args(argv)
    try:
        tensors = export(args.state_dict, args.out, args.k, args.vocab)
    except ExportError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG}: {args.out}: cannot write ({e.strerror})", file=sys.stderr)
        return 2
    print(f"{PROG}: wrote {args.out} ({len(tensors)} tensors)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
