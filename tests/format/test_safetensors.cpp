// The generic safetensors reader and writer (SPEC.md "Model files"): round trips, and one test per
// class of malformed file, each built byte by byte. Every rejection must be a one-line FormatError
// that names the file and the tensor (or "header").
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "format/errors.hpp"
#include "format/safetensors.hpp"
#include "tests/support/safetensors_builder.hpp"

using namespace mechcert;
using namespace mechcert::test;
using Catch::Matchers::Contains;

namespace {

// The error message of reading `bytes` in full, or "<accepted>". Any exception other than
// FormatError escapes and fails the test.
std::string read_error(const std::vector<uint8_t>& bytes) {
  try {
    read_safetensors(bytes, "f.safetensors");
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.rfind("f.safetensors: ", 0) == 0);
    return msg;
  }
  return "<accepted>";
}

std::vector<RawTensor> two_tensors() {
  return {{"a", "F32", {2, 3}, f32_bytes({1, 2, 3, 4, 5, 6})},
          {"b", "F64", {2}, f64_bytes({0.5, -0.25})}};
}

// A header with explicit offsets: {"a": F32 [2] at [a0,a1], "b": F32 [2] at [b0,b1]}.
std::string offsets_header(int a0, int a1, int b0, int b1) {
  return R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[)" + std::to_string(a0) + "," +
         std::to_string(a1) + R"(]},"b":{"dtype":"F32","shape":[2],"data_offsets":[)" +
         std::to_string(b0) + "," + std::to_string(b1) + "]}}";
}

std::vector<uint8_t> one_tensor_file(const std::string& entry_json, size_t data_bytes) {
  return assemble(R"({"t":)" + entry_json + "}", std::vector<uint8_t>(data_bytes, 0));
}

}  // namespace

TEST_CASE("safetensors round trip F32 and F64: exact values, identical bytes", "[safetensors]") {
  SafetensorsFile f;
  f.metadata = {{"zeta", "1"}, {"alpha", "two"}};
  const double tiny = std::numeric_limits<float>::denorm_min();
  f.tensors["w32"] = Tensor{DType::F32, {2, 3},
                            {0.0, -0.0, tiny, std::numeric_limits<float>::max(), -1.5, 0x1.fffffep-3}};
  f.tensors["w64"] = Tensor{DType::F64, {3}, {0.1, std::numeric_limits<double>::denorm_min(),
                                              -std::numeric_limits<double>::max()}};
  f.tensors["scalar"] = Tensor{DType::F32, {}, {3.0}};
  f.tensors["empty"] = Tensor{DType::F64, {0, 4}, {}};
  const std::vector<uint8_t> bytes = serialize_safetensors(f);

  // Header padded with spaces to a multiple of 8; __metadata__ first; F64 data before F32.
  uint64_t n = 0;
  for (int b = 7; b >= 0; --b) n = (n << 8) | bytes[static_cast<size_t>(b)];
  REQUIRE(n % 8 == 0);
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
  REQUIRE(header.rfind(R"({"__metadata__":{"alpha":"two","zeta":"1"},"empty":{"dtype":"F64")", 0) == 0);

  const SafetensorsFile g = read_safetensors(bytes, "rt");
  REQUIRE(g.metadata == f.metadata);
  REQUIRE(g.tensors.size() == f.tensors.size());
  for (const auto& [name, t] : f.tensors) {
    const Tensor& u = g.tensors.at(name);
    REQUIRE(u.dtype == t.dtype);
    REQUIRE(u.shape == t.shape);
    REQUIRE(u.values.size() == t.values.size());
    for (size_t i = 0; i < t.values.size(); ++i) {
      REQUIRE(std::memcmp(&u.values[i], &t.values[i], sizeof(double)) == 0);  // bit-exact, -0.0 too
    }
  }
  REQUIRE(serialize_safetensors(g) == bytes);
}

