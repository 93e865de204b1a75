// Strict reading of JSON documents (certificates): every field is required or optional, typed,
// range-checked, and every object is closed (unknown fields are errors). Errors are FormatErrors
// with one line naming the file and the JSON path of the offending field, e.g.
//   "cert.json: steps[3].cases[17]: index 70 out of range [0,64)".
// Duplicate keys are caught at parse time (parse_json_strict): nlohmann keeps the last of
// duplicates silently, which would let two readers of one file see different documents.
//
// Usage in a step parser:
//   FieldReader r(step_json, ctx);                  // ctx = {file name, "steps[3]"}
//   int64_t q = r.integer("query", 0, v - 1);
//   const auto& cases = r.array("cases", 0, kMaxCases);
//   ... r.child_path("cases", 17) for nested readers ...
//   r.finish();                                      // rejects fields never read
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "format/errors.hpp"

namespace mechcert {

// Input that cannot be read at all (missing file, I/O error, JSON syntax error): the checker's
// exit code 2. Every other FormatError from a certificate is a rejection (exit code 1).
struct UnreadableInput : FormatError {
  using FormatError::FormatError;
};

// Where a JSON value sits: the file's display name and a path like "steps[3].cases[17]".
struct JsonPath {
  std::string file;  // display name used as the message prefix
  std::string path;  // "" for the document root

  JsonPath field(std::string_view key) const;  // path + ".key"
  JsonPath index(size_t i) const;              // path + "[i]"
  // FormatError("file: path: message") (or "file: message" at the root).
  [[noreturn]] void fail(const std::string& message) const;
};

// Parses JSON text, rejecting syntax errors (UnreadableInput), duplicate keys (at any depth),
// non-finite numbers, nesting deeper than `max_depth` containers, and more than `max_values` values
// (each object key counts as one). Throws FormatError naming the file and the path. A text longer
// than max_values bytes is counted by a streaming pass before any tree is built; a shorter one
// cannot hold more values and is checked and built in one pass (SPEC.md 6.2). Either way the
// tree's memory is bounded by max_values and the text size.
nlohmann::json parse_json_strict(const std::string& text, const std::string& file, uint64_t max_values,
                                 int max_depth);
// The streaming pass alone: the same checks and errors, no document.
void scan_json_strict(const std::string& text, const std::string& file, uint64_t max_values,
                      int max_depth);

// Reads the fields of one JSON object. Each accessor marks the key as known; finish() rejects any
// key that was never asked for.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, JsonPath path);  // fails unless `object` is an object

  bool has(const char* key) const;
  const nlohmann::json& required(const char* key);            // any type
  const nlohmann::json* optional(const char* key);            // nullptr if absent

  std::string string(const char* key, size_t max_length = 4096);
  // The field must equal `expected` exactly.
  void expect_string(const char* key, const std::string& expected);
  // JSON integer (not float, not bool) in [lo, hi].
  int64_t integer(const char* key, int64_t lo, int64_t hi);
  bool boolean(const char* key);
  // An array with lo..hi elements.
  const nlohmann::json& array(const char* key, size_t min_size, size_t max_size);
  // An object (use a nested FieldReader with field(key)).
  const nlohmann::json& object(const char* key);

  JsonPath field(const char* key) const { return path_.field(key); }
  const JsonPath& path() const { return path_; }

  // Rejects the first field (in document order) that no accessor asked for.
  void finish() const;

 private:
  const nlohmann::json& object_;
  JsonPath path_;
  std::set<std::string, std::less<>> known_;
};

// Element-level checks for arrays: integer in [lo, hi] (message "index 70 out of range [0,64)"
// when lo == 0, the common case of an index).
int64_t json_integer(const nlohmann::json& value, const JsonPath& path, int64_t lo, int64_t hi);
std::string json_string(const nlohmann::json& value, const JsonPath& path, size_t max_length = 4096);
// The value json_integer would return, or nullopt where it would fail: for loops over many
// elements, which form the element's path (several string allocations) only to report a failure,
// by calling json_integer with it.
std::optional<int64_t> json_integer_if_valid(const nlohmann::json& value, int64_t lo, int64_t hi);

}  // namespace mechcert
