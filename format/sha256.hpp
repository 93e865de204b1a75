// SHA-256 via libsodium (never hand-rolled). The model's identity is the hash of its file bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mechcert {

std::string sha256_hex(const uint8_t* data, size_t size);      // lowercase hex, 64 chars
std::string sha256_hex(const std::vector<uint8_t>& bytes);
std::string sha256_file_hex(const std::string& path);          // throws FormatError if unreadable

}  // namespace mechcert
