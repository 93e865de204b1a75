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

// Tracks the path of the value being parsed, for the SAX-style parser callback.
struct Frame {
  bool is_array = false;
  size_t next_index = 0;                       // arrays: index of the next element
  std::string key;                             // objects: the last key seen
  std::set<std::string, std::less<>> keys;     // objects: keys seen so far
};

std::string frames_path(const std::vector<Frame>& frames) {
  std::string p;
  // frames[0] is a virtual root holding the document, frames[1] the document itself.
  for (size_t i = 2; i < frames.size(); ++i) {
    const Frame& parent = frames[i - 1];
    if (parent.is_array)
      p.append("[").append(std::to_string(parent.next_index - 1)).append("]");
    else
      p += (p.empty() ? "" : ".") + parent.key;
  }
  return p;
}

}  // namespace

nlohmann::json parse_json_strict(const std::string& text, const std::string& file, int max_depth) {
  using json = nlohmann::json;
  std::vector<Frame> frames(1);  // root frame (behaves like an array of one element)
  frames[0].is_array = true;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) -> bool {
    if (depth > max_depth) JsonPath{file, frames_path(frames)}.fail("nesting deeper than " + std::to_string(max_depth));
    Frame& top = frames.back();
    const bool starts_value = event == json::parse_event_t::object_start ||
                              event == json::parse_event_t::array_start ||
                              event == json::parse_event_t::value;
    if (starts_value && top.is_array) ++top.next_index;
    switch (event) {
      case json::parse_event_t::key: {
        std::string key = parsed.get<std::string>();
        if (!top.keys.insert(key).second) {
          JsonPath{file, frames_path(frames)}.field(key).fail("duplicate key '" + key + "'");
        }
        top.key = std::move(key);
        break;
      }
      case json::parse_event_t::object_start:
        frames.push_back(Frame{});
        break;
      case json::parse_event_t::array_start: {
        Frame f;
        f.is_array = true;
        frames.push_back(std::move(f));
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames.pop_back();
        break;
      case json::parse_event_t::value:
        if (parsed.is_number_float() && !std::isfinite(parsed.get<double>()))
          JsonPath{file, frames_path(frames)}.fail("non-finite number");
        break;
    }
    return true;
  };
  try {
    return json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const json::exception& e) {
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

std::string json_string(const nlohmann::json& value, const JsonPath& path, size_t max_length) {
  if (!value.is_string()) path.fail("expected a string, found " + std::string(value.type_name()));
  const auto& s = value.get_ref<const std::string&>();
  if (s.size() > max_length)
    path.fail("string of " + std::to_string(s.size()) + " bytes, at most " +
              std::to_string(max_length) + " allowed");
  return s;
}

}  // namespace mechcert
