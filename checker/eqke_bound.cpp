#include "checker/eqke_bound.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "checker/check.hpp"
#include "checker/fp_environment.hpp"

namespace mechcert {

// Rejects an enclosure with an infinite or NaN end: std::max / std::min would silently drop a NaN.
void require_finite(const IntervalMatrix& X, const char* what) {
  for (size_t i = 0; i < X.lo.size(); ++i)
    if (!std::isfinite(X.lo[i]) || !std::isfinite(X.hi[i]))
      throw CertificateRejected(std::string("EQKE approximation: ") + what +
                                " overflows binary64 (hint directions too large?)");
}
// Upper bound of the range max_t X[j,t] − min_t X[j,t] of every row j of the enclosed X.
std::vector<double> row_ranges_up(const IntervalMatrix& X) {
  require_finite(X, "a residual factor");
  std::vector<double> r(static_cast<size_t>(X.rows));
  for (int64_t j = 0; j < X.rows; ++j) {
    double hi = -HUGE_VAL, lo = HUGE_VAL;
    for (int64_t t = 0; t < X.cols; ++t) {
      hi = std::max(hi, X.at(j, t).hi);
      lo = std::min(lo, X.at(j, t).lo);
    }
    r[static_cast<size_t>(j)] = sub_up(hi, lo);
  }
  return r;
}

namespace {

// Every function in this namespace needs FE_UPWARD (the public entry points hold the guard).

// {c·x : x in a} for a point c.
inline Interval scale(double c, Interval a) {
  return c >= 0 ? Interval{mul_down(c, a.lo), mul_up(c, a.hi)} : Interval{mul_down(c, a.hi), mul_up(c, a.lo)};
}
inline double mag(Interval a) { return std::max(-a.lo, a.hi); }  // >= |x| for x in a (exact)
inline void set(IntervalMatrix& m, int64_t r, int64_t c, Interval x) {
  const auto i = static_cast<size_t>(r * m.cols + c);
  m.lo[i] = x.lo;
  m.hi[i] = x.hi;
}
// sqrt rounded up whatever sqrt's own rounding: bumped until s·s >= x holds when rounded down.
double sqrt_up(double x) {
  double s = std::sqrt(x);
  while (mul_down(s, s) < x) s = std::nextafter(s, HUGE_VAL);
  return s;
}

__attribute__((noinline)) Rank1Split split(const IntervalMatrix& A, const Matrix& E, const EqkeHints& h) {
  const int64_t v = A.rows, d = A.cols;
  const std::vector<double>& u = h.query_dir;
  const std::vector<double>& w = h.key_dir;
  // α = Aᵀu, β = B w = Eᵀw (B[j,t] = E[t,j]).
  std::vector<Interval> alpha(static_cast<size_t>(d), Interval{0, 0}), beta(alpha);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t j = 0; j < d; ++j) {
      alpha[static_cast<size_t>(j)] = add(alpha[static_cast<size_t>(j)], scale(u[static_cast<size_t>(q)], A.at(q, j)));
      const double e = E(q, j), wt = w[static_cast<size_t>(q)];
      beta[static_cast<size_t>(j)] = add(beta[static_cast<size_t>(j)], Interval{mul_down(e, wt), mul_up(e, wt)});
    }
  Rank1Split s;
  s.Ar = IntervalMatrix(v, d);
  s.Br = IntervalMatrix(d, v);
  std::vector<Interval> gamma(static_cast<size_t>(v), Interval{0, 0}), delta(gamma);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t j = 0; j < d; ++j) {
      const Interval ar = sub(A.at(q, j), scale(u[static_cast<size_t>(q)], alpha[static_cast<size_t>(j)]));
      set(s.Ar, q, j, ar);
      const Interval br = sub(Interval{E(q, j), E(q, j)}, scale(w[static_cast<size_t>(q)], beta[static_cast<size_t>(j)]));
      set(s.Br, j, q, br);
      // γ = Bᵀα (γ_t = Σ_j α_j E[t,j]), δ = Ar β.
      gamma[static_cast<size_t>(q)] = add(gamma[static_cast<size_t>(q)], scale(E(q, j), alpha[static_cast<size_t>(j)]));
      delta[static_cast<size_t>(q)] = add(delta[static_cast<size_t>(q)], mul(ar, beta[static_cast<size_t>(j)]));
    }
  s.Ehat = IntervalMatrix(v, v);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t t = 0; t < v; ++t)
      set(s.Ehat, q, t, add(scale(u[static_cast<size_t>(q)], gamma[static_cast<size_t>(t)]),
                            scale(w[static_cast<size_t>(t)], delta[static_cast<size_t>(q)])));
  return s;
}

