#include "checker/eqke_peeling.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "checker/check.hpp"
#include "checker/fp_environment.hpp"
#include "checker/interval_matrix.hpp"

namespace mechcert {
namespace {

// Every function in this namespace needs FE_UPWARD (the public entry points hold the guard).
// Each counts what it does by formula from the shapes: an interval product 8 directed
// multiplications and 6 comparisons, an interval sum 2 directed additions (SPEC 7.24); one paper
// FLOP per scalar operation, matmuls as outputs · (2·inner − 1).
using Vec = std::vector<Interval>;

struct Count {
  OpCounts& ops;
  uint64_t& flops;
  void products(uint64_t n) { ops.interval_mul += 8 * n, ops.compare += 6 * n, flops += n; }
  void sums(uint64_t n) { ops.interval_add += 2 * n, flops += n; }
};

inline double mag(Interval a) { return std::max(-a.lo, a.hi); }  // >= |x| for x in a (exact)
inline void set(IntervalMatrix& m, int64_t r, int64_t c, Interval x) {
  const auto i = static_cast<size_t>(r * m.cols + c);
  m.lo[i] = x.lo;
  m.hi[i] = x.hi;
}
inline size_t z(int64_t i) { return static_cast<size_t>(i); }
Vec points(const std::vector<double>& h) {
  Vec out;
  for (const double x : h) out.push_back({x, x});
  return out;
}

// Every result is checked finite before it is used again: interval.hpp's operations need finite
// ends (mul's min/max would drop a NaN from 0·inf).
const Vec& finite(const Vec& x) {
  for (const Interval& i : x)
    if (!std::isfinite(i.lo) || !std::isfinite(i.hi))
      throw CertificateRejected("EQKE approximation: a peeling vector overflows binary64 (hint directions too large?)");
  return x;
}
Vec mat_vec(const IntervalMatrix& X, const Vec& y, Count& n) {  // X·y
  Vec out(z(X.rows), Interval{0, 0});
  for (int64_t r = 0; r < X.rows; ++r)
    for (int64_t c = 0; c < X.cols; ++c) out[z(r)] = add(out[z(r)], mul(X.at(r, c), y[z(c)]));
  n.products(static_cast<uint64_t>(X.rows * X.cols));
  n.sums(static_cast<uint64_t>(X.rows * X.cols));
  return finite(out);
}
Vec tmat_vec(const IntervalMatrix& X, const Vec& y, Count& n) {  // Xᵀ·y
  Vec out(z(X.cols), Interval{0, 0});
  for (int64_t r = 0; r < X.rows; ++r)
    for (int64_t c = 0; c < X.cols; ++c) out[z(c)] = add(out[z(c)], mul(X.at(r, c), y[z(r)]));
  n.products(static_cast<uint64_t>(X.rows * X.cols));
  n.sums(static_cast<uint64_t>(X.rows * X.cols));
  return finite(out);
}
IntervalMatrix minus_outer(const IntervalMatrix& X, const Vec& a, const Vec& b, Count& n) {  // X − a·bᵀ
  IntervalMatrix out(X.rows, X.cols);
  for (int64_t r = 0; r < X.rows; ++r)
    for (int64_t c = 0; c < X.cols; ++c) set(out, r, c, sub(X.at(r, c), mul(a[z(r)], b[z(c)])));
  n.products(static_cast<uint64_t>(X.rows * X.cols));
  n.sums(static_cast<uint64_t>(X.rows * X.cols));
  require_finite(out, "a peeled matrix");
  return out;
}
IntervalMatrix product(const IntervalMatrix& X, const IntervalMatrix& Y, Count& n) {  // X·Y
  IntervalMatrix out(X.rows, Y.cols);
  for (int64_t r = 0; r < X.rows; ++r)
    for (int64_t c = 0; c < Y.cols; ++c) {
      Interval s{0, 0};
      for (int64_t j = 0; j < X.cols; ++j) s = add(s, mul(X.at(r, j), Y.at(j, c)));
      set(out, r, c, s);
    }
  n.products(static_cast<uint64_t>(X.rows * X.cols * Y.cols));
  n.sums(static_cast<uint64_t>(X.rows * X.cols * Y.cols));
  require_finite(out, "a product of peeling factors");
  return out;
}

__attribute__((noinline)) PeelingSplit split(const ModelWeights& w, const EqkeHints& h, Count& n) {
  const int64_t v = w.v;
  const IntervalMatrix Eq = add_row_broadcast(w.W_E, w.W_pos, w.k - 1);  // [v, d]
  n.sums(static_cast<uint64_t>(w.v * w.d));
  const IntervalMatrix Q = point_matrix(w.W_Q), K = point_matrix(w.W_K), Ek = point_matrix(w.W_E);
  const Vec qd = points(h.query_dir), kd = points(h.key_dir), qd2 = points(h.query_dir2),
            kd2 = points(h.key_dir2), uQ = points(h.query_weight_dir), uK = points(h.key_weight_dir);
  // Peel the token sides (two directions each) and the weight sides (one each): X − a·(Xᵀa)ᵀ.
  const Vec a1 = tmat_vec(Eq, qd, n);
  const IntervalMatrix Qr = minus_outer(Eq, qd, a1, n);
  const Vec a2 = tmat_vec(Qr, qd2, n);
  const IntervalMatrix Qrr = minus_outer(Qr, qd2, a2, n);
  const Vec b1 = tmat_vec(Ek, kd, n);
  const IntervalMatrix Kr = minus_outer(Ek, kd, b1, n);
  const Vec b2 = tmat_vec(Kr, kd2, n);
  const IntervalMatrix Krr = minus_outer(Kr, kd2, b2, n);
  const Vec sQ = tmat_vec(Q, uQ, n), sK = tmat_vec(K, uK, n);
  const IntervalMatrix Qrw = minus_outer(Q, uQ, sQ, n), Krw = minus_outer(K, uK, sK, n);
  // The six rank-1 terms col_i·row_iᵀ of Lemma S10.
  const Vec cols[6] = {qd,
                       mat_vec(Qr, mat_vec(Q, tmat_vec(K, b1, n), n), n),
                       qd2,
                       mat_vec(Qrr, mat_vec(Q, tmat_vec(K, b2, n), n), n),
                       mat_vec(Qrr, uQ, n),
                       mat_vec(Qrr, mat_vec(Qrw, sK, n), n)};
  const Vec rows[6] = {mat_vec(Ek, mat_vec(K, tmat_vec(Q, a1, n), n), n),
                       kd,
                       mat_vec(Kr, mat_vec(K, tmat_vec(Q, a2, n), n), n),
                       kd2,
                       mat_vec(Krr, mat_vec(K, sQ, n), n),
                       mat_vec(Krr, uK, n)};
  PeelingSplit s;
  s.Ehat = IntervalMatrix(v, v);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t t = 0; t < v; ++t) {
      Interval e{0, 0};
      for (int i = 0; i < 6; ++i) e = add(e, mul(cols[i][z(q)], rows[i][z(t)]));
      set(s.Ehat, q, t, e);
    }
  n.products(6 * static_cast<uint64_t>(v * v));
  n.sums(6 * static_cast<uint64_t>(v * v));
  s.F1 = Qrr;
  s.F2 = Qrw;
  s.F3 = transpose(Krw);
  s.F4 = transpose(Krr);
  require_finite(s.Ehat, "Ehat");
  return s;
}

// Row ranges of R ([a, n]) and Σ_j mag(L[q,j])·ρ_j (Lemma S6 for L·R; SPEC 7.13).
std::vector<double> max_diff_of(const IntervalMatrix& L, const IntervalMatrix& R, Count& n) {
  const std::vector<double> rho = row_ranges_up(R);
  std::vector<double> b(z(L.rows), 0.0);
  for (int64_t q = 0; q < L.rows; ++q)
    for (int64_t j = 0; j < L.cols; ++j) b[z(q)] = add_up(b[z(q)], mul_up(mag(L.at(q, j)), rho[z(j)]));
  const auto a = static_cast<uint64_t>(R.rows), m = static_cast<uint64_t>(R.cols), v = static_cast<uint64_t>(L.rows);
  n.ops.compare += 2 * a * (m - 1) + v * a;
  n.ops.interval_add += a + v * a;
  n.ops.interval_mul += v * a;
  n.flops += 2 * a * (m - 1) + a + 3 * v * a;
  return b;
}

// μ = the mean of the lower ends of X's rows (a binary64 point; any μ is sound, Lemma S13).
std::vector<double> mean_row(const IntervalMatrix& X) {
  std::vector<double> mu(z(X.cols), 0.0);
  for (int64_t r = 0; r < X.rows; ++r)
    for (int64_t c = 0; c < X.cols; ++c) mu[z(c)] += X.at(r, c).lo;
  for (double& m : mu) {
    m /= static_cast<double>(X.rows);
    if (!std::isfinite(m)) throw CertificateRejected("EQKE approximation: a mean row overflows binary64");
  }
  return mu;
}
// Upper bound of range_t (μ·Y)[t] for the chain Y = factors[0]·factors[1]·…, evaluated as
// ((μ·Y0)·Y1)·… (vector × matrix only, never a matrix product).
double chain_range_up(const std::vector<double>& mu, std::vector<const IntervalMatrix*> factors, Count& n) {
  IntervalMatrix x(1, static_cast<int64_t>(mu.size()));
  for (size_t j = 0; j < mu.size(); ++j) x.lo[j] = x.hi[j] = mu[j];
  for (const IntervalMatrix* f : factors) x = product(x, *f, n);
  n.ops.compare += 2 * static_cast<uint64_t>(x.cols - 1);
  n.ops.interval_add += 1;
  n.flops += 2 * static_cast<uint64_t>(x.cols - 1) + 1;
  return row_ranges_up(x)[0];
}
// Lemma S13's propagation step (SPEC 7.21): for X·Y with ρ_j >= the range of row j of Y and any μ,
// range of row i of X·Y <= base + Σ_j |X[i,j] − μ_j|·ρ_j, base >= range(μ·Y) (μ = 0: base = 0).
std::vector<double> propagate(const IntervalMatrix& X, const std::vector<double>& mu, double base,
                              const std::vector<double>& rho, Count& n) {
  std::vector<double> out(z(X.rows), base);
  for (int64_t i = 0; i < X.rows; ++i)
    for (int64_t j = 0; j < X.cols; ++j) {
      const Interval x = X.at(i, j);
      const double m = mu.empty() ? 0.0 : mu[z(j)];
      const double dev = std::max(sub_up(x.hi, m), sub_up(m, x.lo));  // >= |y − μ_j|, y in x
      out[z(i)] = add_up(out[z(i)], mul_up(dev, rho[z(j)]));
    }
  const auto cells = static_cast<uint64_t>(X.rows * X.cols);
  n.ops.interval_add += 3 * cells;
  n.ops.interval_mul += cells;
  n.ops.compare += cells;
  n.flops += 4 * cells;
  return out;
}

// Lemmas S11, S12 (SPEC 7.19, 7.20): the error L_s·R_s at the three split points; b = min_s b_s.
__attribute__((noinline)) std::vector<double> subproduct(const PeelingSplit& s, bool mean, Count& n) {
  const IntervalMatrix F34 = product(s.F3, s.F4, n), F234 = product(s.F2, F34, n);
  const IntervalMatrix F12 = product(s.F1, s.F2, n), F123 = product(F12, s.F3, n);
  const std::pair<const IntervalMatrix*, const IntervalMatrix*> splits[3] = {
      {&s.F1, &F234}, {&F12, &F34}, {&F123, &s.F4}};
  std::vector<double> b;
  for (const auto& [L, R] : splits) {
    std::vector<double> bs;
    if (mean) {
      const std::vector<double> mu = mean_row(*L);
      n.sums(static_cast<uint64_t>(L->rows * L->cols));
      bs = propagate(*L, mu, chain_range_up(mu, {R}, n), row_ranges_up(*R), n);
      n.ops.compare += 2 * static_cast<uint64_t>(R->rows * (R->cols - 1));
    } else {
      bs = max_diff_of(*L, *R, n);
    }
    if (b.empty()) {
      b = bs;
    } else {
      for (size_t q = 0; q < b.size(); ++q) b[q] = std::min(b[q], bs[q]);
      n.ops.compare += b.size();
      n.flops += b.size();
    }
  }
  return b;
}

// Lemmas S13, S14, S15 (SPEC 7.21-7.23): row ranges propagated F4 → F3 → F2 → F1, with the mean row
// at no level, the top level, or every level.
enum class Means { None, Top, Every };
__attribute__((noinline)) std::vector<double> recursive(const PeelingSplit& s, Means means, Count& n) {
  std::vector<double> rho = row_ranges_up(s.F4);
  n.ops.compare += 2 * static_cast<uint64_t>(s.F4.rows * (s.F4.cols - 1));
  n.flops += 2 * static_cast<uint64_t>(s.F4.rows * (s.F4.cols - 1));
  const IntervalMatrix* F[4] = {&s.F1, &s.F2, &s.F3, &s.F4};
  for (int level = 2; level >= 0; --level) {
    const bool with_mean = means == Means::Every || (means == Means::Top && level == 0);
    std::vector<double> mu;
    double base = 0;
    if (with_mean) {
      mu = mean_row(*F[level]);
      n.sums(static_cast<uint64_t>(F[level]->rows * F[level]->cols));
      std::vector<const IntervalMatrix*> rest(F + level + 1, F + 4);
      base = chain_range_up(mu, rest, n);
    }
    rho = propagate(*F[level], mu, base, rho, n);
  }
  return rho;
}

}  // namespace

