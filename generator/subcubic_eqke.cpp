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
    case SubcubicEqke::MaxDiffSubproduct: return "max_diff_subproduct";
    case SubcubicEqke::MeanMaxDiffSubproduct: return "mean+max_diff_subproduct";
    case SubcubicEqke::MaxDiffSubproductRecursive: return "max_diff_subproduct_recursive";
    case SubcubicEqke::MeanMaxDiffSubproductRecursive: return "mean+max_diff_subproduct_recursive";
    case SubcubicEqke::MeanRecursiveMaxDiffSubproductRecursive: return "mean_recursive+max_diff_subproduct_recursive";
  }
  return "";
}

const std::vector<SubcubicEqke>& all_subcubic_eqke() {
  static const std::vector<SubcubicEqke> all = {
      SubcubicEqke::Exact, SubcubicEqke::Svd, SubcubicEqke::MaxDiff, SubcubicEqke::MeanMaxDiff,
      SubcubicEqke::MaxDiffExact, SubcubicEqke::MaxDiffSubproduct, SubcubicEqke::MeanMaxDiffSubproduct,
      SubcubicEqke::MaxDiffSubproductRecursive, SubcubicEqke::MeanMaxDiffSubproductRecursive,
      SubcubicEqke::MeanRecursiveMaxDiffSubproductRecursive};
  return all;
}
bool is_recursive(SubcubicEqke o) {
  return o == SubcubicEqke::MaxDiffSubproductRecursive || o == SubcubicEqke::MeanMaxDiffSubproductRecursive ||
         o == SubcubicEqke::MeanRecursiveMaxDiffSubproductRecursive;
}
bool is_peeling(SubcubicEqke o) {
  return is_recursive(o) || o == SubcubicEqke::MaxDiffSubproduct || o == SubcubicEqke::MeanMaxDiffSubproduct;
}

std::optional<SubcubicEqke> parse_subcubic_eqke(const std::string& name) {
  for (const SubcubicEqke o : all_subcubic_eqke())
    if (subcubic_eqke_name(o) == name) return o;
  return std::nullopt;
}

namespace {
Eigen::VectorXd row_ranges(const RowMatrix& X) { return X.rowwise().maxCoeff() - X.rowwise().minCoeff(); }
std::vector<double> as_vector(const Eigen::VectorXd& x) { return {x.data(), x.data() + x.size()}; }
Eigen::VectorXd top_left_singular(const RowMatrix& X) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU);
  Eigen::VectorXd u = svd.matrixU().col(0);
  if (u.norm() == 0 || !u.allFinite()) u = Eigen::VectorXd::Ones(X.rows()) / std::sqrt(double(X.rows()));
  return u;
}

// Lemma S6 / S7 for L·R: Σ_j |L[q,j] − μ_j|·range_j (+ range(μR)), μ the row mean of L or 0.
Eigen::VectorXd split_bound(const RowMatrix& L, const RowMatrix& R, bool mean) {
  const Eigen::VectorXd range = row_ranges(R);
  if (!mean) return L.cwiseAbs() * range;
  const Eigen::RowVectorXd mu = L.colwise().mean();
  const Eigen::RowVectorXd muR = mu * R;
  Eigen::VectorXd b = (L.rowwise() - mu).cwiseAbs() * range;
  b.array() += muR.maxCoeff() - muR.minCoeff();
  return b;
}

