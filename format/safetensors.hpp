// A generic, strict safetensors reader and a deterministic writer (SPEC.md "Model files").
//
// Why: the model file is the one input both the generator and the trusted checker read, and its
// bytes are the model's identity. The reader validates everything the reference (Rust) implementation
// validates, plus what it leaves to serde (duplicate keys, unknown fields), before any value is
// decoded; values are copied byte by byte into doubles (float32 and float64 widen exactly), never
// read through a cast pointer into the buffer. Cost: one pass over the header, one over the data.
//
// Two phases, so callers can check names and shapes before decoding anything:
//   SafetensorsHeader h = parse_safetensors_header(bytes, size, "model.safetensors");
//   Tensor t = decode_tensor(bytes, size, h, "embed.W_E");
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "format/model_weights.hpp"  // DType

namespace mechcert {

inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;  // as the reference: 100 MB

// One entry of the header, validated: dtype is a known safetensors dtype, offsets are relative to
// the start of the data buffer (after the header), end - begin == numel * dtype_size.
struct TensorInfo {
  std::string dtype;            // safetensors dtype string ("F32", "F64", "BOOL", ...)
  std::vector<int64_t> shape;   // every entry >= 0
  uint64_t numel = 0;           // product of shape (1 for a scalar)
  uint64_t begin = 0;           // data_offsets[0]
  uint64_t end = 0;             // data_offsets[1]
};

struct SafetensorsHeader {
  std::map<std::string, std::string> metadata;  // __metadata__ (absent = empty)
  std::map<std::string, TensorInfo> tensors;    // by name
  uint64_t header_bytes = 0;                    // N, the JSON header length
  uint64_t data_start = 0;                      // 8 + N: file offset of the data buffer
  std::string display_name;                     // prefixes error messages
};

// A decoded tensor: F32 or F64 only; values row-major, each exactly the stored value.
struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<double> values;
};

// A whole file in memory, for the writer (and for callers that want everything).
struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, Tensor> tensors;
};

// Byte size of one element of a safetensors dtype; 0 if the dtype string is unknown.
size_t safetensors_dtype_size(const std::string& dtype);
const char* dtype_name(DType dtype);  // "F32" / "F64"
std::string shape_string(const std::vector<int64_t>& shape);  // "[64,32]"

// Text from a file made safe for a one-line message: control bytes and '\\' as \xNN, cut at 200.
std::string printable(const std::string& text);

// The two shapes of every model-file error: "FILE: header: PROBLEM" and
// "FILE: tensor 'NAME': PROBLEM" (NAME passed through printable()).
[[noreturn]] void throw_header_error(const std::string& file, const std::string& problem);
[[noreturn]] void throw_tensor_error(const std::string& file, const std::string& tensor,
                                     const std::string& problem);

// Validates the 8-byte length, the JSON header and the layout of the data buffer. Throws
// FormatError("NAME: header: ..." or "NAME: tensor 'T': ...") on any problem.
SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, size_t size,
                                           const std::string& display_name);

// Decodes one tensor (must be in the header) of dtype F32 or F64; rejects any other dtype and any
// NaN/Inf value (naming the tensor and flat index). `bytes`/`size` must be those given to the parser.
Tensor decode_tensor(const uint8_t* bytes, size_t size, const SafetensorsHeader& header,
                     const std::string& name);

// parse + decode every tensor (all must be F32 or F64).
SafetensorsFile read_safetensors(const std::vector<uint8_t>& bytes, const std::string& display_name);

// Deterministic serialisation: tensors laid out by (element size descending, name), header JSON
// compact with __metadata__ first (omitted when empty) and keys "dtype","shape","data_offsets" in
// that order, padded with spaces to a multiple of 8 bytes, as the reference writer does. Throws
// FormatError if a value is not finite, an F32 value is not exactly a float32, or a shape does not
// match the number of values. The same file gives the same bytes.
std::vector<uint8_t> serialize_safetensors(const SafetensorsFile& file,
                                           const std::string& display_name = "safetensors writer");

// Writes bytes to `path` via a temporary file in the same directory and a rename.
void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

// Reads a whole file (at most max_bytes, else FormatError) in one pass.
std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes);

}  // namespace mechcert
