// The EU options of the subcubic strategies (SPEC.md 7.6, Lemma S4): a vector Ē over output tokens
// and per-query deviations G with EUc[q,x] = EU[q,x] - EU[q,m] <= Ē[x] - Ē[m] + G[q] for all q, x, m.
// This is what lets the wrong-logit bound split into a part that depends on the output x only
// (computed once per max token) and a part that depends on the query only.
//
// Cost: `max_diff_exact` and `centered_max_exact` O(v^2) on the EU enclosure; `global_max_diff_exact` O(v^2);
// `max_diff` O(v·d) from the weights; `mean_query+max_diff` and `svd_query+max_diff` O(v·d) plus the
// 1 × d by d × v product μ·U. Counted into `ops` / `paper_flops` by formula (SPEC 7.10).
#pragma once
#include <string>
#include <vector>

#include "checker/interval.hpp"
#include "checker/proof_length.hpp"
#include "checker/subcubic_options.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

struct EuBound {
  std::vector<double> Ebar_lo, Ebar_hi;  // enclosure of Ē per output token (empty: Ē = 0)
  std::vector<double> G_hi;              // upper bound of G[q] per query token (empty if G_qm_hi is used)
  std::vector<double> G_qm_hi;           // [q * v_out + m]: per (q, m) (centered_max_exact), else empty
  int64_t v_out = 0;
  // Upper bound of the deviation for query q and max token m.
  double gap_up(int64_t q, int64_t m) const {
    return G_qm_hi.empty() ? G_hi[static_cast<size_t>(q)] : G_qm_hi[static_cast<size_t>(q * v_out + m)];
  }
  // Upper bound of Ē[x] - Ē[m].
  double diff_up(int64_t x, int64_t m) const {
    return Ebar_hi.empty() ? 0.0 : sub_up(Ebar_hi[static_cast<size_t>(x)], Ebar_lo[static_cast<size_t>(m)]);
  }
};

// `EU` is the enclosure of the path table EU (SPEC 5.2). `direction` (length v) is the hint of
// `svd_query+max_diff` (μ = Σ_q direction[q]·Eq[q], Lemma S4 holds for every μ); unused otherwise.
// Sets the rounding mode itself.
EuBound eu_bound(EuOption option, const ModelWeights& w, const IntervalMatrix& EU,
                 const std::vector<double>& direction, OpCounts& ops, uint64_t& paper_flops);

}  // namespace mechcert
