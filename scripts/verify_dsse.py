#!/usr/bin/env python3
"""Independent verifier of a mechcert bundle's DSSE attestation (SPEC.md section 8.5).

Shares no code with mechcert: it reads the minisign public key (base64 of "Ed" || key id[8] ||
Ed25519 key[32]), computes DSSE's PAE itself, verifies the Ed25519 signature with
securesystemslib (Debian's python3-securesystemslib), then checks the in-toto Statement v1: its
type, the predicate type and that the subjects' SHA-256 digests match the files.

usage: /usr/bin/python3 scripts/verify_dsse.py BUNDLE [--pub KEY.pub] [--model MODEL]
exit: 0 verified, 1 signature or digest check failed, 2 usage error or unreadable file.
"""
import argparse
import base64
import binascii
import hashlib
import json
import os
import sys

from securesystemslib.signer import Signature, SSlibKey
from securesystemslib.exceptions import UnverifiedSignatureError, VerificationError

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://mechcert.dev/attestation/verified-bound/v1"


class Failed(Exception):
    pass


def pae(payload_type: bytes, payload: bytes) -> bytes:
    # DSSE v1: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
    return b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type, len(payload), payload)


def b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise Failed(f"bad base64: {e}")


def read_minisign_public_key(path: str):
    lines = open(path, "rb").read().decode("ascii", "strict").split("\n")
    if len(lines) < 2 or not lines[0].startswith("untrusted comment: "):
        raise Failed(f"{path}: not a minisign public key")
    raw = b64(lines[1].strip())
    if len(raw) != 42 or raw[:2] != b"Ed":
        raise Failed(f"{path}: not an Ed25519 minisign public key")
    key_id = "%X" % int.from_bytes(raw[2:10], "little")  # as minisign prints it (PRIX64)
    return key_id, raw[10:42]


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(bundle: str, pub: str, model: str) -> str:
    key_id, raw_key = read_minisign_public_key(pub)
    key = SSlibKey(key_id, "ed25519", "ed25519", {"public": raw_key.hex()})
    env = json.loads(open(os.path.join(bundle, "attestation.dsse.json"), "rb").read())
    if env.get("payloadType") != PAYLOAD_TYPE:
        raise Failed(f"payloadType is {env.get('payloadType')!r}")
    payload = b64(env["payload"])
    good = False
    for s in env.get("signatures", []):
        # mechcert 0.1.0 wrote the id with leading zeros (16 digits)
        if s.get("keyid") not in (key_id, key_id.rjust(16, "0")):
            continue
        try:
            key.verify_signature(Signature(key_id, b64(s["sig"]).hex()),
                                 pae(PAYLOAD_TYPE.encode(), payload))
            good = True
        except (UnverifiedSignatureError, VerificationError):
            pass
    if not good:
        raise Failed(f"no valid DSSE signature by key {key_id}")
    st = json.loads(payload)
    if st.get("_type") != STATEMENT_TYPE or st.get("predicateType") != PREDICATE_TYPE:
        raise Failed("not a mechcert in-toto Statement v1")
    files = {"certificate.json": os.path.join(bundle, "certificate.json"), "model.safetensors": model}
    names = [s["name"] for s in st["subject"]]
    if sorted(names) != sorted(files):
        raise Failed(f"unexpected subjects {names}")
    for s in st["subject"]:
        path = files[s["name"]]
        if path is None:
            continue  # no model given and none bundled: its digest cannot be checked here
        if sha256_file(path) != s["digest"]["sha256"]:
            raise Failed(f"{path}: sha256 does not match the statement's subject {s['name']}")
    b = st["predicate"]["bound"]
    return (f"DSSE signature: good, key {key_id}; subjects match; "
            f"signed bound >= {b['num']}/{b['den']} (strategy {st['predicate']['strategy']})"
            + ("" if model else "; model digest not checked (give --model)"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle")
    ap.add_argument("--pub", help="trusted minisign public key (default: BUNDLE/mechcert.pub)")
    ap.add_argument("--model", help="model file (default: BUNDLE/model.safetensors if present)")
    a = ap.parse_args()
    pub = a.pub or os.path.join(a.bundle, "mechcert.pub")
    model = a.model
    if model is None and os.path.exists(os.path.join(a.bundle, "model.safetensors")):
        model = os.path.join(a.bundle, "model.safetensors")
    try:
        print(verify(a.bundle, pub, model))
        return 0
    except OSError as e:
        print(f"verify_dsse: {e}", file=sys.stderr)
        return 2
    except (Failed, KeyError, TypeError, ValueError, AttributeError) as e:
        print(f"verify_dsse: FAILED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