PeelingSplit peeling_split(const ModelWeights& w, const EqkeHints& hints, OpCounts& ops, uint64_t& paper_flops) {
  const auto v = static_cast<size_t>(w.v), d = static_cast<size_t>(w.d);
  if (hints.query_dir.size() != v || hints.key_dir.size() != v || hints.query_dir2.size() != v ||
      hints.key_dir2.size() != v || hints.query_weight_dir.size() != d || hints.key_weight_dir.size() != d)
    throw std::logic_error("peeling_split: hint lengths (the parser checks them)");
  UpwardRounding up;
  Count n{ops, paper_flops};
  return split(w, hints, n);
}
std::vector<double> residual_subproduct(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops) {
  UpwardRounding up;
  Count n{ops, paper_flops};
  return subproduct(s, false, n);
}
std::vector<double> residual_mean_subproduct(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops) {
  UpwardRounding up;
  Count n{ops, paper_flops};
  return subproduct(s, true, n);
}
std::vector<double> residual_recursive(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops) {
  UpwardRounding up;
  Count n{ops, paper_flops};
  return recursive(s, Means::None, n);
}
std::vector<double> residual_mean_recursive(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops) {
  UpwardRounding up;
  Count n{ops, paper_flops};
  return recursive(s, Means::Top, n);
}
std::vector<double> residual_mean_every_recursive(const PeelingSplit& s, OpCounts& ops, uint64_t& paper_flops) {
  UpwardRounding up;
  Count n{ops, paper_flops};
  return recursive(s, Means::Every, n);
}

