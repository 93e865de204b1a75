#include "checker/eu_bound.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "checker/fp_environment.hpp"
#include "checker/interval_matrix.hpp"

namespace mechcert {
namespace {

// Row ranges: G[q] = up(max_x hi(EU[q,x]) - min_x lo(EU[q,x])). Needs FE_UPWARD.
__attribute__((noinline)) std::vector<double> row_ranges(const IntervalMatrix& EU) {
  std::vector<double> G(static_cast<size_t>(EU.rows));
  for (int64_t q = 0; q < EU.rows; ++q) {
    double hi = -HUGE_VAL, lo = HUGE_VAL;
    for (int64_t x = 0; x < EU.cols; ++x) {
      hi = std::max(hi, EU.at(q, x).hi);
      lo = std::min(lo, EU.at(q, x).lo);
    }
    G[static_cast<size_t>(q)] = sub_up(hi, lo);
  }
  return G;
}

// Lemma S4 for the weight-based options: G[q] = Σ_j up(|Eq[q,j] - μ_j|) · ρ_j with
// ρ_j = up(max_x U[j,x] - min_x U[j,x]); μ = 0 for `max_diff`. Needs FE_UPWARD.
__attribute__((noinline)) std::vector<double> deviation_bounds(const IntervalMatrix& Eq,
                                                               const Matrix& U,
                                                               const std::vector<double>& mu) {
  const int64_t d = Eq.cols;
  std::vector<double> rho(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) {
    double hi = U(j, 0), lo = U(j, 0);
    for (int64_t x = 1; x < U.cols; ++x) {
      hi = std::max(hi, U(j, x));
      lo = std::min(lo, U(j, x));
    }
    rho[static_cast<size_t>(j)] = sub_up(hi, lo);
  }
  std::vector<double> G(static_cast<size_t>(Eq.rows));
  for (int64_t q = 0; q < Eq.rows; ++q) {
    double sum = 0;
    for (int64_t j = 0; j < d; ++j) {
      const Interval e = Eq.at(q, j);
      const double m = mu[static_cast<size_t>(j)];
      // |y - μ| <= max(hi - μ, μ - lo) for every y in [lo, hi]; both terms >= 0 in sum.
      const double dev = std::max(sub_up(e.hi, m), sub_up(m, e.lo));
      sum = add_up(sum, mul_up(dev, rho[static_cast<size_t>(j)]));
    }
    G[static_cast<size_t>(q)] = sum;
  }
  return G;
}

// μ_j = mean over queries of lo(Eq[q,j]): any point is sound (Lemma S4), this one is cheap and
// deterministic. Needs FE_UPWARD (the rounding only moves the point).
__attribute__((noinline)) std::vector<double> mean_row(const IntervalMatrix& Eq) {
  std::vector<double> mu(static_cast<size_t>(Eq.cols), 0.0);
  for (int64_t q = 0; q < Eq.rows; ++q)
    for (int64_t j = 0; j < Eq.cols; ++j) mu[static_cast<size_t>(j)] += Eq.at(q, j).lo;
  for (double& m : mu) m /= static_cast<double>(Eq.rows);
  return mu;
}

// Lemma S4, centered_max_exact: G[q,m] = up(max_{x != m} hi(EU[q,x]) - lo(EU[q,m])), from the
// two largest upper ends of each row (O(v^2) in all). Needs FE_UPWARD.
__attribute__((noinline)) std::vector<double> centered_gaps(const IntervalMatrix& EU) {
  std::vector<double> G(static_cast<size_t>(EU.rows * EU.cols));
  for (int64_t q = 0; q < EU.rows; ++q) {
    double first = -HUGE_VAL, second = -HUGE_VAL;
    int64_t where = -1;
    for (int64_t x = 0; x < EU.cols; ++x) {
      const double h = EU.at(q, x).hi;
      if (h > first) {
        second = first;
        first = h;
        where = x;
      } else if (h > second) {
        second = h;
      }
    }
    for (int64_t m = 0; m < EU.cols; ++m)
      G[static_cast<size_t>(q * EU.cols + m)] = sub_up(m == where ? second : first, EU.at(q, m).lo);
  }
  return G;
}

// up(hi - lo). Needs FE_UPWARD; noinline so that the subtraction stays inside the guard.
__attribute__((noinline)) double global_range(double hi, double lo) { return sub_up(hi, lo); }

}  // namespace

// μ = Σ_q c[q]·lo(Eq[q]) (svd_query+max_diff): a point, any is sound. Needs FE_UPWARD.
__attribute__((noinline)) std::vector<double> direction_row(const IntervalMatrix& Eq,
                                                            const std::vector<double>& c) {
  std::vector<double> mu(static_cast<size_t>(Eq.cols), 0.0);
  for (int64_t q = 0; q < Eq.rows; ++q)
    for (int64_t j = 0; j < Eq.cols; ++j) mu[static_cast<size_t>(j)] += c[static_cast<size_t>(q)] * Eq.at(q, j).lo;
  for (const double m : mu)
    if (!std::isfinite(m)) throw std::runtime_error("svd_query+max_diff: the direction's μ overflows");
  return mu;
}

EuBound eu_bound(EuOption option, const ModelWeights& w, const IntervalMatrix& EU,
                 const std::vector<double>& direction, OpCounts& ops, uint64_t& paper_flops) {
  const auto v = static_cast<uint64_t>(EU.rows), vo = static_cast<uint64_t>(EU.cols),
             d = static_cast<uint64_t>(w.d);
  EuBound out;
  out.v_out = EU.cols;
  if (option == EuOption::JointExact) return out;  // SPEC 7.25: EU is used per row, not split
  if (option == EuOption::CenteredMaxExact) {
    {
      UpwardRounding up;
      out.G_qm_hi = centered_gaps(EU);
    }
    ops.compare += 2 * v * vo;
    ops.interval_add += v * vo;
    paper_flops += 2 * v * vo + v * vo;
    return out;
  }
  if (option == EuOption::MaxDiffExact) {
    {
      UpwardRounding up;
      out.G_hi = row_ranges(EU);
    }
    ops.compare += 2 * v * (vo - 1);
    ops.interval_add += v;
    paper_flops += 2 * v * (vo - 1) + v;
    return out;
  }
  if (option == EuOption::GlobalMaxDiffExact) {
    // The whole table's range bounds every row's range.
    double hi = -HUGE_VAL, lo = HUGE_VAL;
    for (size_t i = 0; i < EU.hi.size(); ++i) {
      hi = std::max(hi, EU.hi[i]);
      lo = std::min(lo, EU.lo[i]);
    }
    double range;
    {
      UpwardRounding up;
      range = global_range(hi, lo);
    }
    out.G_hi.assign(static_cast<size_t>(v), range);
    ops.compare += 2 * (v * vo - 1);
    ops.interval_add += 1;
    paper_flops += 2 * (v * vo - 1) + 1;
    return out;
  }
  const IntervalMatrix Eq = add_row_broadcast(w.W_E, w.W_pos, w.k - 1);  // Lemma A1
  ops.interval_add += 2 * v * d;
  paper_flops += v * d;
  std::vector<double> mu(static_cast<size_t>(w.d), 0.0);
  if (option == EuOption::MeanQueryMaxDiff || option == EuOption::SvdQueryMaxDiff) {
    {
      UpwardRounding up;
      mu = option == EuOption::MeanQueryMaxDiff ? mean_row(Eq) : direction_row(Eq, direction);
    }
    Matrix mu_row(1, w.d);
    mu_row.data = mu;
    const IntervalMatrix Ebar = multiply(mu_row, point_matrix(w.W_U));  // Lemma A1
    out.Ebar_lo = Ebar.lo;
    out.Ebar_hi = Ebar.hi;
    ops.interval_add += v * d + 2 * d * vo;
    ops.interval_mul += d + 2 * d * vo;
    paper_flops += v * d + d + paper_matmul_flops(1, d, vo);
  }
  {
    UpwardRounding up;
    out.G_hi = deviation_bounds(Eq, w.W_U, mu);
  }
  ops.compare += 2 * d * (vo - 1) + v * d;
  ops.interval_add += d + 3 * v * d;
  ops.interval_mul += v * d;
  paper_flops += 2 * d * (vo - 1) + d + 4 * v * d;
  return out;
}

}  // namespace mechcert
