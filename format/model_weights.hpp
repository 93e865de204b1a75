// The weights of a 1-layer, 1-head, attention-only transformer (TransformerLens naming) and the
// task it was trained for. Every value is held as a double that is *exactly* the file's value
// (float32 and float64 both widen to double without rounding), so the checker can treat the
// model as exact dyadic rationals.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mechcert {

// Row-major dense matrix of exact values.
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> data;  // rows * cols values, row-major

  Matrix() = default;
  Matrix(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<size_t>(r * c), 0.0) {}
  double& operator()(int64_t r, int64_t c) { return data[static_cast<size_t>(r * cols + c)]; }
  double operator()(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
};

enum class DType { F32, F64 };

struct ModelWeights {
  // Task metadata (safetensors __metadata__: "task", "k", "vocab", "seed").
  std::string task = "max-of-k";
  int64_t k = 0;       // sequence length n_ctx
  int64_t v = 0;       // d_vocab (input tokens 0..v-1)
  int64_t v_out = 0;   // d_vocab_out (== v for max-of-k)
  int64_t d = 0;       // d_model
  int64_t d_head = 0;  // d_head (one head)
  int64_t seed = -1;   // training seed if known, else -1

  DType dtype = DType::F32;  // dtype the tensors were stored in

  Matrix W_E;    // [v, d]          embed.W_E
  Matrix W_pos;  // [k, d]          pos_embed.W_pos
  Matrix W_Q;    // [d, d_head]     blocks.0.attn.W_Q[0]   (q = resid @ W_Q)
  Matrix W_K;    // [d, d_head]     blocks.0.attn.W_K[0]
  Matrix W_V;    // [d, d_head]     blocks.0.attn.W_V[0]
  Matrix W_O;    // [d_head, d]     blocks.0.attn.W_O[0]   (out = z @ W_O)
  Matrix W_U;    // [d, v_out]      unembed.W_U
  std::vector<double> b_Q, b_K, b_V;  // [d_head]  blocks.0.attn.b_* [1, d_head]
  std::vector<double> b_O;            // [d]       blocks.0.attn.b_O
  std::vector<double> b_U;            // [v_out]   unembed.b_U

  // Set only by fold_biases (format/bias_fold.hpp, SPEC 3.6): the file's d_model and d_head
  // before the fold added one coordinate to each; 0 = not folded.
  int64_t unfolded_d = 0, unfolded_d_head = 0;
  int64_t file_d_model() const { return unfolded_d > 0 ? unfolded_d : d; }
  // The d_head of the attention scale 1/sqrt(d_head) (SPEC 1.4): always the file's.
  int64_t file_d_head() const { return unfolded_d_head > 0 ? unfolded_d_head : d_head; }

  // True if any bias entry is non-zero (-0 counts as zero). The proofs then run on the folded
  // model of SPEC 3.6, which has none.
  bool has_nonzero_bias() const;
};

// A model file as loaded: the weights plus the SHA-256 (lowercase hex) of the exact bytes parsed.
struct LoadedModel {
  ModelWeights weights;
  std::string sha256;
  std::string path;
};

// Command-line overrides of the file's __metadata__ (values < 0 / empty mean "not given").
struct ModelOverrides {
  int64_t k = -1;
  int64_t v = -1;
  std::string task;
};

// Reads and fully validates a safetensors model (see SPEC.md "Model files"). Throws FormatError
// with a one-line message on any problem; never returns a partially valid model.
LoadedModel load_model(const std::string& path, const ModelOverrides& overrides = {});

// Same, from bytes already in memory (fuzzing, tests); `display_name` prefixes error messages.
LoadedModel load_model_from_bytes(const std::vector<uint8_t>& bytes, const std::string& display_name,
                                  const ModelOverrides& overrides = {});

// Writes a model as safetensors with TransformerLens names and __metadata__ (task, k, vocab,
// seed). With DType::F32 every value must already be exactly representable as float32.
void save_model(const std::string& path, const ModelWeights& weights, DType dtype = DType::F32);

}  // namespace mechcert
