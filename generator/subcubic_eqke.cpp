#include "generator/subcubic_eqke.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <Eigen/SVD>

#include "generator/transformer.hpp"

namespace mechcert {

std::string subcubic_eqke_name(SubcubicEqke option) {
  switch (option) {
    case SubcubicEqke::Exact: return "exact_EQKE+max_diff_exact";
    case SubcubicEqke::Svd: return "svd";
    case SubcubicEqke::MaxDiff: return "max_diff";
    case SubcubicEqke::MeanMaxDiff: return "mean+max_diff";
    case SubcubicEqke::MaxDiffExact: return "max_diff_exact";
  }
  return "";
}

std::optional<SubcubicEqke> parse_subcubic_eqke(const std::string& name) {
  for (const SubcubicEqke o : {SubcubicEqke::Exact, SubcubicEqke::Svd, SubcubicEqke::MaxDiff,
                               SubcubicEqke::MeanMaxDiff, SubcubicEqke::MaxDiffExact})
    if (subcubic_eqke_name(o) == name) return o;
  return std::nullopt;
}

namespace {
Eigen::VectorXd row_ranges(const RowMatrix& X) { return X.rowwise().maxCoeff() - X.rowwise().minCoeff(); }
}  // namespace

SubcubicEqkeApprox subcubic_eqke_approx(SubcubicEqke option, const PathTables& t, const ModelWeights& w) {
  if (option == SubcubicEqke::Exact) throw std::invalid_argument("subcubic_eqke_approx: exact option");
  const auto E = as_eigen(w.W_E);
  const auto P = as_eigen(w.W_pos);
  const RowMatrix Eq = E.rowwise() + P.row(static_cast<Eigen::Index>(w.k - 1));
  const RowMatrix A = (Eq * as_eigen(w.W_Q)) * as_eigen(w.W_K).transpose();  // [v, d]
  const RowMatrix B = E.transpose();                                           // [d, v]
  // Hints: the top singular pair of EQKE (reference-algorithms.md 6.3(a)), sign so that mean(u) >= 0.
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(t.EQKE, Eigen::ComputeThinU | Eigen::ComputeThinV);
  Eigen::VectorXd u = svd.matrixU().col(0), wk = svd.matrixV().col(0);
  if (u.mean() < 0) {
    u = -u;
    wk = -wk;
  }
  SubcubicEqkeApprox out;
  out.query_dir.assign(u.data(), u.data() + u.size());
  out.key_dir.assign(wk.data(), wk.data() + wk.size());
  // Lemma S5: EQKE = u γᵀ + δ wᵀ + Ar Br for any u, w.
  const Eigen::RowVectorXd alpha = u.transpose() * A;   // [1, d]
  const Eigen::VectorXd beta = B * wk;                  // [d]
  const RowMatrix Ar = A - u * alpha;
  const RowMatrix Br = B - beta * wk.transpose();
  const Eigen::RowVectorXd gamma = alpha * B;           // [1, v]
  const Eigen::VectorXd delta = Ar * beta;              // [v]
  out.Ehat = u * gamma + delta * wk.transpose();
  const int64_t v = t.v;
  Eigen::VectorXd b(v);
  const Eigen::VectorXd range = row_ranges(Br);
  switch (option) {
    case SubcubicEqke::MaxDiff: b = Ar.cwiseAbs() * range; break;
    case SubcubicEqke::MeanMaxDiff: {
      Eigen::RowVectorXd mu = Eigen::RowVectorXd::Zero(Ar.cols());
      for (int64_t q = 0; q < v; ++q) mu += Ar.row(q);
      mu /= static_cast<double>(v);
      const Eigen::RowVectorXd muBr = mu * Br;
      const double base = muBr.maxCoeff() - muBr.minCoeff();
      b = (Ar.rowwise() - mu).cwiseAbs() * range;
      b.array() += base;
      break;
    }
    case SubcubicEqke::MaxDiffExact: b = row_ranges(Ar * Br); break;
    case SubcubicEqke::Svd: {
      const double frob = Br.norm();
      const double n1 = Br.cwiseAbs().colwise().sum().maxCoeff(), ninf = Br.cwiseAbs().rowwise().sum().maxCoeff();
      const double sigma = std::min(frob, std::sqrt(n1 * ninf));
      b = Ar.rowwise().norm() * (std::sqrt(2.0) * sigma);
      break;
    }
    case SubcubicEqke::Exact: break;
  }
  out.b.resize(static_cast<size_t>(v));
  // Outward rounding in the checker makes its b a few ulps larger; 1e-9 relative covers that.
  for (int64_t q = 0; q < v; ++q) out.b[static_cast<size_t>(q)] = b(q) * (1 + 1e-9) + 1e-12;
  return out;
}

}  // namespace mechcert
