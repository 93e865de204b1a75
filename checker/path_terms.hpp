// The model's path terms, computed exactly from the weights (reference-algorithms.md section 1.1):
//   logit_x = EU[q,x] + sum_p a_p (EVOU[t_p,x] + PVOU[p,x]),   score_p = (EQKE[q,t_p] + EQKP[q,p]),
//   a = softmax(score / sqrt(d_head)),
// with Eq = W_E + W_pos[k-1] (the query row), EU = Eq U, EVOU = E V O U, PVOU = P V O U,
// EQKE = Eq Q K^T E^T, EQKP = Eq Q K^T P^T. Exact because the biases are zero (the checker
// rejects models with non-zero biases before calling this). Every entry is an exact dyadic
// rational; cost O(v^2 d + v d^2) GMP multiply-adds (about 10 ms for v = 64, d = 32).
// See SPEC.md "Path terms".
#pragma once
#include "checker/exact_matrix.hpp"
#include "checker/interval.hpp"
#include "checker/proof_length.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

struct ExactPathTerms {
  ExactMatrix EU;    // [v, v_out]  (E + P_last) U
  ExactMatrix EVOU;  // [v, v_out]  E V O U
  ExactMatrix PVOU;  // [k, v_out]  P V O U
  ExactMatrix EQKE;  // [v, v]      (E + P_last) Q K^T E^T
  ExactMatrix EQKP;  // [v, k]      (E + P_last) Q K^T P^T
};

// Computes all five exactly; adds the GMP operations it performed to `ops` and their cost in the
// paper's convention to `paper_flops` (matmuls as outputs * (2 inner - 1), adds 1 per element).
ExactPathTerms compute_path_terms(const ModelWeights& w, OpCounts& ops, uint64_t& paper_flops);

// The same five tables enclosed entrywise by outward-rounded binary64 products of the weights
// (checker/interval_matrix.hpp, SPEC 3.1 Lemma A1) instead of exactly: each interval contains the
// exact table entry. About 100 times faster than the exact tables (under a millisecond for v = 64,
// d = 32); the widths are a few ulps of the sums of the absolute terms. Used where the tables
// only feed outward-rounded bounds (the cubic strategy). Counts 2 interval_mul and 2 interval_add
// per scalar multiply-add into `ops`, and the same paper FLOPs as compute_path_terms.
// With `with_EQKE` false the v×v product EQKE is skipped (left empty): the subcubic EQKE
// approximations (SPEC 7.11) use EqQK = Eq Q Kᵀ [v, d] instead.
struct IntervalPathTerms {
  IntervalMatrix EU, EVOU, PVOU, EQKE, EQKP;  // shapes as in ExactPathTerms
  IntervalMatrix EqQK;                        // [v, d]
};
IntervalPathTerms enclose_path_terms(const ModelWeights& w, OpCounts& ops, uint64_t& paper_flops,
                                     bool with_EQKE = true);

}  // namespace mechcert
