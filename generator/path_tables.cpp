#include "generator/path_tables.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace mechcert {

// With biases, the last position computes
//   query   = (E[q] + P_last) Q + b_Q
//   key_p   = (E[t_p] + P_p) K + b_K,      value_p = (E[t_p] + P_p) V + b_V
//   logits  = ((E[q] + P_last) + (sum_p a_p value_p) O + b_O) U + b_U.
// query·b_K is the same for every position p, and softmax ignores a common shift, so b_K drops
// out; since sum_p a_p = 1, (b_V O + b_O) U + b_U is a constant row added to EU. Hence with
//   EQKE[q,t] = query(q)·(E[t] K),  EQKP[q,p] = query(q)·(P_p K),
//   EU[q,:]   = (E[q] + P_last) U + (b_V O + b_O) U + b_U
// the decomposition in the header gives exactly the model's logits. With zero biases these are
// the paper's tables.
PathTables compute_path_tables(const ModelWeights& w, BiasPolicy policy) {
  check_shapes(w);
  if (policy == BiasPolicy::Reject && w.has_nonzero_bias()) {
    throw std::invalid_argument(
        "model has non-zero biases: the path decomposition (EU, EVOU, PVOU, EQKE, EQKP) used here "
        "assumes zero biases, as in the paper's models");
  }
  const auto E = as_eigen(w.W_E);
  const auto P = as_eigen(w.W_pos);
  const auto Q = as_eigen(w.W_Q);
  const auto K = as_eigen(w.W_K);
  const auto V = as_eigen(w.W_V);
  const auto O = as_eigen(w.W_O);
  const auto U = as_eigen(w.W_U);
  const Eigen::Index k = static_cast<Eigen::Index>(w.k);

  PathTables t;
  t.v = w.v;
  t.k = w.k;
  t.v_out = w.v_out;
  t.scale = attention_scale(w);

  const RowMatrix Eq = E.rowwise() + P.row(k - 1);                  // [v, d]
  const RowMatrix queries = (Eq * Q).rowwise() + as_eigen(w.b_Q).transpose();  // [v, d_head]
  const RowMatrix OU = O * U;                                        // [d_head, v_out]
  const RowMatrix VOU = V * OU;                                      // [d, v_out]
  t.EU = Eq * U;
  if (policy == BiasPolicy::Fold) {
    const Eigen::RowVectorXd constant = as_eigen(w.b_V).transpose() * OU +
                                        as_eigen(w.b_O).transpose() * U +
                                        as_eigen(w.b_U).transpose();
    t.EU.rowwise() += constant;
  }
  t.EVOU = E * VOU;
  t.PVOU = P * VOU;
  t.EQKE = queries * (E * K).transpose();
  t.EQKP = queries * (P * K).transpose();
  return t;
}

Eigen::VectorXd path_logits(const PathTables& t, std::span<const int64_t> tokens) {
  if (static_cast<int64_t>(tokens.size()) != t.k) {
    throw std::invalid_argument("path_logits: " + std::to_string(tokens.size()) +
                                " tokens, tables have k=" + std::to_string(t.k));
  }
  const Eigen::Index k = static_cast<Eigen::Index>(t.k);
  for (const int64_t token : tokens) {
    if (token < 0 || token >= t.v) {
      throw std::invalid_argument("path_logits: token " + std::to_string(token) + " outside [0, " +
                                  std::to_string(t.v) + ")");
    }
  }
  const Eigen::Index q = static_cast<Eigen::Index>(tokens.back());
  Eigen::VectorXd scores(k);
  for (Eigen::Index p = 0; p < k; ++p) {
    const auto tp = static_cast<Eigen::Index>(tokens[static_cast<size_t>(p)]);
    scores(p) = (t.EQKE(q, tp) + t.EQKP(q, p)) / t.scale;
  }
  scores = (scores.array() - scores.maxCoeff()).exp().matrix();
  scores /= scores.sum();
  Eigen::RowVectorXd logits = t.EU.row(q);
  for (Eigen::Index p = 0; p < k; ++p) {
    const auto tp = static_cast<Eigen::Index>(tokens[static_cast<size_t>(p)]);
    logits += scores(p) * (t.EVOU.row(tp) + t.PVOU.row(p));
  }
  return logits.transpose();
}

}  // namespace mechcert
