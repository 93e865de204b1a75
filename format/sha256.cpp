// SHA-256 through libsodium. The model's identity (SPEC.md "Model files") is the hash of the exact
// bytes of its file, so this is the only place that turns bytes into an identity.
#include "format/sha256.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "format/errors.hpp"

namespace mechcert {
namespace {

// sodium_init() is idempotent and thread-safe, but we call it once anyway (function-local static).
void ensure_sodium() {
  static const int status = sodium_init();  // 0 = initialised now, 1 = already initialised
  if (status < 0) throw std::runtime_error("libsodium: sodium_init failed");
}

std::string to_hex(const unsigned char (&digest)[crypto_hash_sha256_BYTES]) {
  static const char digits[] = "0123456789abcdef";
  std::string hex(2 * crypto_hash_sha256_BYTES, '0');
  for (size_t i = 0; i < crypto_hash_sha256_BYTES; ++i) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 0x0f];
  }
  return hex;
}

}  // namespace

std::string sha256_hex(const uint8_t* data, size_t size) {
  ensure_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  // crypto_hash_sha256_update takes an unsigned long long length; feed in chunks to be safe on any
  // platform where size_t is wider.
  const size_t chunk = size_t{1} << 30;
  for (size_t done = 0; done < size; done += chunk) {
    const size_t n = size - done < chunk ? size - done : chunk;
    crypto_hash_sha256_update(&state, data + done, static_cast<unsigned long long>(n));
  }
  crypto_hash_sha256_final(&state, digest);
  return to_hex(digest);
}

std::string sha256_hex(const std::vector<uint8_t>& bytes) {
  return sha256_hex(bytes.data(), bytes.size());
}

std::string sha256_file_hex(const std::string& path) {
  ensure_sodium();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open file: " + std::strerror(errno));
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buffer(size_t{1} << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buffer.data()),
                                static_cast<unsigned long long>(got));
    }
  }
  if (in.bad()) throw FormatError(path + ": cannot read file");
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return to_hex(digest);
}

}  // namespace mechcert
