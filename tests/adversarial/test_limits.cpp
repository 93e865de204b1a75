// Resource limits (SPEC.md section 6): every input that declares a huge
// dimension, count, length or size is rejected with a one-line error BEFORE anything proportional
// to the declared size is allocated or read. This file replaces the global operator new to record
// the largest single allocation made while an input is being rejected; every rejection must stay
// under 64 MiB (the declared sizes are gigabytes to exabytes). Files larger than a limit are
// created sparse (ftruncate), so the test itself uses no disk or memory for them.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/brute_force.hpp"
#include "checker/check.hpp"
#include "format/certificate.hpp"
#include "format/errors.hpp"
#include "format/model_weights.hpp"
#include "format/safetensors.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/safetensors_builder.hpp"

// ------------------------------------------------------------------ allocation high-water mark
// The replacements pair malloc/free consistently; GCC cannot see that once they are inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<size_t> g_largest{0};   // largest single allocation while tracking
std::atomic<size_t> g_total{0};     // sum of all allocations while tracking (>= the peak live bytes)
std::atomic<bool> g_tracking{false};
}  // namespace

void* operator new(size_t n) {
  if (g_tracking.load(std::memory_order_relaxed)) {
    size_t cur = g_largest.load(std::memory_order_relaxed);
    while (n > cur && !g_largest.compare_exchange_weak(cur, n)) {
    }
    g_total.fetch_add(n, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

using namespace mechcert;

namespace {

constexpr size_t kAllowedBytes = size_t{64} << 20;

// Runs f, which must throw an exception of type E whose message contains `needle`; returns the
// largest single allocation made meanwhile.
template <class E, class F>
size_t rejected_without_allocating(F&& f, const std::string& needle) {
  g_largest = 0;
  g_tracking = true;
  bool threw = false;
  std::string message;
  try {
    f();
  } catch (const E& e) {
    threw = true;
    message = e.what();
  }
  g_tracking = false;
  INFO("message: " << message);
  CHECK(threw);
  CHECK(message.find(needle) != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);  // one line
  CHECK(g_largest.load() < kAllowedBytes);
  return g_largest.load();
}

std::filesystem::path temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() / "mechcert-adversarial-limits";
  std::filesystem::create_directories(dir);
  return dir;
}

void sparse_file(const std::filesystem::path& path, uint64_t size, const std::string& prefix = "") {
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << prefix;
  }
  std::filesystem::resize_file(path, size);
}

std::vector<uint8_t> model_bytes_with(std::vector<test::RawTensor> tensors, const ModelWeights& w) {
  return test::build_file(tensors, test::model_metadata(w));
}

// A zero model file whose dimensions are set by hand (only W_E / W_pos / W_Q shape changes).
std::vector<uint8_t> model_with_dims(int64_t v, int64_t k, int64_t d, int64_t d_head) {
  const ModelWeights w = adversarial::blank_model(k, v, d, d_head);
  return model_bytes_with(test::model_tensors(w), w);
}

std::string envelope(int64_t vocab, int64_t k, const std::string& steps,
                     const std::string& claim = R"({"correct": "0", "total": "9"})",
                     const std::string& extra = "") {
  nlohmann::json j = {{"format", "mechcert-certificate"},
                      {"version", 1},
                      {"task", {{"name", "max-of-k"}, {"vocab", vocab}, {"k", k}}},
                      {"model", {{"sha256", std::string(64, 'a')}, {"d_model", 2}, {"d_head", 2},
                                 {"d_vocab_out", vocab}}},
                      {"strategy", "brute-force"}};
  std::string s = j.dump();
  s.pop_back();
  return s + R"(, "steps": )" + steps + R"(, "claim": )" + claim + extra + "}";
}

}  // namespace

TEST_CASE("model files: declared sizes beyond the limits are rejected before allocation",
          "[adversarial][limits]") {
  // Header length field: 2^63 and just over 100 MB.
  for (uint64_t n : {uint64_t{1} << 63, kSafetensorsMaxHeaderBytes + 1}) {
    std::vector<uint8_t> bytes(64, ' ');
    for (int b = 0; b < 8; ++b) bytes[static_cast<size_t>(b)] = static_cast<uint8_t>(n >> (8 * b));
    rejected_without_allocating<FormatError>([&] { load_model_from_bytes(bytes, "huge-header"); },
                                             "header");
  }
  // A tensor shape of 2^40 x 2^20 floats with offsets that claim 2^62 bytes.
  {
    std::string header = R"({"embed.W_E":{"dtype":"F32","shape":[1099511627776,1048576],)"
                         R"("data_offsets":[0,4611686018427387904]}})";
    rejected_without_allocating<FormatError>(
        [&] { load_model_from_bytes(test::assemble(header, {}), "huge-shape"); }, "embed.W_E");
  }
  // Shapes whose product overflows 64 bits.
  {
    std::string header = R"({"embed.W_E":{"dtype":"F64","shape":[4294967296,4294967296,16],)"
                         R"("data_offsets":[0,0]}})";
    rejected_without_allocating<FormatError>(
        [&] { load_model_from_bytes(test::assemble(header, {}), "overflow"); }, "embed.W_E");
  }
  // Each dimension one past its limit (the files are real and small: the other dimensions are 1).
  struct Case {
    int64_t v, k, d, dh;
    const char* needle;
  };
  for (const Case& c : {Case{4097, 2, 1, 1, "d_vocab"}, Case{3, 65, 1, 1, "n_ctx"},
                        Case{3, 2, 1025, 1, "d_model"}, Case{3, 2, 1, 1025, "d_head"}}) {
    const std::vector<uint8_t> bytes = model_with_dims(c.v, c.k, c.d, c.dh);
    INFO(c.needle);
    rejected_without_allocating<FormatError>([&] { load_model_from_bytes(bytes, "dims"); }, c.needle);
  }
  // The largest accepted dimensions load (so the limits are where SPEC says, not lower).
  CHECK_NOTHROW(load_model_from_bytes(model_with_dims(4096, 64, 1, 1), "at-limits-1"));
  CHECK_NOTHROW(load_model_from_bytes(model_with_dims(2, 2, 1024, 1024), "at-limits-2"));
}

TEST_CASE("model files: a file over 512 MiB is refused before it is read", "[adversarial][limits]") {
  const auto path = temp_dir() / "huge.safetensors";
  sparse_file(path, (uint64_t{512} << 20) + 1);
  rejected_without_allocating<FormatError>([&] { load_model(path.string()); }, "limit");
  std::filesystem::remove(path);
}

TEST_CASE("certificates: sizes and counts beyond the limits are rejected before allocation",
          "[adversarial][limits]") {
  const std::string bf = R"([{"kind": "brute-force"}])";
  rejected_without_allocating<FormatError>(
      [&] { parse_certificate(envelope(kMaxVocab + 1, 2, bf), "c.json", ""); }, "vocab");
  rejected_without_allocating<FormatError>(
      [&] { parse_certificate(envelope(3, kMaxK + 1, bf), "c.json", ""); }, "k");
  rejected_without_allocating<FormatError>(
      [&] { parse_certificate(envelope(3, 2, bf, R"({"correct": ")" + std::string(5000, '9') +
                                                     R"(", "total": "9"})"),
                              "c.json", ""); },
      "correct");
  // JSON nesting deeper than the parser allows.
  rejected_without_allocating<FormatError>(
      [&] { parse_certificate(std::string(100000, '[') + std::string(100000, ']'), "c.json", ""); },
      "c.json");
  // A sidecar that declares more than 4 GiB.
  rejected_without_allocating<FormatError>(
      [&] {
        parse_certificate(envelope(3, 2, bf, R"({"correct": "0", "total": "9"})",
                                   R"(, "sidecar": {"file": "c.bin", "sha256": ")" +
                                       std::string(64, 'a') + R"(", "bytes": 4294967297})"),
                          "c.json", temp_dir().string());
      },
      "bytes");
}

