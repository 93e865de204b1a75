// The EQKE options of the subcubic strategies (SPEC.md 7.11-7.16): instead of the v×v token-score
// table EQKE = A·B (A = Eq Q Kᵀ, [v, d]; B = Eᵀ, [d, v]), a cheap approximation Ehat and a
// per-query bound b[q] on the row differences of the error:
//     |(EQKE − Ehat)[q,t] − (EQKE − Ehat)[q,t']| <= b[q]   for all q, t, t'.
// The generator supplies two direction hints (u over queries, w over keys; hex floats); the
// checker rebuilds Ehat and the residual from the weights and the hints with outward rounding, so
// any hint gives a true bound (Lemma S5 is an identity for every u, w): a bad hint only loosens b.
//
// Cost: O(v·d) for the split (Lemma S5) and O(v^2) for the Ehat table; the residual bounds
// `max_diff`, `mean+max_diff`, `svd` O(v·d); `max_diff_exact` forms the v×v product Ar·Br,
// O(v^2·d). Memory O(v^2 + v·d). Counted into `ops` / `paper_flops` by formula (SPEC 7.17).
#pragma once
#include <vector>

#include "checker/interval.hpp"
#include "checker/proof_length.hpp"
#include "checker/subcubic_options.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

struct EqkeHints {
  std::vector<double> query_dir;  // u, length v (the peeling options: qd)
  std::vector<double> key_dir;    // w, length v (the peeling options: kd)
  // Only for the peeling options (checker/eqke_peeling.hpp, SPEC 7.18); empty otherwise.
  std::vector<double> query_dir2{}, key_dir2{};              // qd2, kd2, length v
  std::vector<double> query_weight_dir{}, key_weight_dir{};  // uQ, uK, length d
};

// Lemma S5 (SPEC 7.12): enclosures of Ehat = u γᵀ + δ wᵀ and of the factors of the error Ar·Br.
struct Rank1Split {
  IntervalMatrix Ehat;  // [v, v]
  IntervalMatrix Ar;    // [v, d]  A − u αᵀ,  α = Aᵀu
  IntervalMatrix Br;    // [d, v]  B − β wᵀ,  β = B w
};
Rank1Split rank1_split(const IntervalMatrix& A, const Matrix& E, const EqkeHints& hints);

// Upper bounds b[q] of the row differences of Ar·Br, one lemma each.
std::vector<double> residual_max_diff(const IntervalMatrix& Ar, const IntervalMatrix& Br);       // S6, 7.13
std::vector<double> residual_mean_max_diff(const IntervalMatrix& Ar, const IntervalMatrix& Br);  // S7, 7.14
std::vector<double> residual_max_diff_exact(const IntervalMatrix& Ar, const IntervalMatrix& Br); // S8, 7.15
std::vector<double> residual_spectral(const IntervalMatrix& Ar, const IntervalMatrix& Br);       // S9, 7.16

// Shared with checker/eqke_peeling.cpp; both need FE_UPWARD (an UpwardRounding guard alive).
// Throws CertificateRejected naming `what` if an end of X is infinite or NaN.
void require_finite(const IntervalMatrix& X, const char* what);
// Upper bounds of the ranges max_t X[j,t] − min_t X[j,t] of the rows j of the enclosed X.
std::vector<double> row_ranges_up(const IntervalMatrix& X);

struct EqkeApproximation {
  IntervalMatrix Ehat;        // [v, v] encloses Ehat
  std::vector<double> b_hi;   // [v]    upper bounds of b[q] (finite, >= 0)
};

// `option` != Exact. `A` encloses Eq Q Kᵀ ([v, d]), `E` is W_E. Throws CertificateRejected if a
// bound overflows binary64 (possible only for absurd hints; the format limits make it unlikely).
EqkeApproximation eqke_approximation(EqkeOption option, const IntervalMatrix& A, const Matrix& E,
                                     const EqkeHints& hints, OpCounts& ops, uint64_t& paper_flops);

}  // namespace mechcert
