#include "generator/conservative_weights.hpp"

#include <algorithm>
#include <cmath>

namespace mechcert {
namespace {

constexpr double kRel = 0x1p-40;     // relative slack on every exp and sum
constexpr double kFloor = 0x1p-1000; // below this, a checker end may be 0 or tiny

// Enclosure of the checker's exp((x - R)/s) for a score x known within `radius`, R within
// [R_lo, R_hi].
void weight(double x, double radius, double R_lo, double R_hi, double s, double& lo, double& hi) {
  const double arg_hi = (x + radius - R_lo) / s;
  const double arg_lo = (x - radius - R_hi) / s;
  const double slack_hi = 0x1p-60 * std::fabs(arg_hi) + 0x1p-60;
  const double slack_lo = 0x1p-60 * std::fabs(arg_lo) + 0x1p-60;
  hi = std::max(std::exp(arg_hi + slack_hi) * (1 + kRel), kFloor);
  lo = std::exp(arg_lo - slack_lo) * (1 - kRel);
  if (!(lo >= kFloor)) lo = 0;
}

}  // namespace

std::vector<ConservativeWeights> conservative_weights(const PathTables& t, const ModelWeights& w,
                                                      const std::vector<double>& extra_radius) {
  const int64_t v = t.v, k = t.k;
  const double s = t.scale;
  const auto E = as_eigen(w.W_E).cwiseAbs();
  const auto P = as_eigen(w.W_pos).cwiseAbs();
  const RowMatrix Eq = E.rowwise() + P.row(static_cast<Eigen::Index>(k - 1));
  const RowMatrix QK = as_eigen(w.W_Q).cwiseAbs() * as_eigen(w.W_K).cwiseAbs().transpose();
  const RowMatrix EqQK = Eq * QK;
  const RowMatrix ME = EqQK * E.transpose();  // [v, v]
  const RowMatrix MP = EqQK * P.transpose();  // [v, k]
  const double gamma = static_cast<double>(2 * w.d + w.d_head + 8) * 0x1p-50;
  std::vector<ConservativeWeights> out(static_cast<size_t>(v));
  for (int64_t q = 0; q < v; ++q) {
    ConservativeWeights& c = out[static_cast<size_t>(q)];
    const auto qi = static_cast<Eigen::Index>(q);
    const double extra = extra_radius.empty() ? 0.0 : extra_radius[static_cast<size_t>(q)];
    // Radii of the token scores and the range of the checker's row shift R_q.
    std::vector<double> rad(static_cast<size_t>(v));
    double R_lo = -HUGE_VAL, R_hi = -HUGE_VAL;
    for (int64_t x = 0; x < v; ++x) {
      const auto xi = static_cast<Eigen::Index>(x);
      rad[static_cast<size_t>(x)] = gamma * ME(qi, xi) * (1 + kRel) + extra + 0x1p-1000 +
                                    0x1p-50 * std::fabs(t.EQKE(qi, xi));
      R_lo = std::max(R_lo, t.EQKE(qi, xi) - rad[static_cast<size_t>(x)]);
      R_hi = std::max(R_hi, t.EQKE(qi, xi) + rad[static_cast<size_t>(x)]);
    }
    c.u_lo.resize(static_cast<size_t>(v));
    c.u_hi.resize(static_cast<size_t>(v));
    c.umax_hi.resize(static_cast<size_t>(v));
    c.umin_lo.resize(static_cast<size_t>(v));
    for (int64_t x = 0; x < v; ++x) {
      const auto i = static_cast<size_t>(x);
      weight(t.EQKE(qi, static_cast<Eigen::Index>(x)), rad[i], R_lo, R_hi, s, c.u_lo[i], c.u_hi[i]);
      c.umax_hi[i] = x == 0 ? c.u_hi[i] : std::max(c.umax_hi[i - 1], c.u_hi[i]);
      c.umin_lo[i] = x == 0 ? c.u_lo[i] : std::min(c.umin_lo[i - 1], c.u_lo[i]);
    }
    // Positional weights over all k positions (the checker's R'_q includes the query slot).
    std::vector<double> prad(static_cast<size_t>(k));
    double P_lo = -HUGE_VAL, P_hi = -HUGE_VAL;
    for (int64_t p = 0; p < k; ++p) {
      const auto pi = static_cast<Eigen::Index>(p);
      prad[static_cast<size_t>(p)] =
          gamma * MP(qi, pi) * (1 + kRel) + 0x1p-1000 + 0x1p-50 * std::fabs(t.EQKP(qi, pi));
      P_lo = std::max(P_lo, t.EQKP(qi, pi) - prad[static_cast<size_t>(p)]);
      P_hi = std::max(P_hi, t.EQKP(qi, pi) + prad[static_cast<size_t>(p)]);
    }
    std::vector<double> lo(static_cast<size_t>(k - 1)), hi(lo);
    for (int64_t p = 0; p + 1 < k; ++p)
      weight(t.EQKP(qi, static_cast<Eigen::Index>(p)), prad[static_cast<size_t>(p)], P_lo, P_hi, s,
             lo[static_cast<size_t>(p)], hi[static_cast<size_t>(p)]);
    weight(t.EQKP(qi, static_cast<Eigen::Index>(k - 1)), prad[static_cast<size_t>(k - 1)], P_lo,
           P_hi, s, c.wq_lo, c.wq_hi);
    // Lemma C6 as the checker applies it: sums of the j smallest / largest lower and upper ends.
    std::sort(lo.begin(), lo.end());
    std::sort(hi.begin(), hi.end());
    const size_t n = lo.size();
    c.small_lo.assign(n + 1, 0.0);
    c.small_hi = c.large_lo = c.large_hi = c.small_lo;
    for (size_t j = 0; j < n; ++j) {
      c.small_lo[j + 1] = (c.small_lo[j] + lo[j]) * (1 - kRel);
      c.large_lo[j + 1] = (c.large_lo[j] + lo[n - 1 - j]) * (1 - kRel);
      c.small_hi[j + 1] = (c.small_hi[j] + hi[j]) * (1 + kRel);
      c.large_hi[j + 1] = (c.large_hi[j] + hi[n - 1 - j]) * (1 + kRel);
    }
  }
  return out;
}

}  // namespace mechcert
