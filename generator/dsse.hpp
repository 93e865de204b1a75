// DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1.0) with Ed25519 from libsodium.
// The signature is over PAE(payloadType, payload) =
//   "DSSEv1" SP LEN(payloadType) SP payloadType SP LEN(payload) SP payload
// (LEN: decimal byte count, no leading zeros). The envelope is JSON:
//   {"payload": base64(payload), "payloadType": T, "signatures": [{"keyid": ID, "sig": base64(sig)}]}
// mechcert writes it compact with sorted keys and a final newline, and `verify_envelope` accepts
// exactly that form (SPEC.md §8.3), so that any changed byte is detected.
#pragma once
#include <string>
#include <string_view>

#include "generator/minisign.hpp"

namespace mechcert {

std::string dsse_pae(std::string_view payload_type, std::string_view payload);

// One-signature envelope; keyid = minisign key id (key_id_hex).
std::string make_envelope(const MinisignSecretKey& key, std::string_view payload_type,
                          std::string_view payload);

// Checks the envelope's form, its payloadType (must equal `expected_type`), that it has exactly
// one signature, by `key` (keyid), and that the signature verifies; returns the payload bytes.
// Throws SignatureError naming `what`.
std::string verify_envelope(const MinisignPublicKey& key, std::string_view envelope_text,
                            std::string_view expected_type, const std::string& what);

}  // namespace mechcert
