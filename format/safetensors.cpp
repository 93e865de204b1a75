// Strict safetensors reading and deterministic writing. See safetensors.hpp and SPEC.md
// "Model files" for the rules; each check below names the rule it enforces.
#include "format/safetensors.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "format/errors.hpp"
#include "format/file_read.hpp"

namespace mechcert {
namespace {

using nlohmann::json;

[[noreturn]] void header_error(const std::string& file, const std::string& problem) {
  throw_header_error(file, problem);
}

[[noreturn]] void tensor_error(const std::string& file, const std::string& tensor,
                               const std::string& problem) {
  throw_tensor_error(file, tensor, problem);
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void append_u64_le(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Tracks object keys while nlohmann parses, because nlohmann keeps the last of duplicate keys
// silently. Also bounds nesting: a valid header is object -> entry object -> shape array (depth 3).
class HeaderKeyChecker {
 public:
  explicit HeaderKeyChecker(std::string file) : file_(std::move(file)) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (frames_.size() >= 3) too_deep();
        frames_.push_back(Frame{event == json::parse_event_t::object_start, {}, {}});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case json::parse_event_t::key: {
        if (frames_.empty() || !frames_.back().is_object) break;  // cannot happen
        const std::string key = parsed.get<std::string>();
        Frame& top = frames_.back();
        if (!top.keys.insert(key).second) {
          if (frames_.size() == 1) {
            if (key == "__metadata__") header_error(file_, "duplicate key '__metadata__'");
            tensor_error(file_, key, "appears twice in the header (duplicate key)");
          }
          const std::string& outer = frames_[0].current;
          if (outer == "__metadata__") {
            header_error(file_, "__metadata__: duplicate key '" + printable(key) + "'");
          }
          tensor_error(file_, outer, "duplicate key '" + printable(key) + "'");
        }
        top.current = key;
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string> keys;
    std::string current;
  };

  [[noreturn]] void too_deep() const {
    const std::string problem = "JSON nested deeper than a safetensors header can be";
    const std::string& outer = frames_[0].current;
    if (outer == "__metadata__") header_error(file_, "__metadata__: " + problem);
    tensor_error(file_, outer, problem);
  }

  std::string file_;
  std::vector<Frame> frames_;
};

// A JSON number that is a non-negative integer representable as uint64 (nlohmann stores such
// literals as number_unsigned; "1.0", "1e3", "-1" and integers >= 2^64 are something else).
bool as_u64(const json& j, uint64_t& out) {
  if (!j.is_number_unsigned()) return false;
  out = j.get<uint64_t>();
  return true;
}

TensorInfo parse_entry(const std::string& file, const std::string& name, const json& entry) {
  if (!entry.is_object()) tensor_error(file, name, "header entry is not a JSON object");
  for (const auto& [key, value] : entry.items()) {
    (void)value;
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      tensor_error(file, name,
                   "unexpected key '" + printable(key) + "' (allowed: dtype, shape, data_offsets)");
    }
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(key)) tensor_error(file, name, std::string("missing key '") + key + "'");
  }

  TensorInfo info;
  const json& dtype = entry.at("dtype");
  if (!dtype.is_string()) tensor_error(file, name, "dtype is not a string");
  info.dtype = dtype.get<std::string>();
  const size_t elem = safetensors_dtype_size(info.dtype);
  if (elem == 0) tensor_error(file, name, "unknown dtype '" + printable(info.dtype) + "'");

  const json& shape = entry.at("shape");
  if (!shape.is_array()) tensor_error(file, name, "shape is not a JSON array");
  info.numel = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    uint64_t dim = 0;
    if (!as_u64(shape[i], dim) || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      tensor_error(file, name, "shape[" + std::to_string(i) + "] = " + shape[i].dump() +
                                   " is not a non-negative integer that fits in 63 bits");
    }
    info.shape.push_back(static_cast<int64_t>(dim));
    if (__builtin_mul_overflow(info.numel, dim, &info.numel)) {
      tensor_error(file, name, "shape " + shape_string(info.shape) + "... overflows 64 bits");
    }
  }
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(info.numel, static_cast<uint64_t>(elem), &nbytes)) {
    tensor_error(file, name, "shape " + shape_string(info.shape) + " times dtype size " +
                                 std::to_string(elem) + " overflows 64 bits");
  }

