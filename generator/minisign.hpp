// minisign's file formats (key pairs and signatures), so that Debian's `minisign` reads what
// `mechcert keygen` and `mechcert sign` write, and `mechcert` reads minisign's own (unencrypted)
// keys. All cryptography is libsodium's: Ed25519 (crypto_sign_*), BLAKE2b (crypto_generichash),
// base64 (sodium_bin2base64 / sodium_base642bin, standard alphabet with padding). SPEC.md §8.2.
//
//   public key   "untrusted comment: minisign public key <ID>\n" base64("Ed" keyid[8] pk[32]) "\n"
//   secret key   "untrusted comment: <text>\n" base64("Ed" kdf[2] "B2" salt[32] ops[8] mem[8]
//                                                     keyid[8] sk[64] chk[32]) "\n"
//                (kdf "\0\0": unencrypted, as `minisign -G -W`; chk = BLAKE2b-256("Ed" keyid sk))
//   signature    "untrusted comment: <text>\n" base64("ED" keyid[8] sig[64]) "\n"
//                "trusted comment: <text>\n" base64(global_sig[64]) "\n"
//                (sig over BLAKE2b-512(file), global_sig over sig || trusted comment)
// <ID> is the key id as minisign prints it: 16 upper-case hex digits of the little-endian uint64.
#pragma once
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mechcert {

// A key or signature file that is malformed, or a signature that does not verify. One line.
struct SignatureError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using KeyId = std::array<uint8_t, 8>;

struct MinisignPublicKey {
  KeyId key_id{};
  std::array<uint8_t, 32> pk{};
};

struct MinisignSecretKey {
  KeyId key_id{};
  std::array<uint8_t, 64> sk{};  // libsodium's Ed25519 secret key: seed[32] || pk[32]
  MinisignPublicKey public_key() const;
};

// "1A2B3C4D5E6F7081": minisign's rendering of a key id.
// The key id as minisign prints it: upper-case hex of the little-endian uint64, no leading zeros.
std::string key_id_hex(const KeyId& id);
// The same with leading zeros (16 digits), as mechcert 0.1.0 wrote it.
std::string key_id_hex_padded(const KeyId& id);
// Either form names this id.
bool key_id_text_matches(std::string_view text, const KeyId& id);

// A fresh key pair with a random key id (libsodium's CSPRNG).
MinisignSecretKey generate_secret_key();

// The exact bytes `minisign -G` writes for a public key; parse accepts exactly that form (any other
// byte, even in the untrusted comment, is rejected so that a bundle's key file is tamper-evident).
std::string format_public_key(const MinisignPublicKey& key);
MinisignPublicKey parse_public_key(std::string_view text, const std::string& what);

// Unencrypted minisign secret key (kdf "\0\0"). parse also accepts `minisign -G -W` keys (whose
// checksum is all zero) and checks that the secret key's public half matches its seed; an
// encrypted key (kdf "Sc") is refused with a hint.
std::string format_secret_key(const MinisignSecretKey& key);
MinisignSecretKey parse_secret_key(std::string_view text, const std::string& what);

// A prehashed ("ED") minisign signature of `message`. The comments must be one printable line.
std::string sign_minisig(const MinisignSecretKey& key, std::string_view message,
                         const std::string& untrusted_comment, const std::string& trusted_comment);

struct VerifiedMinisig {
  KeyId key_id{};
  std::string untrusted_comment;
  std::string trusted_comment;  // authenticated by the global signature
};

// Verifies a signature file against `message` and `key` (key id, signature, then the global
// signature over the trusted comment). Only the prehashed "ED" algorithm is accepted. Throws
// SignatureError naming `what`.
VerifiedMinisig verify_minisig(const MinisignPublicKey& key, std::string_view message,
                               std::string_view signature_text, const std::string& what);

// Standard base64 with padding (libsodium), strict: no whitespace, canonical padding bits.
std::string base64_encode(std::string_view bytes);
bool base64_decode(std::string_view text, std::string& bytes);

// libsodium's Ed25519 on raw bytes (for DSSE).
std::array<uint8_t, 64> ed25519_sign(const MinisignSecretKey& key, std::string_view message);
bool ed25519_verify(const MinisignPublicKey& key, std::string_view message,
                    const std::array<uint8_t, 64>& sig);

}  // namespace mechcert
