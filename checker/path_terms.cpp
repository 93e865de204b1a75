#include "checker/path_terms.hpp"

#include "checker/interval_matrix.hpp"

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

// An enclosed product (Lemma A1) and its proof length: 2 directed multiplications and 2 directed
// additions per scalar multiply-add.
template <class A, class B>
IntervalMatrix counted_enclosure(const A& a, const B& b, OpCounts& ops, uint64_t& paper_flops) {
  const auto n = static_cast<uint64_t>(a.rows), k = static_cast<uint64_t>(a.cols),
             m = static_cast<uint64_t>(b.cols);
  ops.interval_mul += 2 * n * k * m;
  ops.interval_add += 2 * n * k * m;
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

IntervalPathTerms enclose_path_terms(const ModelWeights& w, OpCounts& ops, uint64_t& paper_flops,
                                     bool with_EQKE) {
  const IntervalMatrix Eq = add_row_broadcast(w.W_E, w.W_pos, w.k - 1);  // [v, d]
  ops.interval_add += static_cast<uint64_t>(2 * w.v * w.d);
  paper_flops += static_cast<uint64_t>(w.v * w.d);
  const IntervalMatrix U = point_matrix(w.W_U);
  IntervalPathTerms t;
  t.EU = counted_enclosure(Eq, w.W_U, ops, paper_flops);
  const IntervalMatrix OU = counted_enclosure(w.W_O, U, ops, paper_flops);     // [d_head, v_out]
  const IntervalMatrix VOU = counted_enclosure(w.W_V, OU, ops, paper_flops);   // [d, v_out]
  t.EVOU = counted_enclosure(w.W_E, VOU, ops, paper_flops);
  t.PVOU = counted_enclosure(w.W_pos, VOU, ops, paper_flops);
  // (Eq Q) K^T instead of Eq (Q K^T): the same real matrix; every product has a point factor.
  const IntervalMatrix EqQ = counted_enclosure(Eq, w.W_Q, ops, paper_flops);  // [v, d_head]
  t.EqQK = counted_enclosure(EqQ, transpose(w.W_K), ops, paper_flops);  // [v, d]
  if (with_EQKE) t.EQKE = counted_enclosure(t.EqQK, transpose(w.W_E), ops, paper_flops);
  t.EQKP = counted_enclosure(t.EqQK, transpose(w.W_pos), ops, paper_flops);
  return t;
}

}  // namespace mechcert
