// Lemma S16 (SPEC.md 7.25, attention option `mean_query+weighted_diff`): one subcubic row decided
// in sign form, with the query's own attention kept apart and the non-max tokens' OV terms
// weighted by their own attention scores: Y = Σ ω_p u[q,t_p] w_{t_p} <= (Σ ω_p) · V with
// V >= max_{t <= m-g} u[q,t] w_t, instead of S2's (1 - a) · W with W = max_t w_t. Tokens far
// below m have tiny scores, so V is much smaller than Umax · W when the largest w is far from m.
// Cost O(1) per row (four vertices), no division.
#pragma once
#include "checker/interval.hpp"

namespace mechcert {

// Everything one row of block (m, c) needs, as enclosures or one-sided bounds (SPEC 7.25).
struct WeightedDiffRow {
  Interval u_m;         // u[q,m]
  Interval omega_q;     // ω[q,k-1]
  Interval u_q;         // u[q,q] (used only if q < m)
  bool query_is_max = false;
  Interval sigma[2];    // Σ_{M'} ω at the two placements: small(j), large(j)
  Interval s_N[2];      // Σ_{N'} ω at the same placements: large(c), small(c)
  double U_lo = 0, U_hi = 0;  // every u[q,t], t <= m-g, lies in [U_lo, U_hi] (c >= 1)
  double V_hi = 0;      // >= max_{t <= m-g} u[q,t]·w_t (c >= 1; ignored if c = 0)
  bool has_non_max = false;   // c >= 1
  double Wq_hi = 0;     // >= w_q = max_{x != m} EVc[q,x] (q < m)
  // S3 in sign form with the two slopes s in {R_hi, r_lo} (R_hi >= every EVc[m,x] >= r_lo, x != m):
  // K[i] >= F(ā) + G[q] - ā·slope[i].
  double slope[2] = {0, 0};
  double K[2] = {0, 0};
};

// Needs FE_UPWARD. An upper bound of Z·(max_{x != m} logit_x - logit_m) over every input of the
// row and every placement, Z > 0 the input's unnormalised attention total: the row is certified
// iff the result is < 0.
double weighted_diff_row_upper(const WeightedDiffRow& row);

}  // namespace mechcert
