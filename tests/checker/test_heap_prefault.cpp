// The heap prefault of mechcert-check (checker/heap_prefault.hpp): the size estimate, and that the
// heap it populates is then used without page faults (where the kernel has MADV_POPULATE_WRITE).
#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "checker/heap_prefault.hpp"
#include "tests/support/sanitizer_build.hpp"

using namespace mechcert;

namespace {
long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}
}  // namespace

TEST_CASE("expected_heap_bytes: 1 MiB + 12 x the files on the command line, 0 without files") {
  const std::string model = std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed50.safetensors";
  const std::string cert = std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed50.cubic.cert.json";
  const auto m = std::filesystem::file_size(model), c = std::filesystem::file_size(cert);
  const char* args[] = {"mechcert-check", model.c_str(), cert.c_str(), "--threads", "1", "--json"};
  CHECK(expected_heap_bytes(6, args) == (size_t{1} << 20) + 12 * (c + m));
  const char* missing[] = {"mechcert-check", model.c_str(), "/nonexistent/cert.json"};
  CHECK(expected_heap_bytes(3, missing) == (size_t{1} << 20) + 12 * m);
  const char* none[] = {"mechcert-check", "--version", MECHCERT_SOURCE_DIR};  // a directory is no file
  CHECK(expected_heap_bytes(3, none) == 0);
  CHECK(expected_heap_bytes(1, none) == 0);
}

TEST_CASE("prefault_heap: later allocations reuse populated pages") {
  constexpr size_t kBytes = size_t{8} << 20, kUse = size_t{4} << 20;
  prefault_heap(kBytes);
  char* p = static_cast<char*>(std::malloc(kUse));
  REQUIRE(p != nullptr);
  const long before = minor_faults();
  std::memset(p, 1, kUse);  // 1024 pages
  const long faults = minor_faults() - before;
  CHECK(p[kUse - 1] == 1);
  std::free(p);
#ifdef MADV_POPULATE_WRITE
  // Does this kernel populate at all (Linux >= 5.14)? If not, prefault_heap did nothing.
  void* probe = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(probe != MAP_FAILED);
  const bool supported = madvise(probe, 4096, MADV_POPULATE_WRITE) == 0;
  munmap(probe, 4096);
  if (test::kSanitizedBuild)  // ASan's allocator ignores mallopt and quarantines freed blocks
    WARN("sanitizer build: " << faults << " faults (not checked)");
  else if (supported)
    CHECK(faults < 64);  // without the prefault: one fault per page (~1024)
  else
    WARN("MADV_POPULATE_WRITE unsupported here; " << faults << " faults");
#else
  WARN("no MADV_POPULATE_WRITE in these headers; " << faults << " faults");
#endif
  prefault_heap(0);  // too small: nothing to do, no failure
}
