// Resource limits (SPEC.md section 6): every input that declares a huge
// dimension, count, length or size is rejected with a one-line error BEFORE anything proportional
// to the declared size is allocated or read. This file replaces the global operator new to record
// the largest single allocation made while an input is being rejected; every rejection must stay
// under 64 MiB (the declared sizes are gigabytes to exabytes). Files larger than a limit are
// created sparse (ftruncate), so the test itself uses no disk or memory for them. It also tracks
// the live heap (malloc_usable_size) to check the memory bound of the certificate parser.
#include <catch2/catch.hpp>

#include <malloc.h>

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
#include "format/json_fields.hpp"
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
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_live{0};      // bytes currently allocated by operator new (always tracked)
std::atomic<size_t> g_peak{0};      // high-water mark of g_live since the last reset

void* tracked_malloc(size_t n) noexcept {
  void* p = std::malloc(n ? n : 1);
  if (!p) return nullptr;
  if (g_tracking.load(std::memory_order_relaxed)) {
    size_t cur = g_largest.load(std::memory_order_relaxed);
    while (n > cur && !g_largest.compare_exchange_weak(cur, n)) {
    }
  }
  const size_t live = g_live.fetch_add(malloc_usable_size(p)) + malloc_usable_size(p);
  size_t peak = g_peak.load(std::memory_order_relaxed);
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return p;
}
void tracked_free(void* p) noexcept {
  if (!p) return;
  g_live.fetch_sub(malloc_usable_size(p));
  std::free(p);
}
}  // namespace

