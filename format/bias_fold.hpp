// Lemma F (SPEC.md 3.6): a model with biases is the same function as a bias-free model with one
// more residual coordinate and one more head coordinate. The fold only *places* the file's exact
// values and the constants 0 and 1 -- no arithmetic -- so every proof for bias-free models applies
// to the folded model unchanged, and its logits equal the original model's exactly.
#pragma once
#include "format/model_weights.hpp"

namespace mechcert {

// The bias-free model of Lemma F: d' = d + 1, d_head' = d_head + 1, with
//   W_E' = [W_E, 1]   W_pos' = [W_pos, 0]
//   W_Q' = [[W_Q, 0]; [b_Q, 0]]   W_K' = [[W_K, 0]; [b_K, 0]]   W_V' = [[W_V, 0]; [b_V, 1]]
//   W_O' = [[W_O, 0]; [b_O, 0]]   W_U' = [W_U; b_U]             all biases' = 0,
// and the attention scale kept at 1/sqrt(d_head) of the file (file_d_head()). Requires a model
// that has not been folded already.
ModelWeights fold_biases(const ModelWeights& w);

}  // namespace mechcert