TEST_CASE("safetensors accepts an empty file and files without __metadata__", "[safetensors]") {
  REQUIRE(read_error(assemble("{}", {})) == "<accepted>");
  REQUIRE(read_error(assemble("{}      ", {})) == "<accepted>");  // padding spaces
  REQUIRE(read_error(build_file(two_tensors())) == "<accepted>");
}

TEST_CASE("safetensors rejects a truncated file", "[safetensors]") {
  std::vector<uint8_t> bytes = build_file(two_tensors());
  bytes.pop_back();
  REQUIRE_THAT(read_error(bytes), Contains("tensor 'b'") && Contains("past the end"));
  REQUIRE_THAT(read_error({1, 0, 0}), Contains("header:") && Contains("shorter than"));
  // Every prefix of a valid file is rejected without crashing.
  const std::vector<uint8_t> full = build_file(two_tensors());
  for (size_t len = 0; len < full.size(); ++len) {
    REQUIRE(read_error(std::vector<uint8_t>(full.begin(), full.begin() + static_cast<long>(len))) !=
            "<accepted>");
  }
}

TEST_CASE("safetensors rejects a header length past the end of the file", "[safetensors]") {
  std::vector<uint8_t> bytes = build_file(two_tensors());
  const uint64_t n = bytes.size() - 8 + 1;  // one byte more than the whole rest of the file
  for (int b = 0; b < 8; ++b) bytes[static_cast<size_t>(b)] = static_cast<uint8_t>(n >> (8 * b));
  REQUIRE_THAT(read_error(bytes), Contains("header: declared header length") &&
                                      Contains("runs past the end of the file"));
  // 2^64 - 1: must not wrap around when 8 is added.
  std::vector<uint8_t> huge(64, 0xff);
  REQUIRE_THAT(read_error(huge), Contains("exceeds the limit"));
}

TEST_CASE("safetensors rejects a declared header over 100 MB", "[safetensors]") {
  std::vector<uint8_t> bytes = build_file(two_tensors());
  const uint64_t n = 100'000'001;
  for (int b = 0; b < 8; ++b) bytes[static_cast<size_t>(b)] = static_cast<uint8_t>(n >> (8 * b));
  REQUIRE_THAT(read_error(bytes), Contains("header: declared header length 100000001 exceeds"));
}

TEST_CASE("safetensors rejects overlapping data offsets", "[safetensors]") {
  REQUIRE_THAT(read_error(assemble(offsets_header(0, 8, 4, 12), std::vector<uint8_t>(12))),
               Contains("tensor 'b'") && Contains("overlap tensor 'a'"));
  // Two tensors at the same place.
  REQUIRE_THAT(read_error(assemble(offsets_header(0, 8, 0, 8), std::vector<uint8_t>(8))),
               Contains("overlap"));
}

TEST_CASE("safetensors rejects gaps between data offsets", "[safetensors]") {
  REQUIRE_THAT(read_error(assemble(offsets_header(0, 8, 12, 20), std::vector<uint8_t>(20))),
               Contains("tensor 'b'") && Contains("gap"));
  REQUIRE_THAT(read_error(assemble(offsets_header(4, 12, 12, 20), std::vector<uint8_t>(20))),
               Contains("tensor 'a'") && Contains("gap"));
}

TEST_CASE("safetensors rejects trailing bytes after the data", "[safetensors]") {
  std::vector<uint8_t> bytes = build_file(two_tensors());
  bytes.push_back(0);
  REQUIRE_THAT(read_error(bytes), Contains("header: 1 trailing bytes"));
}