TEST_CASE("certificates: files over 1 GiB and sidecars over 4 GiB are refused unread",
          "[adversarial][limits]") {
  const auto dir = temp_dir();
  const auto cert = dir / "huge.cert.json";
  sparse_file(cert, kMaxCertificateBytes + 1, "{");
  rejected_without_allocating<FormatError>([&] { read_certificate(cert.string()); }, "limit");
  std::filesystem::remove(cert);

  const auto side = dir / "huge.bin";
  sparse_file(side, kMaxSidecarBytes + 1);
  const auto small = dir / "small.cert.json";
  {
    std::ofstream f(small);
    f << envelope(3, 2, R"([{"kind": "brute-force"}])", R"({"correct": "0", "total": "9"})",
                  R"(, "sidecar": {"file": "huge.bin", "sha256": ")" + std::string(64, 'a') +
                      R"(", "bytes": 8})");
  }
  rejected_without_allocating<FormatError>([&] { read_certificate(small.string()); }, "sidecar");
  std::filesystem::remove(side);
  std::filesystem::remove(small);
}

TEST_CASE("sidecar references: huge offsets and counts are bounds-checked, not allocated",
          "[adversarial][limits]") {
  Certificate cert;
  cert.display_name = "c.json";
  cert.sidecar = CertificateSidecar{"c.bin", std::string(64, 'a'), 64};
  cert.sidecar_data.assign(64, 0);
  const JsonPath where{"c.json", "steps[0].data"};
  for (const auto& ref : {nlohmann::json{{"offset", 0}, {"count", uint64_t{1} << 61}, {"dtype", "f64le"}},
                          nlohmann::json{{"offset", uint64_t{1} << 62}, {"count", 1}, {"dtype", "f64le"}},
                          nlohmann::json{{"offset", 8}, {"count", (uint64_t{1} << 61) - 1}, {"dtype", "f64le"}},
                          nlohmann::json{{"offset", 0}, {"count", 9}, {"dtype", "f64le"}}}) {
    INFO(ref.dump());
    const uint64_t count = ref["count"].get<uint64_t>();
    rejected_without_allocating<FormatError>([&] { read_sidecar_f64(cert, ref, where, count); }, "c.json");
  }
}

