#include "checker/path_terms.hpp"

namespace mechcert {

namespace {
ExactMatrix counted_multiply(const ExactMatrix& a, const ExactMatrix& b, OpCounts& ops,
                             uint64_t& paper_flops) {
  const auto n = static_cast<uint64_t>(a.rows), k = static_cast<uint64_t>(a.cols),
             m = static_cast<uint64_t>(b.cols);
  ops += exact_matmul_ops(n, k, m);
  paper_flops += paper_matmul_flops(n, k, m);
  return multiply(a, b);
}
}  // namespace

ExactPathTerms compute_path_terms(const ModelWeights& w, OpCounts& ops, uint64_t& paper_flops) {
  const ExactMatrix E = exact_from(w.W_E), P = exact_from(w.W_pos), Q = exact_from(w.W_Q),
                    K = exact_from(w.W_K), V = exact_from(w.W_V), O = exact_from(w.W_O),
                    U = exact_from(w.W_U);
  const ExactMatrix Eq = add_row_broadcast(E, P, w.k - 1);
  ops.exact_add += static_cast<uint64_t>(w.v * w.d);
  paper_flops += static_cast<uint64_t>(w.v * w.d);

  ExactPathTerms t;
  t.EU = counted_multiply(Eq, U, ops, paper_flops);
  const ExactMatrix OU = counted_multiply(O, U, ops, paper_flops);     // [d_head, v_out]
  const ExactMatrix VOU = counted_multiply(V, OU, ops, paper_flops);   // [d, v_out]
  t.EVOU = counted_multiply(E, VOU, ops, paper_flops);
  t.PVOU = counted_multiply(P, VOU, ops, paper_flops);
  const ExactMatrix QKt = counted_multiply(Q, transpose(K), ops, paper_flops);  // [d, d]
  const ExactMatrix EqQK = counted_multiply(Eq, QKt, ops, paper_flops);         // [v, d]
  t.EQKE = counted_multiply(EqQK, transpose(E), ops, paper_flops);
  t.EQKP = counted_multiply(EqQK, transpose(P), ops, paper_flops);
  return t;
}

}  // namespace mechcert
