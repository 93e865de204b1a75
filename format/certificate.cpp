#include "format/certificate.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "format/file_read.hpp"
#include "format/sha256.hpp"

namespace mechcert {

namespace {

std::string read_file_limited(const std::string& path, uint64_t max_bytes, const std::string& what) {
  std::string data;
  const FileReadResult r = read_whole_file(path, max_bytes, data);
  if (r.over_limit)
    throw UnreadableInput(path + ": " + what + " of " + std::to_string(r.size) + " bytes exceeds the limit of " +
                          std::to_string(max_bytes));
  if (!r.error.empty()) throw UnreadableInput(path + ": cannot read " + what + ": " + r.error);
  return data;
}

bool is_lower_hex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string sha256_field(FieldReader& r, const char* key) {
  const std::string s = r.string(key, 64);
  if (!is_lower_hex(s, 64)) r.field(key).fail("expected 64 lowercase hex digits");
  return s;
}

}  // namespace

bool is_bare_file_name(const std::string& s) {
  if (s.empty() || s.size() > 255 || s[0] == '.') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

Certificate parse_certificate(const std::string& text, const std::string& display_name,
                              const std::string& directory) {
  if (text.size() > kMaxCertificateBytes)
    throw UnreadableInput(display_name + ": certificate larger than the limit");
  nlohmann::json doc = parse_json_strict(text, display_name, kMaxJsonValues, kMaxJsonDepth);
  Certificate cert;
  cert.display_name = display_name;
  cert.directory = directory;
  const JsonPath root{display_name, ""};
  FieldReader r(doc, root);
  r.expect_string("format", kCertificateFormatName);
  cert.version = r.integer("version", 0, INT64_MAX);
  if (cert.version != kCertificateVersion)
    r.field("version").fail("unsupported certificate version " + std::to_string(cert.version) +
                            " (this checker reads version " + std::to_string(kCertificateVersion) + ")");

  {
    FieldReader t(r.object("task"), r.field("task"));
    cert.task.name = t.string("name", 64);
    if (cert.task.name != "max-of-k") t.field("name").fail("unknown task \"" + cert.task.name + "\"");
    cert.task.vocab = t.integer("vocab", 1, kMaxVocab);
    cert.task.k = t.integer("k", 1, kMaxK);
    t.finish();
  }
  {
    FieldReader m(r.object("model"), r.field("model"));
    cert.model.sha256 = sha256_field(m, "sha256");
    cert.model.d_model = m.integer("d_model", 1, kMaxDim);
    cert.model.d_head = m.integer("d_head", 1, kMaxDim);
    cert.model.d_vocab_out = m.integer("d_vocab_out", 1, kMaxVocab);
    m.finish();
  }
  cert.strategy = r.string("strategy", 256);
  if (cert.strategy.empty()) r.field("strategy").fail("empty strategy name");

  r.array("steps", 0, kMaxSteps);
  cert.steps = std::move(doc["steps"]);  // moved, not copied: the steps are most of the document
  for (size_t i = 0; i < cert.steps.size(); ++i) {
    const JsonPath p = cert.step_path(i);
    if (!cert.steps[i].is_object()) p.fail("expected a step object");
    auto it = cert.steps[i].find("kind");
    if (it == cert.steps[i].end()) p.fail("missing required field 'kind'");
    if (json_string(*it, p.field("kind"), 256).empty()) p.field("kind").fail("empty step kind");
  }

  {
    FieldReader c(r.object("claim"), r.field("claim"));
    cert.claim_correct = parse_decimal_integer(c.string("correct", kMaxNumberDigits), c.field("correct"));
    cert.claim_total = parse_decimal_integer(c.string("total", kMaxNumberDigits), c.field("total"));
    c.finish();
    BigInt vk = 1;
    for (int64_t i = 0; i < cert.task.k; ++i) vk *= cert.task.vocab;
    if (cert.claim_total != vk)
      c.field("total").fail("total " + cert.claim_total.str() + " is not vocab^k = " + vk.str());
    if (cert.claim_correct > cert.claim_total)
      c.field("correct").fail("claims " + cert.claim_correct.str() + " correct of only " +
                              cert.claim_total.str() + " inputs");
  }

  if (const auto* s = r.optional("sidecar")) {
    FieldReader sr(*s, r.field("sidecar"));
    CertificateSidecar side;
    side.file = sr.string("file", 255);
    if (!is_bare_file_name(side.file))
      sr.field("file").fail("sidecar must be a bare file name ([A-Za-z0-9._-], not starting with '.')");
    side.sha256 = sha256_field(sr, "sha256");
    side.bytes = static_cast<uint64_t>(sr.integer("bytes", 0, static_cast<int64_t>(kMaxSidecarBytes)));
    sr.finish();
    if (directory.empty()) sr.path().fail("a sidecar is named but none can be read here");
    const std::string side_path = (std::filesystem::path(directory) / side.file).string();
    std::error_code ec;
    const auto actual = std::filesystem::file_size(side_path, ec);
    if (ec) throw UnreadableInput(side_path + ": cannot read sidecar: " + ec.message());
    if (actual != side.bytes)  // checked before reading anything
      sr.field("bytes").fail("sidecar " + side.file + " has " + std::to_string(actual) +
                             " bytes, the certificate says " + std::to_string(side.bytes));
    const std::string data = read_file_limited(side_path, side.bytes, "sidecar");
    cert.sidecar_data.assign(data.begin(), data.end());
    const std::string hash = sha256_hex(cert.sidecar_data);
    if (hash != side.sha256)
      sr.field("sha256").fail("sidecar " + side.file + " has SHA-256 " + hash + ", the certificate says " +
                              side.sha256);
    cert.sidecar = side;
  }
  if (const auto* g = r.optional("generator")) {
    if (!g->is_object()) r.field("generator").fail("expected an object");
    cert.generator = std::move(doc["generator"]);
  }
  r.finish();
  return cert;
}

std::string read_certificate_text(const std::string& path) {
  return read_file_limited(path, kMaxCertificateBytes, "certificate");
}

Certificate read_certificate(const std::string& path) {
  const std::string text = read_certificate_text(path);
  // The directory part, as std::filesystem's parent_path gives it (whose first use faulted in
  // ~40 µs of code per check): "." when there is none.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  return parse_certificate(text, path, dir);
}

namespace {
template <typename T>
std::vector<T> read_sidecar_array(const Certificate& cert, const nlohmann::json& ref,
                                  const JsonPath& where, uint64_t expected_count,
                                  const char* dtype) {
  FieldReader r(ref, where);
  const auto size = static_cast<int64_t>(cert.sidecar_data.size());
  if (!cert.sidecar) where.fail("refers to a sidecar, but the certificate names none");
  const int64_t offset = r.integer("offset", 0, size);
  const int64_t count = r.integer("count", 0, size / 8);
  r.expect_string("dtype", dtype);
  r.finish();
  if (static_cast<uint64_t>(count) != expected_count)
    r.field("count").fail("count " + std::to_string(count) + ", expected " + std::to_string(expected_count));
  if (offset % 8 != 0) r.field("offset").fail("offset " + std::to_string(offset) + " is not a multiple of 8");
  if (count > (size - offset) / 8)
    where.fail("array [" + std::to_string(offset) + ", +" + std::to_string(count * 8) +
               ") runs past the end of the sidecar (" + std::to_string(size) + " bytes)");
  std::vector<T> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    uint64_t bits = 0;
    for (int b = 7; b >= 0; --b)
      bits = (bits << 8) | cert.sidecar_data[static_cast<size_t>(offset + 8 * i + b)];
    std::memcpy(&out[static_cast<size_t>(i)], &bits, 8);
  }
  return out;
}
}  // namespace

std::vector<double> read_sidecar_f64(const Certificate& cert, const nlohmann::json& ref,
                                     const JsonPath& where, uint64_t expected_count) {
  auto out = read_sidecar_array<double>(cert, ref, where, expected_count, "f64le");
  for (size_t i = 0; i < out.size(); ++i)
    if (!std::isfinite(out[i])) where.fail("element " + std::to_string(i) + " is not finite");
  return out;
}

std::vector<int64_t> read_sidecar_i64(const Certificate& cert, const nlohmann::json& ref,
                                      const JsonPath& where, uint64_t expected_count) {
  return read_sidecar_array<int64_t>(cert, ref, where, expected_count, "i64le");
}

nlohmann::json certificate_to_json(const Certificate& cert) {
  nlohmann::json j = nlohmann::json::object();
  j["format"] = kCertificateFormatName;
  j["version"] = kCertificateVersion;
  j["task"] = {{"name", cert.task.name}, {"vocab", cert.task.vocab}, {"k", cert.task.k}};
  j["model"] = {{"sha256", cert.model.sha256},
                {"d_model", cert.model.d_model},
                {"d_head", cert.model.d_head},
                {"d_vocab_out", cert.model.d_vocab_out}};
  j["strategy"] = cert.strategy;
  j["steps"] = cert.steps.is_null() ? nlohmann::json::array() : cert.steps;
  j["claim"] = {{"correct", format_decimal_integer(cert.claim_correct)},
                {"total", format_decimal_integer(cert.claim_total)}};
  if (cert.sidecar)
    j["sidecar"] = {{"file", cert.sidecar->file},
                    {"sha256", cert.sidecar->sha256},
                    {"bytes", cert.sidecar->bytes}};
  if (!cert.generator.is_null()) j["generator"] = cert.generator;
  return j;
}

void write_certificate(const std::string& path, const Certificate& cert) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw FormatError(path + ": cannot write certificate");
    out << certificate_to_json(cert).dump(1) << "\n";
    if (!out) throw FormatError(path + ": write failed");
  }
  if (cert.sidecar && !cert.sidecar_data.empty()) {
    const auto side = std::filesystem::path(path).parent_path() / cert.sidecar->file;
    std::ofstream out(side, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(cert.sidecar_data.data()),
              static_cast<std::streamsize>(cert.sidecar_data.size()));
    if (!out) throw FormatError(side.string() + ": cannot write sidecar");
  }
}

}  // namespace mechcert
