#include "format/json_fields.hpp"

#include <cmath>
#include <vector>

namespace mechcert {

JsonPath JsonPath::field(std::string_view key) const {
  return {file, path.empty() ? std::string(key) : path + "." + std::string(key)};
}

JsonPath JsonPath::index(size_t i) const { return {file, path + "[" + std::to_string(i) + "]"}; }

void JsonPath::fail(const std::string& message) const {
  throw FormatError(file + ": " + (path.empty() ? "" : path + ": ") + message);
}

namespace {

// Tracks the path of the value being parsed (for error messages) and the keys of each open object.
struct Frame {
  bool is_array = false;
  size_t next_index = 0;                       // arrays: index of the next element
  std::string key;                             // objects: the last key seen
  std::set<std::string, std::less<>> keys;     // objects: keys seen so far
};

// The streaming pass of parse_json_strict (an nlohmann SAX handler): it builds no document, and
// rejects duplicate keys, non-finite numbers, nesting deeper than max_depth and more than
// max_values values (object keys count as values) as soon as it meets them. It stores only the
// open containers (at most max_depth) and the keys of the open objects.
class StrictSax {
 public:
  using json = nlohmann::json;
  StrictSax(const std::string& file, uint64_t max_values, int max_depth)
      : file_(file), max_values_(max_values), max_depth_(max_depth), frames_(1) {
    frames_[0].is_array = true;  // a virtual root: behaves like an array of one element
  }

  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t x, const json::string_t&) {
    value();
    if (!std::isfinite(x)) where().fail("non-finite number");
    return true;
  }
  bool string(json::string_t&) { return value(); }
  bool binary(json::binary_t&) { return value(); }  // not produced by the JSON reader
  bool start_object(size_t) { return open(false); }
  bool start_array(size_t) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    Frame& top = frames_.back();
    top.key = k;
    count();
    if (!top.keys.insert(k).second) where().fail("duplicate key '" + k + "'");
    return true;
  }
  bool parse_error(size_t, const std::string&, const json::exception& e) {
    throw UnreadableInput(file_ + ": invalid JSON: " + e.what());
  }

 private:
  // Counts one value or key; fails past the limit, before anything more is stored.
  void count() {
    if (++values_ > max_values_)
      where().fail("exceeds the limit of " + std::to_string(max_values_) + " JSON values and object keys");
  }
  bool value() {
    if (frames_.back().is_array) ++frames_.back().next_index;
    count();
    return true;
  }
  bool open(bool is_array) {
    value();
    if (frames_.size() > static_cast<size_t>(max_depth_))  // frames_: the root + open containers
      where().fail("nesting deeper than " + std::to_string(max_depth_));
    frames_.emplace_back().is_array = is_array;
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }
  // The path of the current value or key, e.g. "steps[1].cases[17]" (frames_[1] is the document).
  JsonPath where() const {
    std::string p;
    for (size_t i = 1; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.is_array)
        p.append("[").append(std::to_string(f.next_index - 1)).append("]");
      else
        p.append(p.empty() ? "" : ".").append(f.key);
    }
    return {file_, p};
  }

  const std::string& file_;
  uint64_t max_values_;
  int max_depth_;
  uint64_t values_ = 0;
  std::vector<Frame> frames_;
};

}  // namespace

void scan_json_strict(const std::string& text, const std::string& file, uint64_t max_values,
                      int max_depth) {
  StrictSax sax(file, max_values, max_depth);
  nlohmann::json::sax_parse(text, &sax, nlohmann::json::input_format_t::json, /*strict=*/true,
                            /*ignore_comments=*/false);
}

nlohmann::json parse_json_strict(const std::string& text, const std::string& file, uint64_t max_values,
                                 int max_depth) {
  // Two passes. A document tree costs up to ~110 bytes of memory per value, and `[]` is 3 bytes of
  // text, so a streaming pass that builds no tree first counts the values (and catches duplicate
  // keys, which the tree would drop silently); only text within the limits reaches the DOM parser.
  // (nlohmann's DOM parser with a callback is avoided too: in 3.11 it rescans the parent after
  // every nested container, quadratic in the number of elements.)
  scan_json_strict(text, file, max_values, max_depth);
  try {
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const nlohmann::json::exception& e) {  // unreachable: the same text passed the first pass
    throw UnreadableInput(file + ": invalid JSON: " + e.what());
  }
}