// SPEC 7.18-7.23 (reference-algorithms.md 6.3(c)): directions, Ehat = S − F1 F2 F3 F4 and b.
void peeling_approx(SubcubicEqke option, const PathTables& t, const ModelWeights& w, const RowMatrix& Eq,
                    SubcubicEqkeApprox& out, Eigen::VectorXd& b) {
  const RowMatrix Ek = as_eigen(w.W_E), Q = as_eigen(w.W_Q), K = as_eigen(w.W_K);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(t.EQKE, Eigen::ComputeThinU | Eigen::ComputeThinV);
  Eigen::VectorXd qd = svd.matrixU().col(0), kd = svd.matrixV().col(0);
  if (qd.mean() < 0) {
    qd = -qd;
    kd = -kd;
  }
  const RowMatrix Qr = Eq - qd * (qd.transpose() * Eq);
  const RowMatrix Kr = Ek - kd * (kd.transpose() * Ek);
  const Eigen::VectorXd qd2 = top_left_singular(Qr), kd2 = top_left_singular(Kr);
  const RowMatrix Qrr = Qr - qd2 * (qd2.transpose() * Qr);
  const RowMatrix Krr = Kr - kd2 * (kd2.transpose() * Kr);
  const Eigen::VectorXd uQ = top_left_singular(Q), uK = top_left_singular(K);
  const RowMatrix Qrw = Q - uQ * (uQ.transpose() * Q);
  const RowMatrix Krw = K - uK * (uK.transpose() * K);
  const RowMatrix F1 = Qrr, F2 = Qrw, F3 = Krw.transpose(), F4 = Krr.transpose();
  out.query_dir = as_vector(qd);
  out.key_dir = as_vector(kd);
  out.query_dir2 = as_vector(qd2);
  out.key_dir2 = as_vector(kd2);
  out.query_weight_dir = as_vector(uQ);
  out.key_weight_dir = as_vector(uK);
  // S = Ehat + F1 F2 F3 F4 exactly (Lemma S10); forming the v×v error here is generator work.
  const RowMatrix F34 = F3 * F4, F12 = F1 * F2;
  out.Ehat = t.EQKE - F12 * F34;
  const bool mean = option == SubcubicEqke::MeanMaxDiffSubproduct;
  switch (option) {
    case SubcubicEqke::MaxDiffSubproduct:
    case SubcubicEqke::MeanMaxDiffSubproduct:
      b = split_bound(F1, F2 * F34, mean)
              .cwiseMin(split_bound(F12, F34, mean))
              .cwiseMin(split_bound(F12 * F3, F4, mean));
      break;
    default: {  // the recursive ones: ranges propagated F4 -> F3 -> F2 -> F1
      const bool every = option == SubcubicEqke::MeanRecursiveMaxDiffSubproductRecursive;
      const bool top = every || option == SubcubicEqke::MeanMaxDiffSubproductRecursive;
      const RowMatrix* F[4] = {&F1, &F2, &F3, &F4};
      Eigen::VectorXd rho = row_ranges(F4);
      for (int level = 2; level >= 0; --level) {
        const RowMatrix& X = *F[level];
        if (every || (top && level == 0)) {
          const Eigen::RowVectorXd mu = X.colwise().mean();
          Eigen::RowVectorXd chain = mu;
          for (int i = level + 1; i < 4; ++i) chain = chain * *F[i];
          const double base = chain.maxCoeff() - chain.minCoeff();
          rho = (X.rowwise() - mu).cwiseAbs() * rho;
          rho.array() += base;
        } else {
          rho = X.cwiseAbs() * rho;
        }
      }
      b = rho;
    }
  }
}
}  // namespace

SubcubicEqkeApprox subcubic_eqke_approx(SubcubicEqke option, const PathTables& t, const ModelWeights& w) {
  if (option == SubcubicEqke::Exact) throw std::invalid_argument("subcubic_eqke_approx: exact option");
  const auto E = as_eigen(w.W_E);
  const auto P = as_eigen(w.W_pos);
  const RowMatrix Eq = E.rowwise() + P.row(static_cast<Eigen::Index>(w.k - 1));
  const RowMatrix A = (Eq * as_eigen(w.W_Q)) * as_eigen(w.W_K).transpose();  // [v, d]
  const RowMatrix B = E.transpose();                                           // [d, v]
  const int64_t v = t.v;
  Eigen::VectorXd b(v);
  SubcubicEqkeApprox out;
  if (is_peeling(option)) {
    peeling_approx(option, t, w, Eq, out, b);
  } else {
    // Hints: the top singular pair of EQKE (reference-algorithms.md 6.3(a)), sign so that mean(u) >= 0.
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(t.EQKE, Eigen::ComputeThinU | Eigen::ComputeThinV);
    Eigen::VectorXd u = svd.matrixU().col(0), wk = svd.matrixV().col(0);
    if (u.mean() < 0) {
      u = -u;
      wk = -wk;
    }
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
      default: break;
    }
  }
  out.b.resize(static_cast<size_t>(v));
  // Outward rounding in the checker makes its b a few ulps larger; 1e-9 relative covers that.
  for (int64_t q = 0; q < v; ++q) out.b[static_cast<size_t>(q)] = b(q) * (1 + 1e-9) + 1e-12;
  return out;
}

}  // namespace mechcert