__attribute__((noinline)) std::vector<double> max_diff(const IntervalMatrix& Ar, const IntervalMatrix& Br) {
  const std::vector<double> range = row_ranges_up(Br);
  std::vector<double> b(static_cast<size_t>(Ar.rows), 0.0);
  for (int64_t q = 0; q < Ar.rows; ++q)
    for (int64_t j = 0; j < Ar.cols; ++j)
      b[static_cast<size_t>(q)] = add_up(b[static_cast<size_t>(q)], mul_up(mag(Ar.at(q, j)), range[static_cast<size_t>(j)]));
  return b;
}

__attribute__((noinline)) std::vector<double> mean_max_diff(const IntervalMatrix& Ar, const IntervalMatrix& Br) {
  const int64_t v = Ar.rows, d = Ar.cols, n = Br.cols;
  // μ: any point is sound (Lemma S7); the mean of the lower ends is cheap and deterministic.
  std::vector<double> mu(static_cast<size_t>(d), 0.0);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t j = 0; j < d; ++j) mu[static_cast<size_t>(j)] += Ar.at(q, j).lo;
  for (double& m : mu) m /= static_cast<double>(v);
  IntervalMatrix muBr(1, n);
  for (int64_t t = 0; t < n; ++t) {
    Interval sum{0, 0};
    for (int64_t j = 0; j < d; ++j) sum = add(sum, scale(mu[static_cast<size_t>(j)], Br.at(j, t)));
    set(muBr, 0, t, sum);
  }
  const double base = row_ranges_up(muBr)[0];
  const std::vector<double> range = row_ranges_up(Br);
  std::vector<double> b(static_cast<size_t>(v), base);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t j = 0; j < d; ++j) {
      const Interval a = Ar.at(q, j);
      const double m = mu[static_cast<size_t>(j)];
      const double dev = std::max(sub_up(a.hi, m), sub_up(m, a.lo));  // >= |y − μ|, y in a
      b[static_cast<size_t>(q)] = add_up(b[static_cast<size_t>(q)], mul_up(dev, range[static_cast<size_t>(j)]));
    }
  return b;
}

__attribute__((noinline)) std::vector<double> max_diff_exact(const IntervalMatrix& Ar, const IntervalMatrix& Br) {
  const int64_t v = Ar.rows, d = Ar.cols, n = Br.cols;
  IntervalMatrix P(v, n);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t t = 0; t < n; ++t) {
      Interval sum{0, 0};
      for (int64_t j = 0; j < d; ++j) sum = add(sum, mul(Ar.at(q, j), Br.at(j, t)));
      set(P, q, t, sum);
    }
  return row_ranges_up(P);
}

__attribute__((noinline)) std::vector<double> spectral(const IntervalMatrix& Ar, const IntervalMatrix& Br) {
  const int64_t v = Ar.rows, d = Ar.cols, n = Br.cols;
  // σ >= ‖Br‖₂: min of the Frobenius norm and sqrt(‖Br‖₁ ‖Br‖∞) (both upper bounds).
  double frob2 = 0, norm_inf = 0;
  std::vector<double> col_sum(static_cast<size_t>(n), 0.0);
  for (int64_t j = 0; j < d; ++j) {
    double row = 0;
    for (int64_t t = 0; t < n; ++t) {
      const double m = mag(Br.at(j, t));
      frob2 = add_up(frob2, mul_up(m, m));
      row = add_up(row, m);
      col_sum[static_cast<size_t>(t)] = add_up(col_sum[static_cast<size_t>(t)], m);
    }
    norm_inf = std::max(norm_inf, row);
  }
  const double norm_1 = *std::max_element(col_sum.begin(), col_sum.end());
  const double sigma = std::min(sqrt_up(frob2), sqrt_up(mul_up(norm_1, norm_inf)));
  constexpr double kSqrt2Up = 0x1.6a09e667f3bcdp+0;  // > sqrt(2) (sqrt(2) = 0x1.6a09e667f3bcc9...p+0)
  const double factor = mul_up(kSqrt2Up, sigma);
  std::vector<double> b(static_cast<size_t>(v));
  for (int64_t q = 0; q < v; ++q) {
    double s2 = 0;
    for (int64_t j = 0; j < d; ++j) {
      const double m = mag(Ar.at(q, j));
      s2 = add_up(s2, mul_up(m, m));
    }
    b[static_cast<size_t>(q)] = mul_up(sqrt_up(s2), factor);
  }
  return b;
}

}  // namespace

