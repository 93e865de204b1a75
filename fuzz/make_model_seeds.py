#!/usr/bin/env python3
"""Writes the seed corpus of the model-reader fuzz target (fuzz/corpus/model/): a few tiny valid
Max-of-K models in safetensors (F32 and F64, with and without the ignored buffers) and one
malformed variant per validation rule of SPEC.md section 1. Standard library only, so
the seeds do not depend on the code under test.

    python3 fuzz/make_model_seeds.py [OUT_DIR]      # default: fuzz/corpus/model
"""
import json
import os
import struct
import sys


def tensors_for(v, k, d, dh, scale=0.25):
    """TransformerLens names and shapes; deterministic small values (exact in float32)."""
    def vals(n, off):
        return [((i * 7 + off) % 11 - 5) * scale for i in range(n)]
    t = {
        "embed.W_E": ([v, d], vals(v * d, 1)),
        "pos_embed.W_pos": ([k, d], vals(k * d, 2)),
        "blocks.0.attn.W_Q": ([1, d, dh], vals(d * dh, 3)),
        "blocks.0.attn.W_K": ([1, d, dh], vals(d * dh, 4)),
        "blocks.0.attn.W_V": ([1, d, dh], vals(d * dh, 5)),
        "blocks.0.attn.W_O": ([1, dh, d], vals(dh * d, 6)),
        "blocks.0.attn.b_Q": ([1, dh], [0.0] * dh),
        "blocks.0.attn.b_K": ([1, dh], [0.0] * dh),
        "blocks.0.attn.b_V": ([1, dh], [0.0] * dh),
        "blocks.0.attn.b_O": ([d], [0.0] * d),
        "unembed.W_U": ([d, v], vals(d * v, 7)),
        "unembed.b_U": ([v], [0.0] * v),
    }
    return t


def encode(tensors, metadata, dtype="F32", header_patch=None, data_patch=None, pad=True):
    fmt, size = {"F32": ("<f", 4), "F64": ("<d", 8)}[dtype]
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, (shape, values) in tensors.items():
        blob = b"".join(struct.pack(fmt, x) for x in values)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    if header_patch:
        header_patch(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    if data_patch:
        data = data_patch(data)
    return struct.pack("<Q", len(text)) + text + data


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "model")
    os.makedirs(out, exist_ok=True)
    meta = {"task": "max-of-k", "k": "2", "vocab": "3", "seed": "1"}
    small = tensors_for(3, 2, 2, 2)
    seeds = {}
    seeds["valid_v3k2_f32"] = encode(small, meta)
    seeds["valid_v3k2_f64"] = encode(small, meta, "F64")
    seeds["valid_v4k3_d3_f32"] = encode(tensors_for(4, 3, 3, 3), dict(meta, k="3", vocab="4"))
    buf = dict(small)
    buf["blocks.0.attn.mask"] = ([2, 2], [1.0, 0.0, 1.0, 1.0])
    buf["blocks.0.attn.IGNORE"] = ([], [-1e5])
    seeds["valid_with_buffers"] = encode(buf, meta)
    seeds["no_metadata"] = encode(small, None)
    seeds["header_len_huge"] = struct.pack("<Q", 2**64 - 1) + seeds["valid_v3k2_f32"][8:]
    seeds["header_len_past_eof"] = struct.pack("<Q", 10**6) + seeds["valid_v3k2_f32"][8:]
    seeds["truncated_data"] = seeds["valid_v3k2_f32"][:-3]
    seeds["trailing_byte"] = seeds["valid_v3k2_f32"] + b"\0"
    seeds["short_file"] = b"\x05\0\0"

    # duplicate key: json.dumps cannot emit one, so splice it into the header text
    text = encode(small, meta)
    hlen = struct.unpack("<Q", text[:8])[0]
    htext = text[8:8 + hlen].rstrip(b" ")
    dupkey = htext[:-1] + b',"unembed.b_U":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}'
    dupkey += b" " * (-len(dupkey) % 8)
    seeds["duplicate_key"] = struct.pack("<Q", len(dupkey)) + dupkey + text[8 + hlen:]

    def gap(h):
        h["unembed.b_U"]["data_offsets"] = [h["unembed.b_U"]["data_offsets"][0] + 4,
                                            h["unembed.b_U"]["data_offsets"][1] + 4]
    seeds["offset_gap"] = encode(small, meta, header_patch=gap, data_patch=lambda d: d + b"\0" * 4)

    def overlap(h):
        h["unembed.b_U"]["data_offsets"] = [0, 12]
    seeds["offset_overlap"] = encode(small, meta, header_patch=overlap)

    def bad_len(h):
        h["embed.W_E"]["shape"] = [3, 3]
    seeds["shape_numel_mismatch"] = encode(small, meta, header_patch=bad_len)

    def huge_shape(h):
        h["embed.W_E"]["shape"] = [2**62, 2**62]
    seeds["shape_overflow"] = encode(small, meta, header_patch=huge_shape)

    def neg_shape(h):
        h["embed.W_E"]["shape"] = [-3, -2]
    seeds["shape_negative"] = encode(small, meta, header_patch=neg_shape)

    def bf16(h):  # a known safetensors dtype the model reader does not accept
        h["embed.W_E"]["dtype"] = "BF16"
        h["embed.W_E"]["shape"] = [3, 4]
    seeds["bf16_dtype"] = encode(small, meta, header_patch=bf16)

    def bad_dtype(h):
        h["embed.W_E"]["dtype"] = "Q7"
    seeds["unknown_dtype"] = encode(small, meta, header_patch=bad_dtype)

    def mixed_dtype(h):
        h["embed.W_E"]["dtype"] = "F64"
        h["embed.W_E"]["shape"] = [3]
    seeds["mixed_dtype"] = encode(small, meta, header_patch=mixed_dtype)

    seeds["missing_tensor"] = encode({n: t for n, t in small.items() if n != "unembed.W_U"}, meta)

    def extra(h):
        h["blocks.0.mlp.W_in"] = {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}
    seeds["extra_tensor"] = encode(small, meta, header_patch=extra)

    nan = dict(small)
    nan["embed.W_E"] = ([3, 2], [float("nan")] + small["embed.W_E"][1][1:])
    seeds["nan_weight"] = encode(nan, meta)
    inf = dict(small)
    inf["unembed.W_U"] = ([2, 3], [float("inf")] + small["unembed.W_U"][1][1:])
    seeds["inf_weight"] = encode(inf, meta)
    bias = dict(small)
    bias["unembed.b_U"] = ([3], [0.0, 0.5, 0.0])
    seeds["nonzero_bias"] = encode(bias, meta)
    seeds["metadata_k_mismatch"] = encode(small, dict(meta, k="3"))
    seeds["metadata_k_garbage"] = encode(small, dict(meta, k="2x"))
    seeds["metadata_k_huge"] = encode(small, dict(meta, k="99999999999999999999"))
    seeds["metadata_not_string"] = encode(small, {"task": "max-of-k", "k": 2, "vocab": 3})
    seeds["header_not_object"] = struct.pack("<Q", 8) + b"[1,2,3] "
    seeds["header_bad_utf8"] = struct.pack("<Q", 8) + b'{"\xff":1} '
    for name, blob in seeds.items():
        with open(os.path.join(out, name + ".safetensors"), "wb") as f:
            f.write(blob)
    print(f"wrote {len(seeds)} seeds to {out}")


if __name__ == "__main__":
    main()
