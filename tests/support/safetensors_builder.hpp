// Builds safetensors files byte by byte for tests (header-only), including malformed ones: the
// writer in format/ only produces valid files, so tests that need a broken file assemble it here.
#pragma once
#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/model_weights.hpp"

namespace mechcert::test {

struct RawTensor {
  std::string name;
  std::string dtype;             // any string, written as is
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;     // raw little-endian bytes
};

inline std::vector<uint8_t> f32_bytes(const std::vector<double>& values) {
  std::vector<uint8_t> out;
  for (const double x : values) {
    const auto u = std::bit_cast<uint32_t>(static_cast<float>(x));
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(u >> (8 * b)));
  }
  return out;
}

inline std::vector<uint8_t> f64_bytes(const std::vector<double>& values) {
  std::vector<uint8_t> out;
  for (const double x : values) {
    const auto u = std::bit_cast<uint64_t>(x);
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<uint8_t>(u >> (8 * b)));
  }
  return out;
}

// 8-byte little-endian length + header text (as is, no padding) + data.
inline std::vector<uint8_t> assemble(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out;
  const uint64_t n = header.size();
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<uint8_t>(n >> (8 * b)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// Header JSON with contiguous offsets in the order given.
inline std::string raw_header(const std::vector<RawTensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {}) {
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const RawTensor& t : tensors) {
    h[t.name] = {{"dtype", t.dtype},
                 {"shape", t.shape},
                 {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  return h.dump();
}

inline std::vector<uint8_t> raw_data(const std::vector<RawTensor>& tensors) {
  std::vector<uint8_t> data;
  for (const RawTensor& t : tensors) data.insert(data.end(), t.data.begin(), t.data.end());
  return data;
}

inline std::vector<uint8_t> build_file(const std::vector<RawTensor>& tensors,
                                       const std::map<std::string, std::string>& metadata = {}) {
  return assemble(raw_header(tensors, metadata), raw_data(tensors));
}

// The TransformerLens tensors of a model, F32 (values must be float32-exact), biases included.
inline std::vector<RawTensor> model_tensors(const ModelWeights& w, bool with_biases = true) {
  std::vector<RawTensor> t = {
      {"embed.W_E", "F32", {w.v, w.d}, f32_bytes(w.W_E.data)},
      {"pos_embed.W_pos", "F32", {w.k, w.d}, f32_bytes(w.W_pos.data)},
      {"blocks.0.attn.W_Q", "F32", {1, w.d, w.d_head}, f32_bytes(w.W_Q.data)},
      {"blocks.0.attn.W_K", "F32", {1, w.d, w.d_head}, f32_bytes(w.W_K.data)},
      {"blocks.0.attn.W_V", "F32", {1, w.d, w.d_head}, f32_bytes(w.W_V.data)},
      {"blocks.0.attn.W_O", "F32", {1, w.d_head, w.d}, f32_bytes(w.W_O.data)},
      {"unembed.W_U", "F32", {w.d, w.v_out}, f32_bytes(w.W_U.data)},
  };
  if (with_biases) {
    t.push_back({"blocks.0.attn.b_Q", "F32", {1, w.d_head}, f32_bytes(w.b_Q)});
    t.push_back({"blocks.0.attn.b_K", "F32", {1, w.d_head}, f32_bytes(w.b_K)});
    t.push_back({"blocks.0.attn.b_V", "F32", {1, w.d_head}, f32_bytes(w.b_V)});
    t.push_back({"blocks.0.attn.b_O", "F32", {w.d}, f32_bytes(w.b_O)});
    t.push_back({"unembed.b_U", "F32", {w.v_out}, f32_bytes(w.b_U)});
  }
  return t;
}

inline std::map<std::string, std::string> model_metadata(const ModelWeights& w) {
  std::map<std::string, std::string> meta = {
      {"task", w.task}, {"k", std::to_string(w.k)}, {"vocab", std::to_string(w.v)}};
  if (w.seed >= 0) meta["seed"] = std::to_string(w.seed);
  return meta;
}

}  // namespace mechcert::test