TEST_CASE("brute force refuses more than 2^40 inputs at once", "[adversarial][limits]") {
  // v = 4096, k = 5: 2^60 inputs; a valid, tiny model file (d = d_head = 1).
  const ModelWeights w = adversarial::blank_model(5, 4096, 1, 1);
  const auto start = std::chrono::steady_clock::now();
  rejected_without_allocating<std::runtime_error>([&] { brute_force_certified_count(w, 1); }, "2^40");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("certificates: memory is bounded by a small multiple of the text size",
          "[adversarial][limits][!mayfail]") {
  // KNOWN GAP (reported to CHECKER): the certificate text limit is 1 GiB, but the whole text is
  // parsed into a DOM first, and values such as `[]` cost ~40x their text size in memory
  // (measured: 9 MB of `[],` in the free-form "generator" field -> 360 MB RSS). A certificate
  // under the limit can therefore exhaust memory. This test allows 16x and is marked !mayfail
  // until the parser caps the number of JSON values or the text limit is lowered.
  std::string items;
  for (int i = 0; i < 200000; ++i) items += "[],";
  items.pop_back();
  const std::string text = envelope(3, 2, R"([{"kind": "brute-force"}])", R"({"correct": "0", "total": "9"})",
                                    R"(, "generator": {"x": [)" + items + "]}");
  g_total = 0;
  g_tracking = true;
  try {
    parse_certificate(text, "bloat.json", "");
  } catch (const FormatError&) {
  }
  g_tracking = false;
  const double ratio = static_cast<double>(g_total.load()) / static_cast<double>(text.size());
  INFO("allocated " << g_total.load() << " bytes for " << text.size() << " bytes of text (" << ratio << "x)");
  CHECK(ratio < 16.0);
}
