#include "generator/text_file.hpp"

#include <cstdint>
#include <vector>

#include "format/safetensors.hpp"

namespace mechcert {

void write_text_file(const std::string& path, const std::string& text) {
  write_file_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

std::string read_text_file(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, uint64_t{1} << 30);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace mechcert
