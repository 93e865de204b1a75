// The EU options of the subcubic strategies (SPEC.md 7.6, Lemma S4), generator side, in double
// precision: a vector Ē over output tokens and per-query deviations G with
//   EU[q,x] - EU[q,m] <= Ē[x] - Ē[m] + G[q]   for all q, x, m,
// so the direct path's part of the wrong-logit bound splits into an output part (shared by every
// query of a max token) and a query part. Untrusted: the checker recomputes Ē and G outward-rounded
// from the weights; the search's safety margin absorbs the difference.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "generator/path_tables.hpp"

namespace mechcert {

// JointExact (SPEC 7.25): no split (Ē = 0, G = 0 here are placeholders never used as a bound);
// the search maximises EUc[q,x] per row jointly with the other terms.
enum class SubcubicEU { MaxDiffExact, GlobalMaxDiffExact, MeanQueryMaxDiff, SvdQueryMaxDiff, MaxDiff, CenteredMaxExact, JointExact };

// "max_diff_exact", "global_max_diff_exact", "mean_query+max_diff", "svd_query+max_diff", "max_diff",
// "centered_max_exact" (ours: G per (q, m), SPEC 7.6).
std::string subcubic_eu_name(SubcubicEU option);
std::optional<SubcubicEU> parse_subcubic_eu(const std::string& name);

struct SubcubicEUBound {
  std::vector<double> Ebar;  // [v_out]; all 0 for the options with Ē = 0
  std::vector<double> G;     // [v]
  std::vector<double> G_qm;  // [v * v_out] for centered_max_exact (G depends on m too), else empty
  int64_t v_out = 0;
  bool joint = false;  // joint_exact: not a split at all (see SubcubicEU)
  std::vector<double> direction;  // svd_query+max_diff: the hint c (μ = Σ_q c[q] Eq[q]), else empty
  // The deviation for query q and max token m.
  double gap(int64_t q, int64_t m) const {
    return G_qm.empty() ? G[static_cast<size_t>(q)] : G_qm[static_cast<size_t>(q * v_out + m)];
  }
};

// EU comes from `tables`; `max_diff` and `mean_query+max_diff` read Eq = W_E + W_pos[k-1] and
// U = W_U from `w` (the bound is then O(v·d), never touching EU).
SubcubicEUBound subcubic_eu_bound(SubcubicEU option, const PathTables& tables,
                                  const ModelWeights& w);

}  // namespace mechcert