  const json& offsets = entry.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2 || !as_u64(offsets[0], info.begin) ||
      !as_u64(offsets[1], info.end)) {
    tensor_error(file, name, "data_offsets is not [begin, end] with non-negative integers");
  }
  if (info.end < info.begin) {
    tensor_error(file, name, "data_offsets [" + std::to_string(info.begin) + "," +
                                 std::to_string(info.end) + "] end before begin");
  }
  if (info.end - info.begin != nbytes) {
    tensor_error(file, name, "data_offsets [" + std::to_string(info.begin) + "," +
                                 std::to_string(info.end) + "] span " +
                                 std::to_string(info.end - info.begin) + " bytes, but " +
                                 info.dtype + " shape " + shape_string(info.shape) + " needs " +
                                 std::to_string(nbytes));
  }
  return info;
}

}  // namespace

size_t safetensors_dtype_size(const std::string& dtype) {
  // The byte-sized dtypes of the reference implementation. Only F32 and F64 can be decoded; the
  // others are known so that a file with, e.g., a BOOL mask buffer can be validated and skipped.
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},   {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2},  {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8},  {"I64", 8},     {"U64", 8}};
  const auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

std::string printable(const std::string& s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < 200; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 0x0f];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

void throw_header_error(const std::string& file, const std::string& problem) {
  throw FormatError(file + ": header: " + problem);
}

void throw_tensor_error(const std::string& file, const std::string& tensor,
                        const std::string& problem) {
  throw FormatError(file + ": tensor '" + printable(tensor) + "': " + problem);
}

const char* dtype_name(DType dtype) { return dtype == DType::F64 ? "F64" : "F32"; }

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(shape[i]);
  }
  s += ']';
  return s;
}

SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, size_t size,
                                           const std::string& display_name) {
  const std::string& file = display_name;
  SafetensorsHeader header;
  header.display_name = display_name;

  // 8-byte little-endian header length, checked against the file size without overflow.
  if (size < 8) {
    header_error(file, "file is " + std::to_string(size) +
                           " bytes, shorter than the 8-byte header length field");
  }
  const uint64_t n = read_u64_le(bytes);
  if (n > kSafetensorsMaxHeaderBytes) {
    header_error(file, "declared header length " + std::to_string(n) + " exceeds the limit of " +
                           std::to_string(kSafetensorsMaxHeaderBytes) + " bytes");
  }
  if (n > static_cast<uint64_t>(size) - 8) {
    header_error(file, "declared header length " + std::to_string(n) +
                           " runs past the end of the file (" + std::to_string(size) + " bytes)");
  }
  header.header_bytes = n;
  header.data_start = 8 + n;

  const char* text = reinterpret_cast<const char*>(bytes + 8);
  if (n == 0 || text[0] != '{') header_error(file, "does not start with '{'");

  // JSON object, no duplicate keys at any level (checked while parsing), nesting <= 3.
  json root;
  try {
    root = json::parse(text, text + n, HeaderKeyChecker(file), /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    header_error(file, std::string("invalid JSON: ") + printable(e.what()));
  }
  if (!root.is_object()) header_error(file, "is not a JSON object");

  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) header_error(file, "__metadata__ is not a JSON object");
      for (const auto& [mkey, mvalue] : value.items()) {
        // The reference writes strings only; other exporters write numbers and booleans. Those
        // are kept as their JSON text, which the model reader parses as strictly as a string.
        header.metadata.emplace(mkey, mvalue.is_string() ? mvalue.get<std::string>() : mvalue.dump());
      }
      continue;
    }
    header.tensors.emplace(key, parse_entry(file, key, value));
  }

  // Data offsets: sorted by begin, contiguous from 0, no gaps or overlaps, ending exactly at the
  // end of the file.
  std::vector<std::pair<const std::string*, const TensorInfo*>> order;
  for (const auto& [name, info] : header.tensors) order.emplace_back(&name, &info);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a.second->begin != b.second->begin) return a.second->begin < b.second->begin;
    if (a.second->end != b.second->end) return a.second->end < b.second->end;
    return *a.first < *b.first;
  });
  const uint64_t buffer_len = static_cast<uint64_t>(size) - header.data_start;
  uint64_t expected = 0;
  const std::string* previous = nullptr;
  for (const auto& [name, info] : order) {
    if (info->begin < expected) {
      tensor_error(file, *name, "data_offsets [" + std::to_string(info->begin) + "," +
                                    std::to_string(info->end) + "] overlap tensor '" +
                                    printable(*previous) + "' (which ends at " +
                                    std::to_string(expected) + ")");
    }
    if (info->begin > expected) {
      tensor_error(file, *name, "data_offsets [" + std::to_string(info->begin) + "," +
                                    std::to_string(info->end) + "] leave a gap: the previous " +
                                    "tensor ends at " + std::to_string(expected));
    }
    if (info->end > buffer_len) {
      tensor_error(file, *name, "data_offsets [" + std::to_string(info->begin) + "," +
                                    std::to_string(info->end) + "] run past the end of the file (" +
                                    "data buffer is " + std::to_string(buffer_len) +
                                    " bytes; truncated file?)");
    }
    expected = info->end;
    previous = name;
  }
  if (expected != buffer_len) {
    header_error(file, std::to_string(buffer_len - expected) +
                           " trailing bytes after the last tensor's data");
  }
  return header;
}

Tensor decode_tensor(const uint8_t* bytes, size_t size, const SafetensorsHeader& header,
                     const std::string& name) {
  const std::string& file = header.display_name;
  const auto it = header.tensors.find(name);
  if (it == header.tensors.end()) tensor_error(file, name, "not present in the file");
  const TensorInfo& info = it->second;

  Tensor tensor;
  if (info.dtype == "F32") {
    tensor.dtype = DType::F32;
  } else if (info.dtype == "F64") {
    tensor.dtype = DType::F64;
  } else {
    tensor_error(file, name, "dtype " + info.dtype + " is not supported (only F32 and F64)");
  }
  tensor.shape = info.shape;

  const size_t elem = tensor.dtype == DType::F64 ? 8 : 4;
  // The parser guaranteed data_start + end <= size and end - begin == numel * elem.
  if (header.data_start + info.end > size || info.end - info.begin != info.numel * elem) {
    tensor_error(file, name, "internal error: header does not describe these bytes");
  }
  const uint8_t* p = bytes + header.data_start + info.begin;
  tensor.values.resize(static_cast<size_t>(info.numel));
  for (size_t i = 0; i < tensor.values.size(); ++i, p += elem) {
    double value;
    if (tensor.dtype == DType::F32) {
      uint32_t u = 0;
      for (int b = 3; b >= 0; --b) u = (u << 8) | p[b];
      value = static_cast<double>(std::bit_cast<float>(u));  // exact widening
    } else {
      value = std::bit_cast<double>(read_u64_le(p));
    }
    if (!std::isfinite(value)) {
      tensor_error(file, name, std::string(std::isnan(value) ? "NaN" : "infinite") +
                                   " value at flat index " + std::to_string(i) +
                                   " (only finite values are allowed)");
    }
    tensor.values[i] = value;
  }
  return tensor;
}