TEST_CASE("safetensors rejects unknown and unsupported dtypes", "[safetensors]") {
  REQUIRE_THAT(read_error(one_tensor_file(R"({"dtype":"F17","shape":[2],"data_offsets":[0,8]})", 8)),
               Contains("tensor 't': unknown dtype 'F17'"));
  REQUIRE_THAT(read_error(one_tensor_file(R"({"dtype":"f32","shape":[2],"data_offsets":[0,8]})", 8)),
               Contains("unknown dtype 'f32'"));
  REQUIRE_THAT(read_error(one_tensor_file(R"({"dtype":7,"shape":[2],"data_offsets":[0,8]})", 8)),
               Contains("dtype is not a string"));
  // Known to safetensors (so the layout is validated) but not decodable by us.
  const std::vector<uint8_t> f16 =
      one_tensor_file(R"({"dtype":"F16","shape":[2],"data_offsets":[0,4]})", 4);
  const SafetensorsHeader h = parse_safetensors_header(f16.data(), f16.size(), "f.safetensors");
  REQUIRE(h.tensors.at("t").dtype == "F16");
  REQUIRE_THAT(read_error(f16), Contains("tensor 't': dtype F16 is not supported (only F32 and F64)"));
}

TEST_CASE("safetensors rejects NaN and infinite values, naming tensor and index", "[safetensors]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  REQUIRE_THAT(read_error(build_file({{"w", "F32", {3}, f32_bytes({1, 2, nan})}})),
               Contains("tensor 'w': NaN value at flat index 2"));
  REQUIRE_THAT(read_error(build_file({{"w", "F32", {2, 2}, f32_bytes({1, -inf, 0, 0})}})),
               Contains("tensor 'w': infinite value at flat index 1"));
  REQUIRE_THAT(read_error(build_file({{"w", "F64", {2}, f64_bytes({inf, 0})}})),
               Contains("tensor 'w': infinite value at flat index 0"));
  REQUIRE_THAT(read_error(build_file({{"w", "F64", {1}, f64_bytes({nan})}})),
               Contains("tensor 'w': NaN value at flat index 0"));
  // The writer refuses them too.
  SafetensorsFile f;
  f.tensors["w"] = Tensor{DType::F64, {1}, {nan}};
  REQUIRE_THROWS_WITH(serialize_safetensors(f), Contains("tensor 'w': non-finite"));
}

TEST_CASE("safetensors rejects duplicate keys at every level", "[safetensors]") {
  const std::string entry = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  REQUIRE_THAT(read_error(assemble(R"({"t":)" + entry + R"(,"t":)" + entry + "}", std::vector<uint8_t>(4))),
               Contains("tensor 't': appears twice"));
  REQUIRE_THAT(
      read_error(one_tensor_file(R"({"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]})", 4)),
      Contains("tensor 't': duplicate key 'dtype'"));
  REQUIRE_THAT(
      read_error(one_tensor_file(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4],"shape":[1]})", 4)),
      Contains("tensor 't': duplicate key 'shape'"));
  REQUIRE_THAT(read_error(assemble(R"({"__metadata__":{"k":"4","k":"5"},"t":)" + entry + "}",
                                   std::vector<uint8_t>(4))),
               Contains("header: __metadata__: duplicate key 'k'"));
  REQUIRE_THAT(read_error(assemble(R"({"__metadata__":{},"__metadata__":{}})", {})),
               Contains("header: duplicate key '__metadata__'"));
}

TEST_CASE("safetensors rejects shapes that overflow", "[safetensors]") {
  // 2^62 * 8 elements overflows 64 bits; 2^62 * 2 elements * 4 bytes overflows the byte count.
  REQUIRE_THAT(
      read_error(one_tensor_file(R"({"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,8]})", 8)),
      Contains("tensor 't'") && Contains("overflows 64 bits"));
  REQUIRE_THAT(
      read_error(one_tensor_file(R"({"dtype":"F32","shape":[4611686018427387904,2],"data_offsets":[0,8]})", 8)),
      Contains("tensor 't'") && Contains("times dtype size 4 overflows"));
  // 2^63 does not fit in 63 bits; 2^64 is not even an integer nlohmann can hold.
  REQUIRE_THAT(
      read_error(one_tensor_file(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]})", 8)),
      Contains("shape[0] = 9223372036854775808 is not a non-negative integer"));
  REQUIRE_THAT(
      read_error(one_tensor_file(R"({"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]})", 8)),
      Contains("tensor 't': shape[0]"));
}

