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

// The checks of parse_json_strict as an nlohmann SAX handler: it rejects duplicate keys,
// non-finite numbers, nesting deeper than max_depth and more than max_values values (object keys
// count as values) as soon as it meets them. Without `tree` it is the streaming pass: it builds no
// document and stores only the open containers (at most max_depth) and the keys of the open
// objects. With `tree` it builds the document in the same pass (as nlohmann's DOM parser would),
// finding duplicate keys in the object being built.
class StrictSax {
 public:
  using json = nlohmann::json;
  StrictSax(const std::string& file, uint64_t max_values, int max_depth, json* tree = nullptr)
      : file_(file), max_values_(max_values), max_depth_(max_depth), tree_(tree), frames_(1) {
    frames_[0].is_array = true;  // a virtual root: behaves like an array of one element
  }

  bool null() { return value(nullptr); }
  bool boolean(bool b) { return value(b); }
  bool number_integer(json::number_integer_t x) { return value(x); }
  bool number_unsigned(json::number_unsigned_t x) { return value(x); }
  bool number_float(json::number_float_t x, const json::string_t&) {
    note();
    if (!std::isfinite(x)) where().fail("non-finite number");
    if (tree_) place(json(x));
    return true;
  }
  bool string(json::string_t& s) { return value(std::move(s)); }
  bool binary(json::binary_t&) { return value(nullptr); }  // not produced by the JSON reader
  bool start_object(size_t) { return open(false); }
  bool start_array(size_t) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    Frame& top = frames_.back();
    top.key = k;
    count();
    if (tree_) {
      auto [it, inserted] = containers_.back()->get_ref<json::object_t&>().emplace(k, nullptr);
      if (!inserted) where().fail("duplicate key '" + k + "'");
      member_ = &it->second;
    } else if (!top.keys.insert(k).second) {
      where().fail("duplicate key '" + k + "'");
    }
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
  void note() {
    if (frames_.back().is_array) ++frames_.back().next_index;
    count();
  }
  template <class T>
  bool value(T&& x) {
    note();
    if (tree_) place(json(std::forward<T>(x)));
    return true;
  }
  // Puts a checked value where the parse is: the root, the end of the open array, or the member
  // whose key came last. Returns it (a container stays open at that address until it closes).
  json* place(json&& x) {
    if (containers_.empty()) return &(*tree_ = std::move(x));
    json& parent = *containers_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<json::array_t&>();
      elements.push_back(std::move(x));
      return &elements.back();
    }
    *member_ = std::move(x);
    return member_;
  }
  bool open(bool is_array) {
    note();
    if (frames_.size() > static_cast<size_t>(max_depth_))  // frames_: the root + open containers
      where().fail("nesting deeper than " + std::to_string(max_depth_));
    if (tree_) {
      json* container = place(json(is_array ? json::value_t::array : json::value_t::object));
      // Most arrays of a certificate are pairs and triples ([q, g], [m, q, c, ...]): room for
      // two elements at once saves a reallocation each (still < 128 bytes per value, SPEC 6.2).
      if (is_array) container->get_ref<json::array_t&>().reserve(2);
      containers_.push_back(container);
    }
    frames_.emplace_back().is_array = is_array;
    return true;
  }
  bool close() {
    frames_.pop_back();
    if (tree_) containers_.pop_back();
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
  json* tree_;                     // the document being built, or nullptr (streaming pass)
  std::vector<json*> containers_;  // with tree_: the open containers, innermost last
  json* member_ = nullptr;         // with tree_: the slot of the object member whose key came last
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
  // A document tree costs up to ~110 bytes of memory per value, and `[]` is 3 bytes of text, so
  // only text within the value limit may reach a pass that builds the tree. Each value and each
  // key begins at a byte of its own (a digit, '-', '"', '[', '{', 't', 'f' or 'n'), so a text of
  // at most max_values bytes holds at most max_values values: it is parsed in one pass that checks
  // and builds (SPEC 6.2). A longer text is first counted by the streaming pass, which builds
  // nothing. (nlohmann's DOM parser with a callback is avoided: in 3.11 it rescans the parent
  // after every nested container, quadratic in the number of elements.)
  if (text.size() > max_values) scan_json_strict(text, file, max_values, max_depth);
  nlohmann::json tree;
  StrictSax builder(file, max_values, max_depth, &tree);
  nlohmann::json::sax_parse(text, &builder, nlohmann::json::input_format_t::json, /*strict=*/true,
                            /*ignore_comments=*/false);
  return tree;
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
  if (const auto* u = value.get_ptr<const nlohmann::json::number_unsigned_t*>()) {
    if (*u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    x = static_cast<int64_t>(*u);
  } else if (const auto* i = value.get_ptr<const nlohmann::json::number_integer_t*>()) {
    x = *i;
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