SafetensorsFile read_safetensors(const std::vector<uint8_t>& bytes,
                                 const std::string& display_name) {
  const SafetensorsHeader header =
      parse_safetensors_header(bytes.data(), bytes.size(), display_name);
  SafetensorsFile out;
  out.metadata = header.metadata;
  for (const auto& [name, info] : header.tensors) {
    (void)info;
    out.tensors.emplace(name, decode_tensor(bytes.data(), bytes.size(), header, name));
  }
  return out;
}

std::vector<uint8_t> serialize_safetensors(const SafetensorsFile& file,
                                           const std::string& display_name) {
  const std::string& who = display_name;
  std::vector<std::pair<const std::string*, const Tensor*>> order;
  for (const auto& [name, tensor] : file.tensors) {
    if (name == "__metadata__") tensor_error(who, name, "reserved name");
    order.emplace_back(&name, &tensor);
  }
  // As the reference writer: larger elements first, then by name.
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    const bool a64 = a.second->dtype == DType::F64;
    const bool b64 = b.second->dtype == DType::F64;
    if (a64 != b64) return a64;
    return *a.first < *b.first;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : file.metadata) meta[key] = value;  // std::map: sorted keys
    header["__metadata__"] = std::move(meta);
  }

  std::vector<uint8_t> data;
  for (const auto& [name_ptr, tensor] : order) {
    const std::string& name = *name_ptr;
    uint64_t numel = 1;
    nlohmann::ordered_json shape = nlohmann::ordered_json::array();
    for (const int64_t dim : tensor->shape) {
      if (dim < 0) tensor_error(who, name, "negative dimension in shape " + shape_string(tensor->shape));
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dim), &numel)) {
        tensor_error(who, name, "shape " + shape_string(tensor->shape) + " overflows");
      }
      shape.push_back(static_cast<uint64_t>(dim));
    }
    if (numel != tensor->values.size()) {
      tensor_error(who, name, "shape " + shape_string(tensor->shape) + " has " +
                                  std::to_string(numel) + " elements but " +
                                  std::to_string(tensor->values.size()) + " values were given");
    }
    const uint64_t begin = data.size();
    for (size_t i = 0; i < tensor->values.size(); ++i) {
      const double x = tensor->values[i];
      if (!std::isfinite(x)) {
        tensor_error(who, name, "non-finite value at flat index " + std::to_string(i));
      }
      if (tensor->dtype == DType::F32) {
        if (std::fabs(x) > static_cast<double>(FLT_MAX) ||
            static_cast<double>(static_cast<float>(x)) != x) {
          tensor_error(who, name, "value at flat index " + std::to_string(i) +
                                      " is not exactly representable as float32");
        }
        const uint32_t u = std::bit_cast<uint32_t>(static_cast<float>(x));
        for (int b = 0; b < 4; ++b) data.push_back(static_cast<uint8_t>(u >> (8 * b)));
      } else {
        append_u64_le(data, std::bit_cast<uint64_t>(x));
      }
    }
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = dtype_name(tensor->dtype);
    entry["shape"] = std::move(shape);
    entry["data_offsets"] = nlohmann::ordered_json::array({begin, static_cast<uint64_t>(data.size())});
    header[name] = std::move(entry);
  }

  std::string text;
  try {
    text = header.dump();  // compact, like serde_json::to_string
  } catch (const nlohmann::ordered_json::exception& e) {
    throw FormatError(who + ": cannot encode header: " + printable(e.what()));
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + data.size());
  append_u64_le(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw FormatError(path + ": cannot create file: " + std::strerror(errno));
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw FormatError(path + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw FormatError(path + ": cannot write file: " + ec.message());
  }
}

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  std::vector<uint8_t> bytes;
  const FileReadResult r = read_whole_file(path, max_bytes, bytes);
  if (r.over_limit)
    throw FormatError(path + ": file is " + std::to_string(r.size) + " bytes, over the limit of " +
                      std::to_string(max_bytes));
  if (!r.error.empty()) throw FormatError(path + ": " + r.error);
  return bytes;
}

}  // namespace mechcert