Rank1Split rank1_split(const IntervalMatrix& A, const Matrix& E, const EqkeHints& hints) {
  UpwardRounding up;
  return split(A, E, hints);
}
std::vector<double> residual_max_diff(const IntervalMatrix& Ar, const IntervalMatrix& Br) {
  UpwardRounding up;
  return max_diff(Ar, Br);
}
std::vector<double> residual_mean_max_diff(const IntervalMatrix& Ar, const IntervalMatrix& Br) {
  UpwardRounding up;
  return mean_max_diff(Ar, Br);
}
std::vector<double> residual_max_diff_exact(const IntervalMatrix& Ar, const IntervalMatrix& Br) {
  UpwardRounding up;
  return max_diff_exact(Ar, Br);
}
std::vector<double> residual_spectral(const IntervalMatrix& Ar, const IntervalMatrix& Br) {
  UpwardRounding up;
  return spectral(Ar, Br);
}

EqkeApproximation eqke_approximation(EqkeOption option, const IntervalMatrix& A, const Matrix& E,
                                     const EqkeHints& hints, OpCounts& ops, uint64_t& paper_flops) {
  const auto v = static_cast<uint64_t>(A.rows), d = static_cast<uint64_t>(A.cols);
  Rank1Split s = rank1_split(A, E, hints);
  require_finite(s.Ehat, "Ehat");
  require_finite(s.Ar, "Ar");
  require_finite(s.Br, "Br");
  // SPEC 7.17: α, β (point × interval, point × point), Ar, Br, γ, δ (interval × interval), Ehat.
  ops.interval_mul += 2 * v * d * 5 + 8 * v * d + 4 * v * v;
  ops.interval_add += 2 * v * d * 5 + 2 * v * d + 2 * v * v;
  ops.compare += 6 * v * d;
  paper_flops += 2 * paper_matmul_flops(1, v, d) + 4 * v * d + 2 * paper_matmul_flops(v, d, 1) + 3 * v * v;
  EqkeApproximation out;
  switch (option) {
    case EqkeOption::MaxDiff:
      out.b_hi = residual_max_diff(s.Ar, s.Br);
      ops.compare += 2 * d * (v - 1) + v * d;
      ops.interval_add += d + v * d;
      ops.interval_mul += v * d;
      paper_flops += 2 * d * (v - 1) + d + 3 * v * d;
      break;
    case EqkeOption::MeanMaxDiff:
      out.b_hi = residual_mean_max_diff(s.Ar, s.Br);
      ops.interval_add += v * d + 2 * d * v + 2 * (v - 1) + 1 + d + 3 * v * d;
      ops.interval_mul += d + 2 * d * v + v * d;
      ops.compare += 2 * (v - 1) + 2 * d * (v - 1) + v * d;
      paper_flops += v * d + d + paper_matmul_flops(1, d, v) + 2 * (v - 1) + 1 + 2 * d * (v - 1) + d + 4 * v * d;
      break;
    case EqkeOption::MaxDiffExact:
      out.b_hi = residual_max_diff_exact(s.Ar, s.Br);
      ops.interval_mul += 8 * v * v * d;
      ops.interval_add += 2 * v * v * d + v;
      ops.compare += 6 * v * v * d + 2 * v * (v - 1);
      paper_flops += paper_matmul_flops(v, d, v) + 2 * v * (v - 1) + v;
      break;
    case EqkeOption::Svd:
      out.b_hi = residual_spectral(s.Ar, s.Br);
      ops.interval_mul += 2 * d * v + v * d + v + 2;
      ops.interval_add += 3 * d * v + v * d + 2 * v + 2;
      ops.compare += 2 * d * v + v + d + 2;
      paper_flops += 4 * d * v + 2 * v * d + 2 * v + 6;
      break;
    default:  // Exact has no approximation; the peeling options are checker/eqke_peeling.hpp's
      throw std::logic_error("eqke_approximation: not a rank-1 option");
  }
  for (const double b : out.b_hi)
    if (!std::isfinite(b)) throw CertificateRejected("EQKE approximation: residual bound overflows binary64");
  out.Ehat = std::move(s.Ehat);
  return out;
}

}  // namespace mechcert