EqkeApproximation eqke_peeling_approximation(EqkeOption option, const ModelWeights& w, const EqkeHints& hints,
                                             OpCounts& ops, uint64_t& paper_flops) {
  PeelingSplit s = peeling_split(w, hints, ops, paper_flops);
  EqkeApproximation out;
  switch (option) {
    case EqkeOption::MaxDiffSubproduct: out.b_hi = residual_subproduct(s, ops, paper_flops); break;
    case EqkeOption::MeanMaxDiffSubproduct: out.b_hi = residual_mean_subproduct(s, ops, paper_flops); break;
    case EqkeOption::MaxDiffSubproductRecursive: out.b_hi = residual_recursive(s, ops, paper_flops); break;
    case EqkeOption::MeanMaxDiffSubproductRecursive: out.b_hi = residual_mean_recursive(s, ops, paper_flops); break;
    case EqkeOption::MeanRecursiveMaxDiffSubproductRecursive:
      out.b_hi = residual_mean_every_recursive(s, ops, paper_flops);
      break;
    default: throw std::logic_error("eqke_peeling_approximation: not a peeling option");
  }
  for (const double b : out.b_hi)
    if (!std::isfinite(b)) throw CertificateRejected("EQKE approximation: residual bound overflows binary64");
  out.Ehat = std::move(s.Ehat);
  return out;
}

}  // namespace mechcert
