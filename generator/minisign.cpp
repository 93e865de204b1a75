// minisign's key and signature formats over libsodium (minisign.hpp). The layouts follow minisign's
// own source (src/minisign.h: SeckeyStruct, PubkeyStruct, SigStruct); nothing here is new crypto.
#include "generator/minisign.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace mechcert {
namespace {

constexpr std::string_view kComment = "untrusted comment: ";
constexpr std::string_view kTrusted = "trusted comment: ";
constexpr size_t kPublicBytes = 2 + 8 + 32;                          // "Ed" keyid pk
constexpr size_t kSecretBytes = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;  // 158
constexpr size_t kSigBytes = 2 + 8 + 64;                             // "ED" keyid sig
constexpr size_t kTrustedMax = 8192 - kTrusted.size() - 1;           // minisign's limit

void ensure_sodium() {
  static const int status = sodium_init();
  if (status < 0) throw std::runtime_error("libsodium: sodium_init failed");
}

// Splits `text` into lines that each end in '\n'; false if the last line is not terminated and
// `last_may_be_open` is false.
bool split_lines(std::string_view text, std::vector<std::string_view>& lines, bool last_may_be_open) {
  lines.clear();
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      if (!last_may_be_open) return false;
      lines.push_back(text.substr(start));
      return true;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return true;
}

bool printable_line(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::array<uint8_t, 64> blake2b_512(std::string_view message) {
  ensure_sodium();
  std::array<uint8_t, 64> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size(), nullptr, 0);
  return h;
}

std::array<uint8_t, 32> secret_checksum(const MinisignSecretKey& key) {
  ensure_sodium();
  std::array<uint8_t, 32> chk{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, chk.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>("Ed"), 2);
  crypto_generichash_update(&st, key.key_id.data(), key.key_id.size());
  crypto_generichash_update(&st, key.sk.data(), key.sk.size());
  crypto_generichash_final(&st, chk.data(), chk.size());
  return chk;
}

std::string_view as_view(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

std::string key_id_hex_padded(const KeyId& id) {
  static const char digits[] = "0123456789ABCDEF";
  std::string s(16, '0');
  for (size_t i = 0; i < 8; ++i) {  // little-endian uint64 printed most significant first
    const uint8_t b = id[7 - i];
    s[2 * i] = digits[b >> 4];
    s[2 * i + 1] = digits[b & 0x0f];
  }
  return s;
}

std::string key_id_hex(const KeyId& id) {
  // minisign prints the id with "%" PRIX64: no leading zeros (1 key in 16 has one).
  const std::string padded = key_id_hex_padded(id);
  const size_t first = padded.find_first_not_of('0');
  return first == std::string::npos ? "0" : padded.substr(first);
}

bool key_id_text_matches(std::string_view text, const KeyId& id) {
  return text == key_id_hex(id) || text == key_id_hex_padded(id);
}

std::string base64_encode(std::string_view bytes) {
  ensure_sodium();
  const size_t len = sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(len - 1);  // drop the terminating NUL
  return out;
}

bool base64_decode(std::string_view text, std::string& bytes) {
  ensure_sodium();
  bytes.assign(text.size() / 4 * 3 + 3, '\0');
  size_t got = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    bytes.clear();
    return false;
  }
  bytes.resize(got);
  // libsodium rejects non-zero padding bits; re-encoding closes any remaining latitude.
  return base64_encode(bytes) == text;
}

MinisignPublicKey MinisignSecretKey::public_key() const {
  MinisignPublicKey pub;
  pub.key_id = key_id;
  std::memcpy(pub.pk.data(), sk.data() + 32, 32);
  return pub;
}

MinisignSecretKey generate_secret_key() {
  ensure_sodium();
  MinisignSecretKey key;
  std::array<uint8_t, 32> pk{};
  randombytes_buf(key.key_id.data(), key.key_id.size());
  crypto_sign_keypair(pk.data(), key.sk.data());
  return key;
}

std::string format_public_key(const MinisignPublicKey& key) {
  std::string raw = "Ed";
  raw += as_view(key.key_id.data(), key.key_id.size());
  raw += as_view(key.pk.data(), key.pk.size());
  return std::string(kComment) + "minisign public key " + key_id_hex(key.key_id) + "\n" +
         base64_encode(raw) + "\n";
}

MinisignPublicKey parse_public_key(std::string_view text, const std::string& what) {
  std::vector<std::string_view> lines;
  if (!split_lines(text, lines, false) || lines.size() != 2 || !starts_with(lines[0], kComment))
    throw SignatureError(what + ": not a minisign public key (expected an untrusted comment line "
                                "and one base64 line)");
  std::string raw;
  if (!base64_decode(lines[1], raw) || raw.size() != kPublicBytes)
    throw SignatureError(what + ": not a minisign public key (bad base64 or wrong length)");
  if (raw.compare(0, 2, "Ed") != 0)
    throw SignatureError(what + ": unsupported public key algorithm (expected Ed25519, \"Ed\")");
  MinisignPublicKey key;
  std::memcpy(key.key_id.data(), raw.data() + 2, 8);
  std::memcpy(key.pk.data(), raw.data() + 10, 32);
  // mechcert 0.1.0 wrote the id with leading zeros; such files stay readable.
  const std::string legacy = std::string(kComment) + "minisign public key " +
                             key_id_hex_padded(key.key_id) + "\n" + std::string(lines[1]) + "\n";
  if (format_public_key(key) != text && legacy != text)
    throw SignatureError(what + ": public key file is not in minisign's exact form (comment must "
                                "be 'untrusted comment: minisign public key " +
                         key_id_hex(key.key_id) + "')");
  return key;
}

std::string format_secret_key(const MinisignSecretKey& key) {
  std::string raw;
  raw += "Ed";
  raw.append(2, '\0');  // kdf "\0\0": unencrypted
  raw += "B2";
  raw.append(32 + 8 + 8, '\0');  // salt, opslimit, memlimit: unused without a KDF
  raw += as_view(key.key_id.data(), key.key_id.size());
  raw += as_view(key.sk.data(), key.sk.size());
  const auto chk = secret_checksum(key);
  raw += as_view(chk.data(), chk.size());
  return std::string(kComment) + "mechcert secret key " + key_id_hex(key.key_id) +
         " (minisign format, unencrypted)\n" + base64_encode(raw) + "\n";
}

MinisignSecretKey parse_secret_key(std::string_view text, const std::string& what) {
  std::vector<std::string_view> lines;
  if (!split_lines(text, lines, true) || lines.size() != 2 || !starts_with(lines[0], kComment))
    throw SignatureError(what + ": not a minisign secret key (expected an untrusted comment line "
                                "and one base64 line)");
  std::string raw;
  if (!base64_decode(lines[1], raw))
    throw SignatureError(what + ": not a minisign secret key (bad base64, or truncated)");
  if (raw.size() != kSecretBytes)
    throw SignatureError(what + ": not a minisign secret key (" + std::to_string(raw.size()) +
                         " bytes, expected " + std::to_string(kSecretBytes) + "; truncated?)");
  if (raw.compare(0, 2, "Ed") != 0 || raw.compare(4, 2, "B2") != 0)
    throw SignatureError(what + ": unsupported secret key algorithm (expected \"Ed\" and \"B2\")");
  if (raw.compare(2, 2, "Sc") == 0)
    throw SignatureError(what + ": the secret key is password-protected; mechcert reads "
                                "unencrypted keys only (remove the password with "
                                "'minisign -C -W -s " + what + "')");
  if (raw[2] != '\0' || raw[3] != '\0')
    throw SignatureError(what + ": unsupported key derivation function in the secret key");
  MinisignSecretKey key;
  const size_t at = 2 + 2 + 2 + 32 + 8 + 8;
  std::memcpy(key.key_id.data(), raw.data() + at, 8);
  std::memcpy(key.sk.data(), raw.data() + at + 8, 64);
  std::array<uint8_t, 32> chk{};
  std::memcpy(chk.data(), raw.data() + at + 8 + 64, 32);
  // minisign -G -W leaves the checksum zero; ours is the checksum minisign computes for encrypted
  // keys. Either way the seed must reproduce the stored key pair, which catches any corruption.
  const bool zero = std::all_of(chk.begin(), chk.end(), [](uint8_t b) { return b == 0; });
  if (!zero && chk != secret_checksum(key))
    throw SignatureError(what + ": secret key checksum mismatch (corrupted key file)");
  ensure_sodium();
  std::array<uint8_t, 32> pk{};
  std::array<uint8_t, 64> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(), key.sk.data());
  const bool consistent = sodium_memcmp(sk.data(), key.sk.data(), 64) == 0;
  sodium_memzero(sk.data(), sk.size());
  if (!consistent)
    throw SignatureError(what + ": secret key is inconsistent (its public half does not match its "
                                "seed; corrupted key file)");
  return key;
}

