// The EQKE options of the subcubic strategies (SPEC.md 7.11-7.16, 7.18-7.23), generator side, in
// double precision: the hint directions (top singular vectors of EQKE, Eigen SVD; for the peeling
// options also of the peeled embeddings and of W_Q, W_K, reference-algorithms.md 6.3(c)), the
// approximation Ehat and the residual bound b[q] of each option, mirroring the checker's formulas so
// that the search certifies what the checker will. Untrusted: the checker rebuilds Ehat and b from
// the weights and the hints with outward rounding; b is inflated slightly here so that the
// checker's last-bit differences never reject our own certificate.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "generator/path_tables.hpp"

namespace mechcert {

enum class SubcubicEqke {
  Exact, Svd, MaxDiff, MeanMaxDiff, MaxDiffExact,
  MaxDiffSubproduct, MeanMaxDiffSubproduct, MaxDiffSubproductRecursive,
  MeanMaxDiffSubproductRecursive, MeanRecursiveMaxDiffSubproductRecursive,
};
// All ten, in the order above.
const std::vector<SubcubicEqke>& all_subcubic_eqke();
bool is_peeling(SubcubicEqke option);           // the last five (six hints)
bool is_recursive(SubcubicEqke option);         // the three `…_recursive` ones

// "exact_EQKE+max_diff_exact", "svd", "max_diff", "mean+max_diff", "max_diff_exact", and the
// five peeling names of reference-algorithms.md 6.3(c).
std::string subcubic_eqke_name(SubcubicEqke option);
std::optional<SubcubicEqke> parse_subcubic_eqke(const std::string& name);

struct SubcubicEqkeApprox {
  std::vector<double> query_dir, key_dir;  // the hints u, w (length v); peeling: qd, kd
  // Peeling options only: qd2, kd2 (length v), uQ, uK (length d).
  std::vector<double> query_dir2, key_dir2, query_weight_dir, key_weight_dir;
  RowMatrix Ehat;                          // [v, v]
  std::vector<double> b;                   // [v] residual bound per query
};

// `option` != Exact; zero biases (the tables from compute_path_tables(w, BiasPolicy::Reject)).
SubcubicEqkeApprox subcubic_eqke_approx(SubcubicEqke option, const PathTables& t, const ModelWeights& w);

}  // namespace mechcert
