// Certificate format v1: a versioned JSON document (plus an optional binary sidecar) that claims
// "model M (by SHA-256) classifies at least N of the v^k inputs of Max-of-K correctly" and carries
// the typed steps a checker needs to verify the claim. SPEC.md "Certificates"
// is normative; certificate.schema.json describes the same shape.
//
//   {"format": "mechcert-certificate", "version": 1,
//    "task": {"name": "max-of-k", "vocab": 64, "k": 4},
//    "model": {"sha256": "<64 hex>", "d_model": 32, "d_head": 32, "d_vocab_out": 64},
//    "strategy": "brute-force",
//    "steps": [{"kind": "brute-force"}],
//    "claim": {"correct": "16774693", "total": "16777216"},
//    "sidecar": {"file": "cert.bin", "sha256": "<64 hex>", "bytes": 123},   (optional)
//    "generator": {...}}                                  (optional, free-form, never trusted)
//
// This file parses the envelope strictly (types, ranges, limits, unknown fields, duplicate keys)
// and keeps the steps as JSON; each step kind's checker function parses its own step with a
// FieldReader (format/json_fields.hpp). Limits are enforced before anything is allocated.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/exact_numbers.hpp"
#include "format/json_fields.hpp"

namespace mechcert {

inline constexpr const char* kCertificateFormatName = "mechcert-certificate";
inline constexpr int64_t kCertificateVersion = 1;

// Limits (SPEC.md "Certificates: limits"): checked before allocating anything.
// The JSON text, its values (object keys included) and its nesting depth. The values and the depth
// are checked by a streaming pass before the document tree is built: the tree costs up to ~110
// bytes per value, so these limits bound the parser's memory (SPEC.md 6.2: <= 6 x text + 128 x
// values, 3.5 GiB). The largest certificate mechcert can write for v <= 512, k <= 20 (a cubic one
// listing every class) has 12.5 M values in 240 MB.
inline constexpr uint64_t kMaxCertificateBytes = uint64_t{1} << 28;   // JSON text: 256 MiB
inline constexpr uint64_t kMaxJsonValues = uint64_t{1} << 24;
inline constexpr int kMaxJsonDepth = 64;
inline constexpr uint64_t kMaxSidecarBytes = uint64_t{1} << 32;       // sidecar: 4 GiB
inline constexpr int64_t kMaxVocab = 1 << 16;
inline constexpr int64_t kMaxK = 1 << 10;
inline constexpr int64_t kMaxDim = 1 << 14;        // d_model, d_head
inline constexpr size_t kMaxSteps = size_t{1} << 24;

struct CertificateTask {
  std::string name;  // "max-of-k"
  int64_t vocab = 0;
  int64_t k = 0;
};

struct CertificateModel {
  std::string sha256;  // lowercase hex, 64 chars
  int64_t d_model = 0;
  int64_t d_head = 0;
  int64_t d_vocab_out = 0;
};

struct CertificateSidecar {
  std::string file;     // a bare file name in the certificate's directory
  std::string sha256;   // of the sidecar's bytes
  uint64_t bytes = 0;   // its exact size
};

struct Certificate {
  std::string display_name;  // file name used in error messages
  std::string directory;     // where a sidecar or a composition's parts are resolved ("" = none)
  int64_t version = 0;
  CertificateTask task;
  CertificateModel model;
  std::string strategy;
  nlohmann::json steps;      // array; each element an object with a string "kind"
  BigInt claim_correct;      // N
  BigInt claim_total;        // must be v^k
  std::optional<CertificateSidecar> sidecar;
  std::vector<uint8_t> sidecar_data;  // loaded and hash-checked when `sidecar` is present
  nlohmann::json generator;  // free-form, untrusted, ignored by the checker (null if absent)

  // Path of steps[i] for error messages / nested FieldReaders.
  JsonPath step_path(size_t i) const { return JsonPath{display_name, "steps"}.index(i); }
  // The "kind" of steps[i] (validated to be a string by the parser).
  std::string step_kind(size_t i) const { return steps[i].at("kind").get<std::string>(); }
};

// A bare file name: [A-Za-z0-9._-], 1..255 characters, not starting with '.'. Sidecars and the
// parts of a composition are named this way, so they can never escape the certificate's directory.
bool is_bare_file_name(const std::string& s);

// Reads `path` (and its sidecar, if named), parses strictly. Throws UnreadableInput for I/O and
// JSON syntax problems, FormatError for everything else.
Certificate read_certificate(const std::string& path);

// The bytes of a certificate file (at most kMaxCertificateBytes, checked from the file system
// before reading). Throws UnreadableInput.
std::string read_certificate_text(const std::string& path);

// Parses certificate text; `directory` is where a sidecar is looked up ("" = no sidecar allowed).
Certificate parse_certificate(const std::string& text, const std::string& display_name,
                              const std::string& directory);

// A view of a little-endian array in the sidecar, referenced from a step as
//   {"offset": <bytes>, "count": <elements>, "dtype": "f64le" | "i64le"}.
// Checks alignment, bounds and dtype before returning.
std::vector<double> read_sidecar_f64(const Certificate& cert, const nlohmann::json& ref,
                                     const JsonPath& where, uint64_t expected_count);
std::vector<int64_t> read_sidecar_i64(const Certificate& cert, const nlohmann::json& ref,
                                      const JsonPath& where, uint64_t expected_count);

// Serialises the envelope (generator side). `steps` must be an array of step objects.
nlohmann::json certificate_to_json(const Certificate& cert);

// Writes JSON text with a trailing newline (and the sidecar next to it when `sidecar_data` is
// non-empty; cert.sidecar must then name it and carry its hash and size).
void write_certificate(const std::string& path, const Certificate& cert);

}  // namespace mechcert
