// The table stage shared by the cubic and subcubic strategies (SPEC.md 5.2, 7.11): the enclosed
// path tables EU, EVOU, PVOU and the exponentiated attention tables u (token scores, shifted per
// query row) and ω (positional scores), with the token scores taken from the EQKE option:
//   Exact: u from the enclosed v×v product EQKE (Lemma C1; O(v^2·d));
//   otherwise: u from the approximation Ehat of checker/eqke_bound.hpp (never forming EQKE) and a
//   per-query enclosure `ratio` of exp(±b[q]/sqrt(d_head)) (Lemma S1′, SPEC 7.11).
// d_head (the 1/sqrt(d_head) score scale) is taken from ModelWeights here and nowhere else.
// Cost: the path tables (O(v^2·d + v·d^2), less the EQKE product for an approximation), v^2 + v·k
// MPFR exps (+ v for `ratio`) on `threads` threads; results do not depend on the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "checker/eqke_bound.hpp"
#include "checker/interval.hpp"
#include "checker/proof_length.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

struct AttentionTables {
  int64_t v = 0, k = 0;
  IntervalMatrix EU;     // [v, v]  (E + P_{k-1}) U
  IntervalMatrix EVOU;   // [v, v]  E V O U
  IntervalMatrix PVOU;   // [k, v]  P V O U
  IntervalMatrix u;      // [v, v]  exp((S[q,t] - R_q) / s), S = EQKE (exact) or Ehat, R_q = max_t hi(S[q,t])
  IntervalMatrix omega;  // [v, k]  exp((EQKP[q,p] - R'_q) / s), R'_q = max_p hi(EQKP[q,p])
  // Per query: lo <= exp(-b[q]/s), hi >= exp(b[q]/s); {1, 1} for the exact option (b = 0).
  std::vector<Interval> ratio;
};

// Throws CertificateRejected if the model has a non-zero bias, v_out != v or k < 2 (the lemmas do
// not apply), or if an approximation overflows. `hints` is used only when option != Exact.
AttentionTables attention_tables(const ModelWeights& w, EqkeOption option, const EqkeHints& hints,
                                 OpCounts& ops, uint64_t& paper_flops, int threads = 1);

}  // namespace mechcert
