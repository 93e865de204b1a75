#include "checker/heap_prefault.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace mechcert {

void prefault_heap(size_t bytes) {
  // kMax: the block (kMax + 2 huge pages at most) stays below the mmap threshold set here.
  constexpr size_t kPage = 4096, kHuge = size_t{2} << 20, kMax = size_t{28} << 20;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest; freed blocks below it are reused
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // keep freed memory (and its pages) until exit
  bytes = std::min(bytes, kMax);
  if (bytes < 2 * kPage) return;
  // One huge page more than needed, so that the block holds `bytes` of whole 2 MiB pages.
  const size_t total = (bytes + kHuge - 1) / kHuge * kHuge + kHuge;
  void* block = std::malloc(total);  // from the heap (below the mmap threshold), then freed
  if (block == nullptr) return;
  const auto start = reinterpret_cast<uintptr_t>(block);
  const auto lo = (start + kHuge - 1) & ~(kHuge - 1);
  const auto hi = (start + total) & ~(kHuge - 1);
#ifdef MADV_POPULATE_WRITE
  // Huge pages where the kernel allows them: populated 4 KiB pages still cost ~5 µs each at their
  // first write on our virtual machines, a populated 2 MiB page nothing more (docs/frontier.md).
  madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE);  // Linux >= 5.14
#endif
  std::free(block);
  // Keep the unaligned head [start, lo) allocated (never written, so never faulted in): the
  // allocations that follow then start at the populated huge pages.
  static void* head = nullptr;  // reachable, so no leak report
  if (head == nullptr && lo - start > 2 * kPage) head = std::malloc(lo - start - 64);
}

size_t expected_heap_bytes(int argc, const char* const* argv) {
  constexpr uint64_t kMax = uint64_t{30} << 20;
  uint64_t files = 0;
  for (int i = 1; i < argc; ++i) {
    struct stat st {};
    if (::stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) files += std::min<uint64_t>(kMax, static_cast<uint64_t>(st.st_size));
  }
  if (files == 0) return 0;
  return static_cast<size_t>(std::min(kMax, (uint64_t{1} << 20) + 12 * std::min(files, kMax)));
}

}  // namespace mechcert
