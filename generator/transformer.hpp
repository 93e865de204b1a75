// The reference forward pass of the 1-layer, 1-head, attention-only transformer
// (paper/reference-algorithms.md §1.1), in plain double precision, for the last position only.
//
// Why it exists: it is the generator's definition of "what the model computes". Evaluation and
// training use faster equivalent forms (path tables, batched backprop); tests compare those
// against this function, and this function against a naive loop implementation. It handles
// non-zero biases. Cost: O(k·d·d_head + d·v_out) per input -- far too slow for all v^k inputs.
//
// Nothing here is trusted: the checker recomputes everything it relies on from the weights.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Dense>

#include "format/model_weights.hpp"

namespace mechcert {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXd>;

// Zero-copy Eigen views of the format's row-major matrices and bias vectors.
inline ConstMatrixMap as_eigen(const Matrix& m) {
  return ConstMatrixMap(m.data.data(), static_cast<Eigen::Index>(m.rows),
                        static_cast<Eigen::Index>(m.cols));
}
inline ConstVectorMap as_eigen(const std::vector<double>& b) {
  return ConstVectorMap(b.data(), static_cast<Eigen::Index>(b.size()));
}

// Attention scale: scores are divided by sqrt(d_head).
double attention_scale(const ModelWeights& w);

// Checks that every tensor has the shape the header comment of ModelWeights promises
// (v, k, d, d_head, v_out all > 0); throws std::invalid_argument naming the first bad tensor.
void check_shapes(const ModelWeights& w);

// Logits (length v_out) at the last position for `tokens` (length k, each in [0, v)).
// Causal attention: the last position attends to every position. Biases are applied.
Eigen::VectorXd last_position_logits(const ModelWeights& w, std::span<const int64_t> tokens);

// Index of the largest entry; the first one wins ties (torch.argmax semantics).
int64_t argmax_first(std::span<const double> values);
inline int64_t argmax_first(const Eigen::VectorXd& values) {
  return argmax_first(std::span<const double>(values.data(), static_cast<size_t>(values.size())));
}

}  // namespace mechcert
