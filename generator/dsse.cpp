// DSSE v1 envelopes (dsse.hpp): PAE, then libsodium Ed25519 over it.
#include "generator/dsse.hpp"

#include <array>
#include <cstring>

#include <nlohmann/json.hpp>

namespace mechcert {
namespace {

std::string canonical_envelope(const std::string& payload_b64, std::string_view type,
                               const std::string& keyid, const std::string& sig_b64) {
  const nlohmann::json j = {{"payload", payload_b64},
                            {"payloadType", std::string(type)},
                            {"signatures", nlohmann::json::array({{{"keyid", keyid}, {"sig", sig_b64}}})}};
  return j.dump() + "\n";  // nlohmann orders object keys, so the form is unique
}

}  // namespace

std::string dsse_pae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

std::string make_envelope(const MinisignSecretKey& key, std::string_view payload_type,
                          std::string_view payload) {
  const auto sig = ed25519_sign(key, dsse_pae(payload_type, payload));
  return canonical_envelope(base64_encode(payload), payload_type, key_id_hex(key.key_id),
                            base64_encode({reinterpret_cast<const char*>(sig.data()), sig.size()}));
}

std::string verify_envelope(const MinisignPublicKey& key, std::string_view envelope_text,
                            std::string_view expected_type, const std::string& what) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(envelope_text);
  } catch (const nlohmann::json::exception&) {
    throw SignatureError(what + ": not a DSSE envelope (not JSON)");
  }
  const auto bad = [&](const std::string& why) { return SignatureError(what + ": " + why); };
  if (!j.is_object() || j.size() != 3 || !j.contains("payload") || !j["payload"].is_string() ||
      !j.contains("payloadType") || !j["payloadType"].is_string() || !j.contains("signatures") ||
      !j["signatures"].is_array())
    throw bad("not a DSSE envelope (expected exactly payload, payloadType, signatures)");
  if (j["signatures"].size() != 1)
    throw bad("expected exactly one signature, found " + std::to_string(j["signatures"].size()));
  const nlohmann::json& s = j["signatures"][0];
  if (!s.is_object() || s.size() != 2 || !s.contains("keyid") || !s["keyid"].is_string() ||
      !s.contains("sig") || !s["sig"].is_string())
    throw bad("signatures[0]: expected exactly keyid and sig (strings)");
  const std::string payload_b64 = j["payload"], type = j["payloadType"];
  const std::string keyid = s["keyid"], sig_b64 = s["sig"];
  if (canonical_envelope(payload_b64, type, keyid, sig_b64) != envelope_text)
    throw bad("envelope is not in the canonical form mechcert writes (compact JSON, sorted keys, "
              "one final newline)");
  if (type != expected_type)
    throw bad("payloadType is '" + type + "', expected '" + std::string(expected_type) + "'");
  if (!key_id_text_matches(keyid, key.key_id))
    throw bad("signed by key " + keyid + ", expected key " + key_id_hex(key.key_id));
  std::string payload, sig_bytes;
  if (!base64_decode(payload_b64, payload)) throw bad("payload is not valid base64");
  if (!base64_decode(sig_b64, sig_bytes) || sig_bytes.size() != 64)
    throw bad("signatures[0].sig is not a base64 Ed25519 signature");
  std::array<uint8_t, 64> sig{};
  std::memcpy(sig.data(), sig_bytes.data(), 64);
  if (!ed25519_verify(key, dsse_pae(type, payload), sig))
    throw bad("DSSE signature verification failed (the envelope was changed, or signed by another "
              "key)");
  return payload;
}

}  // namespace mechcert