TEST_CASE("safetensors rejects negative and non-integer shape entries", "[safetensors]") {
  for (const std::string bad : {"-2", "2.0", "2.5", "2e0", "\"2\"", "null", "true"}) {
    CAPTURE(bad);
    REQUIRE_THAT(
        read_error(one_tensor_file(R"({"dtype":"F32","shape":[)" + bad + R"(],"data_offsets":[0,8]})", 8)),
        Contains("tensor 't': shape[0] = ") && Contains("is not a non-negative integer"));
  }
  REQUIRE_THAT(read_error(one_tensor_file(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})", 8)),
               Contains("shape is not a JSON array"));
}

TEST_CASE("safetensors rejects offsets that disagree with shape and dtype", "[safetensors]") {
  REQUIRE_THAT(read_error(one_tensor_file(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", 8)),
               Contains("tensor 't': data_offsets [0,8] span 8 bytes, but F32 shape [3] needs 12"));
  REQUIRE_THAT(read_error(one_tensor_file(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})", 8)),
               Contains("end before begin"));
  for (const std::string bad : {"[0]", "[0,8,8]", "[-1,7]", "[0.0,8]", "\"0,8\"", "{}"}) {
    CAPTURE(bad);
    REQUIRE_THAT(read_error(one_tensor_file(R"({"dtype":"F32","shape":[2],"data_offsets":)" + bad + "}", 8)),
                 Contains("tensor 't': data_offsets is not [begin, end]"));
  }
}

TEST_CASE("safetensors rejects malformed entries and headers", "[safetensors]") {
  REQUIRE_THAT(read_error(one_tensor_file(R"({"dtype":"F32","shape":[2]})", 8)),
               Contains("tensor 't': missing key 'data_offsets'"));
  REQUIRE_THAT(
      read_error(one_tensor_file(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"offsets":[0,8]})", 8)),
      Contains("tensor 't': unexpected key 'offsets'"));
  REQUIRE_THAT(read_error(one_tensor_file("[1,2]", 0)), Contains("tensor 't': header entry is not a JSON object"));
  // Other exporters write numbers: kept as their JSON text (the model reader parses it strictly).
  REQUIRE(read_safetensors(assemble(R"({"__metadata__":{"k":4,"b":true}})", {}), "f").metadata ==
          std::map<std::string, std::string>{{"b", "true"}, {"k", "4"}});
  REQUIRE_THAT(read_error(assemble(R"({"__metadata__":["k"]})", {})),
               Contains("header: __metadata__ is not a JSON object"));
  REQUIRE_THAT(read_error(assemble(R"([{}])", {})), Contains("header: does not start with '{'"));
  REQUIRE_THAT(read_error(assemble(R"( {})", {})), Contains("header: does not start with '{'"));
  REQUIRE_THAT(read_error(assemble("", {})), Contains("header: does not start with '{'"));
  REQUIRE_THAT(read_error(assemble(R"({"a":)", {})), Contains("header: invalid JSON"));
  REQUIRE_THAT(read_error(assemble("{}\n\n\x01", {})), Contains("header: invalid JSON"));
  REQUIRE_THAT(read_error(assemble("{} {}", {})), Contains("header: invalid JSON"));
  REQUIRE_THAT(read_error(assemble("{\"\xff\":1}", {})), Contains("header: invalid JSON"));
  REQUIRE_THAT(read_error(assemble(R"({/*c*/})", {})), Contains("header: invalid JSON"));
  REQUIRE_THAT(read_error(assemble(R"({"t":{"dtype":"F32","shape":[[[1]]],"data_offsets":[0,4]}})", {})),
               Contains("tensor 't': JSON nested deeper"));
  REQUIRE_THAT(read_error(assemble(std::string(5000, '[') , {})), Contains("header:"));
  REQUIRE_THAT(read_error(assemble("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}", {})),
               Contains("nested deeper"));
}

TEST_CASE("safetensors writer refuses values that are not float32 for F32", "[safetensors]") {
  SafetensorsFile f;
  f.tensors["w"] = Tensor{DType::F32, {2}, {1.0, 0.1}};
  REQUIRE_THROWS_WITH(serialize_safetensors(f, "out.safetensors"),
                      Contains("out.safetensors: tensor 'w': value at flat index 1 is not exactly"));
  f.tensors["w"] = Tensor{DType::F32, {2}, {1.0, 1e300}};
  REQUIRE_THROWS_WITH(serialize_safetensors(f), Contains("not exactly representable as float32"));
  f.tensors["w"] = Tensor{DType::F32, {3}, {1.0, 2.0}};
  REQUIRE_THROWS_WITH(serialize_safetensors(f), Contains("has 3 elements but 2 values"));
}

TEST_CASE("safetensors reader survives random corruption", "[safetensors][fuzz]") {
  const std::vector<uint8_t> good = build_file(two_tensors(), {{"k", "4"}});
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  int accepted = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(next() % 3);
    for (int f = 0; f < flips; ++f) {
      bytes[next() % bytes.size()] = static_cast<uint8_t>(next());
    }
    if (read_error(bytes) == "<accepted>") ++accepted;  // e.g. a flipped data byte
  }
  REQUIRE(accepted < 20000);
}

TEST_CASE("safetensors: the reference implementation's documented example parses", "[safetensors]") {
  // From the Rust crate's documentation: one I32 [2,2] tensor, 16 zero bytes.
  const std::string header = R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})";
  REQUIRE(header.size() == 0x3c);
  const std::vector<uint8_t> bytes = assemble(header, std::vector<uint8_t>(16, 0));
  const SafetensorsHeader h = parse_safetensors_header(bytes.data(), bytes.size(), "doc");
  REQUIRE(h.tensors.at("test").shape == std::vector<int64_t>{2, 2});
  REQUIRE(h.tensors.at("test").numel == 4);
  REQUIRE(h.data_start == 8 + 0x3c);
  REQUIRE_THAT(read_error(bytes), Contains("tensor 'test': dtype I32 is not supported"));
}