void* operator new(size_t n) {
  if (void* p = tracked_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return tracked_malloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return tracked_malloc(n); }
void operator delete(void* p, const std::nothrow_t&) noexcept { tracked_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { tracked_free(p); }
void operator delete(void* p) noexcept { tracked_free(p); }
void operator delete[](void* p) noexcept { tracked_free(p); }
void operator delete(void* p, size_t) noexcept { tracked_free(p); }
void operator delete[](void* p, size_t) noexcept { tracked_free(p); }

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

TEST_CASE("certificates: files over 256 MiB and sidecars over 4 GiB are refused unread",
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

// ---------------------------------------------------------------- the JSON document (SPEC 6.2)
// A document tree costs up to ~110 bytes per value while `[]` is 3 bytes of text, so the checker
// counts the values (object keys included) in a streaming pass before it builds the tree.

namespace {

// JSON values + object keys, as the limit counts them.
uint64_t count_values(const nlohmann::json& j) {
  uint64_t n = 1;
  if (j.is_object())
    for (const auto& [key, value] : j.items()) n += 1 + count_values(value);
  if (j.is_array())
    for (const auto& value : j) n += count_values(value);
  return n;
}

std::string repeated(const std::string& item, size_t n, const char* separator = ",") {
  std::string out;
  out.reserve(n * (item.size() + 1));
  for (size_t i = 0; i < n; ++i) out.append(i ? separator : "").append(item);
  return out;
}

// A brute-force certificate (v = 3, k = 2) whose free-form "generator" field holds `payload`.
std::string with_generator(const std::string& payload) {
  return envelope(3, 2, R"([{"kind": "brute-force"}])", R"({"correct": "0", "total": "9"})",
                  R"(, "generator": {"x": )" + payload + "}");
}

// Runs f (which must throw E mentioning `needle`, on one line, and not UnreadableInput, i.e. exit
// code 1); returns the peak of live heap bytes above what was live before.
template <class E, class F>
size_t rejected_peak_bytes(F&& f, const std::string& needle) {
  const size_t before = g_live.load();
  g_peak = before;
  std::string message;
  bool threw = false, unreadable = false;
  try {
    f();
  } catch (const UnreadableInput& e) {
    unreadable = true;
    message = e.what();
  } catch (const E& e) {
    threw = true;
    message = e.what();
  }
  INFO("message: " << message);
  CHECK(threw);
  CHECK_FALSE(unreadable);
  CHECK(message.find(needle) != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
  return g_peak.load() - before;
}

// Rows of a cubic certificate listing every class (m, q, c) for vocab v and k (SPEC 5.1), and
// the length of that list written compactly as `mechcert prove` writes it.
void full_cubic_size(uint64_t v, uint64_t k, uint64_t& rows, uint64_t& bytes) {
  const auto digits = [](uint64_t x) { return std::to_string(x).size(); };
  rows = bytes = 0;
  for (uint64_t m = 0; m < v; ++m)
    for (uint64_t q = 0; q <= m; ++q)
      for (uint64_t c = 0; c <= (q == m ? k - 1 : k - 2); ++c) {
        ++rows;  // `[m,q,c,"mask"],`: 8 characters, the digits and ceil(m/4) hex digits (none for c = 0)
        bytes += 8 + digits(m) + digits(q) + digits(c) + (c == 0 ? 0 : (m + 3) / 4);
      }
}

}  // namespace

TEST_CASE("certificates: the limits admit every certificate mechcert writes for the paper's models",
          "[adversarial][limits]") {
  // Measured (SPEC 6.2): the largest certificate `mechcert prove --strategy cubic` writes for the
  // trained K = 20, v = 128 model has 67,494 rows, 337,517 values, 2.78 MB. A cubic certificate
  // listing every class for v = 512, k = 20 (the paper's largest) has 2,495,744 rows, 12.5 M values
  // (5 per row) and 240 MB: still within both limits.
  uint64_t rows = 0, bytes = 0;
  full_cubic_size(512, 20, rows, bytes);
  CHECK(rows == 2495744);
  CHECK(5 * rows + 100 <= kMaxJsonValues);
  CHECK(bytes + 1000 <= kMaxCertificateBytes);
  full_cubic_size(128, 20, rows, bytes);
  CHECK(16 * (5 * rows + 100) <= kMaxJsonValues);  // headroom x16 over any K = 20, v = 128 certificate
}

TEST_CASE("certificates: the number of JSON values is limited before the document is built",
          "[adversarial][limits]") {
  // The exact boundary, with a small limit: values and object keys are counted.
  CHECK(count_values(nlohmann::json::parse(R"({"a": [1, {"b": null}], "c": ""})")) == 9);
  CHECK_NOTHROW(parse_json_strict(R"({"a": [1, {"b": null}], "c": ""})", "c.json", 9, 64));
  rejected_peak_bytes<FormatError>(
      [&] { parse_json_strict(R"({"a": [1, {"b": null}], "c": ""})", "c.json", 8, 64); },
      "c.json: c: exceeds the limit of 8 JSON values and object keys");
  rejected_peak_bytes<FormatError>(
      [&] { parse_json_strict("[" + repeated("[]", 1000) + "]", "c.json", 1000, 64); },
      "c.json: [999]: exceeds the limit of 1000 JSON values");

  // The real limit: 2^24 values pass the streaming pass, one more is rejected by it (below), and
  // neither allocates anything per value (a tree of 2^24 values would take > 256 MiB).
  {
    const std::string at_limit = "[" + repeated("0", kMaxJsonValues - 1) + "]";
    const size_t before = g_live.load();
    g_peak = before;
    CHECK_NOTHROW(scan_json_strict(at_limit, "c.json", kMaxJsonValues, kMaxJsonDepth));
    CHECK(g_peak.load() - before < (size_t{1} << 20));
  }

  // Through the certificate parser (exit code 1): 2^24 + 1 values in the free-form generator field.
  const uint64_t base_values = count_values(nlohmann::json::parse(with_generator("[]")));
  const uint64_t extra = kMaxJsonValues - base_values + 1;
  const std::string bloat = with_generator("[" + repeated("0", extra) + "]");
  CHECK(rejected_peak_bytes<FormatError>(
            [&] { parse_certificate(bloat, "bloat.json", ""); },
            "bloat.json: generator.x[" + std::to_string(extra - 1) +
                "]: exceeds the limit of 16777216 JSON values and object keys") < (size_t{1} << 20));
  // Empty arrays: the streaming pass stores nothing per value either; only nlohmann's lexer keeps
  // the run of brackets as one token (a buffer that doubles as it grows: < 3 x text, SPEC 6.4).
  const std::string arrays = with_generator("[" + repeated("[]", extra) + "]");
  CHECK(rejected_peak_bytes<FormatError>([&] { parse_certificate(arrays, "bloat.json", ""); },
                                         "exceeds the limit of 16777216") < 3 * arrays.size());
}

TEST_CASE("certificates: nesting is limited to 64 containers", "[adversarial][limits]") {
  const auto nested = [](int depth) { return std::string(static_cast<size_t>(depth), '[') +
                                             std::string(static_cast<size_t>(depth), ']'); };
  // 64 levels parse (and are then rejected as a certificate: the root must be an object).
  rejected_without_allocating<FormatError>([&] { parse_certificate(nested(64), "c.json", ""); },
                                           "c.json: expected an object");
  rejected_without_allocating<FormatError>([&] { parse_certificate(nested(65), "c.json", ""); },
                                           "nesting deeper than 64");
  CHECK_NOTHROW(parse_certificate(with_generator(nested(62)), "c.json", ""));  // root + generator + 62
  rejected_without_allocating<FormatError>(
      [&] { parse_certificate(with_generator(nested(63)), "c.json", ""); },
      "c.json: generator.x" + repeated("[0]", 62, "") + ": nesting deeper than 64");
}

TEST_CASE("certificates: memory is bounded by 6 x text + 128 x values", "[adversarial][limits]") {
  // SPEC 6.4: while a certificate is parsed the heap holds the text (T bytes), nlohmann's two
  // lexer buffers (the current token's characters, where a run of whitespace and brackets counts as
  // one token, and the current string; with doubling growth < 5 T together), and the tree (<= 128
  // bytes per value or key, plus string contents <= T). Measured here as the peak of live heap
  // bytes above the text, for the cheapest-to-write values of each kind.
  const std::vector<std::pair<const char*, std::string>> payloads = {
      {"empty arrays", "[" + repeated("[]", 200000) + "]"},
      {"empty objects", "[" + repeated("{}", 200000) + "]"},
      {"empty strings", "[" + repeated(R"("")", 200000) + "]"},
      {"16-byte strings", "[" + repeated(R"("0123456789abcdef")", 200000) + "]"},
      {"numbers", "[" + repeated("0", 200000) + "]"},
      {"keys", [] {
         std::string s = "{";
         for (int i = 0; i < 100000; ++i) s.append(i ? ",\"" : "\"").append(std::to_string(i)).append("\":{}");
         return s + "}";
       }()},
      {"one long string", "\"" + std::string((4 << 20) + 1000, 'a') + "\""},
      {"whitespace and arrays", "[" + repeated("[]", 100000) + std::string(4 << 20, ' ') + "]"},
  };
  for (const auto& [what, payload] : payloads) {
    const std::string text = with_generator(payload);
    const uint64_t values = count_values(nlohmann::json::parse(text));
    const size_t before = g_live.load();
    g_peak = before;
    size_t generator_size = 0;
    {
      const Certificate cert = parse_certificate(text, "bloat.json", "");
      generator_size = cert.generator.size();
    }
    const size_t peak = g_peak.load() - before;
    const size_t bound = 5 * text.size() + 128 * values;  // 6 T + 128 N counting the text itself
    INFO(what << ": " << text.size() << " bytes, " << values << " values, peak " << peak
              << " bytes = " << static_cast<double>(peak) / static_cast<double>(text.size())
              << " x text, bound " << bound);
    CHECK(generator_size == 1);
    CHECK(peak <= bound);
  }
}

TEST_CASE("certificates: parse time is linear in the number of members", "[adversarial][limits]") {
  // nlohmann's DOM parser with a callback (3.11) rescanned the parent container after every nested
  // object: 40,000 `{}` took 1.9 s, 2^24 would take days. The streaming pass + plain DOM parse is
  // linear.
  const std::string objects = with_generator("[" + repeated("{}", 400000) + "]");
  std::string members = "{";
  for (int i = 0; i < 400000; ++i) members.append(i ? ",\"" : "\"").append(std::to_string(i)).append("\":{}");
  members += "}";
  const std::string keyed = with_generator(members);
  const auto start = std::chrono::steady_clock::now();
  CHECK_NOTHROW(parse_certificate(objects, "c.json", ""));
  CHECK_NOTHROW(parse_certificate(keyed, "c.json", ""));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}
