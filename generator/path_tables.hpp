// The path decomposition of the model (paper/reference-algorithms.md §1.1): every quantity the
// last position's logits depend on, as small tables indexed by tokens and positions.
//
//   logit_x  = EU[q,x] + sum_p a_p (EVOU[t_p,x] + PVOU[p,x])        q = t_{k-1} (the query)
//   score_p  = (EQKE[q,t_p] + EQKP[q,p]) / scale,   a = softmax_p(score)
//
// Exact (in real arithmetic) for zero biases, which is what the paper's models have and what the
// proofs assume; compute_path_tables refuses a model with a non-zero bias unless the caller asks
// for BiasPolicy::Fold (used by `mechcert eval`), which folds the biases into logit-equivalent
// tables (see the .cpp). Cost: O(v·d·(d_head + v)), negligible next to anything that uses them.
#pragma once
#include <cstdint>
#include <span>

#include "generator/transformer.hpp"

namespace mechcert {

enum class BiasPolicy {
  Reject,  // throw std::invalid_argument if any bias is non-zero (the proofs' setting)
  Fold,    // fold biases into EU / EQKE / EQKP so that the logits stay exactly the model's
};

struct PathTables {
  int64_t v = 0;       // input vocabulary
  int64_t k = 0;       // positions
  int64_t v_out = 0;   // output vocabulary
  double scale = 1.0;  // sqrt(d_head): scores are (EQKE + EQKP) / scale
  RowMatrix EU;        // [v, v_out]  (E + P_last) U                 direct path of the query
  RowMatrix EVOU;      // [v, v_out]  E V O U                        OV path of a key token
  RowMatrix PVOU;      // [k, v_out]  P V O U                        OV path of a key position
  RowMatrix EQKE;      // [v, v]      (E + P_last) Q K^T E^T         raw (unscaled) QK, tokens
  RowMatrix EQKP;      // [v, k]      (E + P_last) Q K^T P^T         raw (unscaled) QK, positions
};

PathTables compute_path_tables(const ModelWeights& w, BiasPolicy policy = BiasPolicy::Reject);

// Last-position logits of one input computed from the tables (tests and spot checks).
Eigen::VectorXd path_logits(const PathTables& t, std::span<const int64_t> tokens);

}  // namespace mechcert