TEST_CASE("safetensors writer: byte layout pinned (reference writer's rules)", "[safetensors]") {
  SafetensorsFile f;
  f.metadata = {{"k", "4"}};
  f.tensors["b"] = Tensor{DType::F32, {2}, {1.0, -2.0}};
  f.tensors["a"] = Tensor{DType::F64, {1}, {0.5}};
  // F64 first (larger alignment), then F32; compact JSON; spaces to a multiple of 8.
  const std::string json =
      R"({"__metadata__":{"k":"4"},"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
  std::string padded = json + std::string((8 - json.size() % 8) % 8, ' ');
  std::vector<uint8_t> data = f64_bytes({0.5});
  const std::vector<uint8_t> more = f32_bytes({1.0, -2.0});
  data.insert(data.end(), more.begin(), more.end());
  REQUIRE(serialize_safetensors(f) == assemble(padded, data));
}

TEST_CASE("safetensors: unreadable paths are FormatErrors", "[safetensors]") {
  REQUIRE_THROWS_AS(read_file_bytes("/nonexistent/x.safetensors", 1000), FormatError);
  REQUIRE_THROWS_AS(read_file_bytes(MECHCERT_BINARY_DIR, 1000), FormatError);  // a directory
  const std::string p = std::string(MECHCERT_BINARY_DIR) + "/test_safetensors_big.bin";
  write_file_bytes(p, std::vector<uint8_t>(100, 7));
  REQUIRE_THROWS_WITH(read_file_bytes(p, 99), Contains("over the limit of 99"));
  REQUIRE(read_file_bytes(p, 100) == std::vector<uint8_t>(100, 7));
  std::remove(p.c_str());
  REQUIRE_THROWS_AS(write_file_bytes("/nonexistent/dir/x", {1}), FormatError);
}