std::array<uint8_t, 64> ed25519_sign(const MinisignSecretKey& key, std::string_view message) {
  ensure_sodium();
  std::array<uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), key.sk.data());
  return sig;
}

bool ed25519_verify(const MinisignPublicKey& key, std::string_view message,
                    const std::array<uint8_t, 64>& sig) {
  ensure_sodium();
  return crypto_sign_verify_detached(sig.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.pk.data()) == 0;
}

std::string sign_minisig(const MinisignSecretKey& key, std::string_view message,
                         const std::string& untrusted_comment, const std::string& trusted_comment) {
  if (!printable_line(untrusted_comment) || !printable_line(trusted_comment) ||
      trusted_comment.size() > kTrustedMax)
    throw std::runtime_error("minisign comments must be one printable line");
  const auto hash = blake2b_512(message);
  const auto sig = ed25519_sign(key, as_view(hash.data(), hash.size()));
  std::string sig_struct = "ED";
  sig_struct += as_view(key.key_id.data(), key.key_id.size());
  sig_struct += as_view(sig.data(), sig.size());
  const auto global = ed25519_sign(key, std::string(as_view(sig.data(), sig.size())) + trusted_comment);
  return std::string(kComment) + untrusted_comment + "\n" + base64_encode(sig_struct) + "\n" +
         std::string(kTrusted) + trusted_comment + "\n" +
         base64_encode(as_view(global.data(), global.size())) + "\n";
}

