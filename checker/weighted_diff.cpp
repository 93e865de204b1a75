#include "checker/weighted_diff.hpp"

#include <algorithm>
#include <cmath>

namespace mechcert {

double weighted_diff_row_upper(const WeightedDiffRow& r) {
  // The query's unnormalised weight Q and the bound Q·w_q of its OV term (q < m).
  const Interval Q = r.query_is_max ? Interval{0, 0}
                                    : Interval{mul_down(r.omega_q.lo, r.u_q.lo), mul_up(r.omega_q.hi, r.u_q.hi)};
  const double Qw = r.query_is_max ? 0.0 : mul_nonneg_upper(Q, r.Wq_hi);
  const double KS[2] = {add_up(r.K[0], r.slope[0]), add_up(r.K[1], r.slope[1])};
  double worst = -HUGE_VAL;
  // The vertices of the region of (σ, N): σ at its two ends, N = U·s_N with U at its two ends.
  for (int side = 0; side < 2; ++side) {
    const Interval mass = r.query_is_max ? add(r.sigma[side], r.omega_q) : r.sigma[side];
    const Interval A = mul_nonneg(r.u_m, mass);
    const Interval sN = r.s_N[side];
    // s_N·V bounds the non-max tokens' OV terms weighted by their own scores (none if c = 0).
    const double YV = r.has_non_max ? mul_nonneg_upper(sN, r.V_hi) : 0.0;
    for (const double U : {r.U_lo, r.U_hi}) {
      const Interval N = r.has_non_max ? Interval{mul_down(U, sN.lo), mul_up(U, sN.hi)} : Interval{0, 0};
      const Interval QN = add(Q, N);
      // Z·F(A/Z) + Z·G <= max_s [Z·(F(ā) + G - ā·s) + A·s] = max_s [A·(K_s + s) + (Q + N)·K_s].
      double best = -HUGE_VAL;
      for (int i = 0; i < 2; ++i)
        best = std::max(best, add_up(mul_nonneg_upper(A, KS[i]), mul_nonneg_upper(QN, r.K[i])));
      worst = std::max(worst, add_up(add_up(best, Qw), YV));
    }
  }
  return worst;
}

}  // namespace mechcert
