// The EQKE options of the subcubic strategies (SPEC.md 7.11-7.16), generator side, in double
// precision: the hint directions (top singular vectors of EQKE, Eigen SVD), the approximation
// Ehat = u γᵀ + δ wᵀ and the residual bound b[q] of each option, mirroring the checker's formulas so
// that the search certifies what the checker will. Untrusted: the checker rebuilds Ehat and b from
// the weights and the hints with outward rounding; b is inflated slightly here so that the
// checker's last-bit differences never reject our own certificate.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "generator/path_tables.hpp"

namespace mechcert {

enum class SubcubicEqke { Exact, Svd, MaxDiff, MeanMaxDiff, MaxDiffExact };

// "exact_EQKE+max_diff_exact", "svd", "max_diff", "mean+max_diff", "max_diff_exact".
std::string subcubic_eqke_name(SubcubicEqke option);
std::optional<SubcubicEqke> parse_subcubic_eqke(const std::string& name);

struct SubcubicEqkeApprox {
  std::vector<double> query_dir, key_dir;  // the hints u, w (length v)
  RowMatrix Ehat;                          // [v, v]
  std::vector<double> b;                   // [v] residual bound per query
};

// `option` != Exact; zero biases (the tables from compute_path_tables(w, BiasPolicy::Reject)).
SubcubicEqkeApprox subcubic_eqke_approx(SubcubicEqke option, const PathTables& t, const ModelWeights& w);

}  // namespace mechcert
