#include "checker/heap_prefault.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>

namespace mechcert {

void prefault_heap(size_t bytes) {
  constexpr size_t kPage = 4096, kMax = size_t{30} << 20;  // below the mmap threshold set here
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest; freed blocks below it are reused
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // keep freed memory (and its pages) until exit
  bytes = std::min(bytes, kMax);
  if (bytes < 2 * kPage) return;
  void* block = std::malloc(bytes);  // from the heap (below the mmap threshold), then freed
  if (block == nullptr) return;
  const auto lo = (reinterpret_cast<uintptr_t>(block) + kPage - 1) & ~(kPage - 1);
  const auto hi = (reinterpret_cast<uintptr_t>(block) + bytes) & ~(kPage - 1);
#ifdef MADV_POPULATE_WRITE
  madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE);  // Linux >= 5.14
#endif
  std::free(block);
}

size_t expected_heap_bytes(const char* model_path, const char* cert_path) {
  std::error_code ec1, ec2;
  const auto model = std::filesystem::file_size(model_path, ec1);
  const auto cert = std::filesystem::file_size(cert_path, ec2);
  if (ec1 || ec2) return 0;
  constexpr uintmax_t kMax = uintmax_t{30} << 20;
  return static_cast<size_t>(std::min(kMax, (size_t{1} << 20) + 12 * std::min(cert, kMax) + 2 * std::min(model, kMax)));
}

}  // namespace mechcert