FieldReader::FieldReader(const nlohmann::json& object, JsonPath path)
    : object_(object), path_(std::move(path)) {
  if (!object_.is_object()) path_.fail("expected an object, found " + std::string(object_.type_name()));
}

bool FieldReader::has(const char* key) const { return object_.contains(key); }

const nlohmann::json& FieldReader::required(const char* key) {
  known_.insert(key);
  auto it = object_.find(key);
  if (it == object_.end()) path_.fail(std::string("missing required field '") + key + "'");
  return *it;
}

const nlohmann::json* FieldReader::optional(const char* key) {
  known_.insert(key);
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

std::string FieldReader::string(const char* key, size_t max_length) {
  return json_string(required(key), field(key), max_length);
}

void FieldReader::expect_string(const char* key, const std::string& expected) {
  const std::string s = string(key);
  if (s != expected) field(key).fail("expected \"" + expected + "\", found \"" + s + "\"");
}

int64_t FieldReader::integer(const char* key, int64_t lo, int64_t hi) {
  return json_integer(required(key), field(key), lo, hi);
}

bool FieldReader::boolean(const char* key) {
  const auto& v = required(key);
  if (!v.is_boolean()) field(key).fail("expected a boolean, found " + std::string(v.type_name()));
  return v.get<bool>();
}

const nlohmann::json& FieldReader::array(const char* key, size_t min_size, size_t max_size) {
  const auto& v = required(key);
  if (!v.is_array()) field(key).fail("expected an array, found " + std::string(v.type_name()));
  if (v.size() < min_size || v.size() > max_size)
    field(key).fail("array of " + std::to_string(v.size()) + " elements, expected " +
                    std::to_string(min_size) + ".." + std::to_string(max_size));
  return v;
}

const nlohmann::json& FieldReader::object(const char* key) {
  const auto& v = required(key);
  if (!v.is_object()) field(key).fail("expected an object, found " + std::string(v.type_name()));
  return v;
}

void FieldReader::finish() const {
  for (auto it = object_.begin(); it != object_.end(); ++it)
    if (!known_.count(it.key())) path_.fail("unknown field '" + it.key() + "'");
}

int64_t json_integer(const nlohmann::json& value, const JsonPath& path, int64_t lo, int64_t hi) {
  int64_t x = 0;
  if (value.is_number_unsigned()) {
    const auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX))
      path.fail("integer " + std::to_string(u) + " out of range [" + std::to_string(lo) + "," +
                std::to_string(hi) + "]");
    x = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    x = value.get<int64_t>();
  } else {
    path.fail("expected an integer, found " + std::string(value.type_name()) +
              (value.is_number_float() ? " (non-integer or too large number)" : ""));
  }
  if (x < lo || x > hi) {
    if (lo == 0 && hi < INT64_MAX)
      path.fail("index " + std::to_string(x) + " out of range [0," + std::to_string(hi + 1) + ")");
    path.fail("integer " + std::to_string(x) + " out of range [" + std::to_string(lo) + "," +
              std::to_string(hi) + "]");
  }
  return x;
}

std::optional<int64_t> json_integer_if_valid(const nlohmann::json& value, int64_t lo, int64_t hi) {
  int64_t x = 0;
  if (value.is_number_unsigned()) {
    const auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    x = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    x = value.get<int64_t>();
  } else {
    return std::nullopt;
  }
  if (x < lo || x > hi) return std::nullopt;
  return x;
}

std::string json_string(const nlohmann::json& value, const JsonPath& path, size_t max_length) {
  if (!value.is_string()) path.fail("expected a string, found " + std::string(value.type_name()));
  const auto& s = value.get_ref<const std::string&>();
  if (s.size() > max_length)
    path.fail("string of " + std::to_string(s.size()) + " bytes, at most " +
              std::to_string(max_length) + " allowed");
  return s;
}

}  // namespace mechcert
