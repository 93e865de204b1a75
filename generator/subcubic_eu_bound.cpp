#include "generator/subcubic_eu_bound.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/SVD>

namespace mechcert {

std::string subcubic_eu_name(SubcubicEU option) {
  switch (option) {
    case SubcubicEU::MaxDiffExact: return "max_diff_exact";
    case SubcubicEU::GlobalMaxDiffExact: return "global_max_diff_exact";
    case SubcubicEU::MeanQueryMaxDiff: return "mean_query+max_diff";
    case SubcubicEU::SvdQueryMaxDiff: return "svd_query+max_diff";
    case SubcubicEU::MaxDiff: return "max_diff";
    case SubcubicEU::CenteredMaxExact: return "centered_max_exact";
    case SubcubicEU::JointExact: return "joint_exact";
  }
  return "";
}

std::optional<SubcubicEU> parse_subcubic_eu(const std::string& name) {
  for (const SubcubicEU option : {SubcubicEU::MaxDiffExact, SubcubicEU::GlobalMaxDiffExact,
                                  SubcubicEU::MeanQueryMaxDiff, SubcubicEU::SvdQueryMaxDiff, SubcubicEU::MaxDiff,
                                  SubcubicEU::CenteredMaxExact, SubcubicEU::JointExact}) {
    if (subcubic_eu_name(option) == name) return option;
  }
  return std::nullopt;
}

SubcubicEUBound subcubic_eu_bound(SubcubicEU option, const PathTables& t, const ModelWeights& w) {
  SubcubicEUBound out;
  out.Ebar.assign(static_cast<size_t>(t.v_out), 0.0);
  out.G.assign(static_cast<size_t>(t.v), 0.0);
  out.v_out = t.v_out;
  switch (option) {
    case SubcubicEU::JointExact:
      out.joint = true;
      return out;
    case SubcubicEU::CenteredMaxExact:
      // G[q,m] = max_{x != m} EU[q,x] - EU[q,m]: exactly the largest wrong direct logit.
      out.G_qm.assign(static_cast<size_t>(t.v * t.v_out), 0.0);
      for (int64_t q = 0; q < t.v; ++q)
        for (int64_t m = 0; m < t.v_out; ++m) {
          double best = -HUGE_VAL;
          for (int64_t x = 0; x < t.v_out; ++x)
            if (x != m) best = std::max(best, t.EU(q, x));
          out.G_qm[static_cast<size_t>(q * t.v_out + m)] = best - t.EU(q, m);
        }
      for (int64_t q = 0; q < t.v; ++q)
        out.G[static_cast<size_t>(q)] = t.EU.row(q).maxCoeff() - t.EU.row(q).minCoeff();
      return out;
    case SubcubicEU::MaxDiffExact:
      for (int64_t q = 0; q < t.v; ++q)
        out.G[static_cast<size_t>(q)] = t.EU.row(q).maxCoeff() - t.EU.row(q).minCoeff();
      return out;
    case SubcubicEU::GlobalMaxDiffExact: {
      const double range = t.EU.maxCoeff() - t.EU.minCoeff();
      for (double& g : out.G) g = range;
      return out;
    }
    case SubcubicEU::MeanQueryMaxDiff:
    case SubcubicEU::SvdQueryMaxDiff:
    case SubcubicEU::MaxDiff: break;
  }
  // EU[q,x] - EU[q,m] = (μU)[x] - (μU)[m] + Σ_j (Eq[q,j] - μ_j)(U[j,x] - U[j,m]), and the last
  // factor is at most the row range ρ_j of U in absolute value (μ = 0 for max_diff).
  const auto E = as_eigen(w.W_E);
  const auto P = as_eigen(w.W_pos);
  const auto U = as_eigen(w.W_U);
  const RowMatrix Eq = E.rowwise() + P.row(static_cast<Eigen::Index>(w.k - 1));
  Eigen::RowVectorXd mu = Eigen::RowVectorXd::Zero(Eq.cols());
  if (option == SubcubicEU::MeanQueryMaxDiff) {
    mu = Eq.colwise().sum() / static_cast<double>(Eq.rows());
    const Eigen::RowVectorXd mu_U = mu * U;
    for (int64_t x = 0; x < t.v_out; ++x) out.Ebar[static_cast<size_t>(x)] = mu_U(x);
  }
  if (option == SubcubicEU::SvdQueryMaxDiff) {
    // reference-algorithms.md 6.6.1: c = top left singular vector of (E + P̄) U, sign chosen so
    // that the mean deviation is the smaller one; μ = cᵀ Eq as the checker computes it.
    const RowMatrix Eps = E.rowwise() + P.colwise().mean();
    const RowMatrix EpsU = Eps * U;
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(EpsU, Eigen::ComputeThinU);
    Eigen::VectorXd c = svd.matrixU().col(0);
    const Eigen::RowVectorXd m0 = c.transpose() * Eps;
    double plus = 0, minus = 0;
    for (int64_t q = 0; q < t.v; ++q) {
      plus += ((Eps.row(q) - m0) * U).norm();
      minus += ((Eps.row(q) + m0) * U).norm();
    }
    if (plus > minus) c = -c;
    out.direction.assign(c.data(), c.data() + c.size());
    mu = c.transpose() * Eq;
    const Eigen::RowVectorXd mu_U = mu * U;
    for (int64_t x = 0; x < t.v_out; ++x) out.Ebar[static_cast<size_t>(x)] = mu_U(x);
  }
  const Eigen::VectorXd rho = U.rowwise().maxCoeff() - U.rowwise().minCoeff();
  for (int64_t q = 0; q < t.v; ++q)
    out.G[static_cast<size_t>(q)] = ((Eq.row(q) - mu).cwiseAbs() * rho)(0);
  return out;
}

}  // namespace mechcert