VerifiedMinisig verify_minisig(const MinisignPublicKey& key, std::string_view message,
                               std::string_view signature_text, const std::string& what) {
  std::vector<std::string_view> lines;
  if (!split_lines(signature_text, lines, false) || lines.size() != 4 ||
      !starts_with(lines[0], kComment) || !starts_with(lines[2], kTrusted))
    throw SignatureError(what + ": not a minisign signature (expected 4 lines: untrusted comment, "
                                "signature, trusted comment, global signature)");
  VerifiedMinisig out;
  out.untrusted_comment = std::string(lines[0].substr(kComment.size()));
  out.trusted_comment = std::string(lines[2].substr(kTrusted.size()));
  if (!printable_line(out.untrusted_comment) || !printable_line(out.trusted_comment))
    throw SignatureError(what + ": signature comments contain unprintable characters");
  std::string sig_struct, global;
  if (!base64_decode(lines[1], sig_struct) || sig_struct.size() != kSigBytes ||
      !base64_decode(lines[3], global) || global.size() != 64)
    throw SignatureError(what + ": not a minisign signature (bad base64 or wrong length)");
  if (sig_struct.compare(0, 2, "ED") != 0)
    throw SignatureError(what + ": not a prehashed (\"ED\") minisign signature");
  std::memcpy(out.key_id.data(), sig_struct.data() + 2, 8);
  if (out.key_id != key.key_id)
    throw SignatureError(what + ": signed by key " + key_id_hex(out.key_id) + ", expected key " +
                         key_id_hex(key.key_id));
  std::array<uint8_t, 64> sig{}, gsig{};
  std::memcpy(sig.data(), sig_struct.data() + 10, 64);
  std::memcpy(gsig.data(), global.data(), 64);
  const auto hash = blake2b_512(message);
  if (!ed25519_verify(key, as_view(hash.data(), hash.size()), sig))
    throw SignatureError(what + ": signature verification failed (the file was changed, or signed "
                                "by another key)");
  if (!ed25519_verify(key, std::string(as_view(sig.data(), sig.size())) + out.trusted_comment, gsig))
    throw SignatureError(what + ": trusted comment signature verification failed");
  return out;
}

}  // namespace mechcert
