// An independent exact oracle for tiny models: the number of inputs a model classifies correctly
// under the exact real semantics of SPEC.md section 0.1 (strict: the correct logit exceeds every
// other logit; ties are errors), plus torch's argmax convention for comparison with
// `mechcert eval`. Written for the adversarial tests only, deliberately sharing no code with the
// checker or the generator, so that a bug there cannot hide itself here.
//
// Method, per input t and wrong answer x (m = max t, q = t[k-1], everything exact rational except
// the attention weights):
//   margin_x = logit_m - logit_x = A0 + sum_p a_p B_p,  a_p = e^{raw_p/s} / sum_r e^{raw_r/s},
//   A0 = (r_q . dU) + db,  B_p = (v_p W_O + b_O) . dU,  dU = U[:,m] - U[:,x],  db = b_U[m] - b_U[x]
// (b_O moves inside the sum because the a_p sum to 1). Multiplying by the positive denominator,
//   sign(margin_x) = sign( sum_g e^{(raw_g - raw_max)/s} G_g ),  G_g = sum_{p : raw_p = raw_g} (A0 + B_p)
// with positions grouped by equal raw score (exact rational comparison). If every non-zero G_g has
// the same sign (in particular when attention is exactly uniform), the sign is exact. Otherwise
// the sum is evaluated with MPFR at 512 bits; the sign is accepted only if |sum| exceeds a bound
// on the evaluation error, else the oracle throws (the test model was built too close to call).
// Cost: O(v^k * v * k * d * d_head) rational operations: use it for v^k up to a few thousand.
#pragma once
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/multiprecision/gmp.hpp>
#include <mpfr.h>

#include "format/model_weights.hpp"

namespace mechcert::adversarial {

using Q = boost::multiprecision::mpq_rational;

struct ExactCounts {
  uint64_t total = 0;
  uint64_t strict_correct = 0;   // correct logit strictly above all others
  uint64_t argmax_correct = 0;   // torch argmax (first maximal index) == max
  uint64_t exact_ties = 0;       // inputs where some wrong logit equals the correct one exactly
};

namespace detail {

inline std::vector<Q> to_q(const std::vector<double>& xs) {
  std::vector<Q> out;
  out.reserve(xs.size());
  for (double x : xs) out.emplace_back(x);  // a double converts to mpq exactly
  return out;
}

struct QMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<Q> data;
  explicit QMatrix(const Matrix& m) : rows(m.rows), cols(m.cols), data(to_q(m.data)) {}
  const Q& operator()(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
};

// row vector x (length m.rows) times m, plus bias b (may be empty)
inline std::vector<Q> vec_mat(const std::vector<Q>& x, const QMatrix& m, const std::vector<Q>& b) {
  std::vector<Q> out(static_cast<size_t>(m.cols));
  for (int64_t c = 0; c < m.cols; ++c) {
    Q s = b.empty() ? Q(0) : b[static_cast<size_t>(c)];
    for (int64_t r = 0; r < m.rows; ++r) s += x[static_cast<size_t>(r)] * m(r, c);
    out[static_cast<size_t>(c)] = s;
  }
  return out;
}

inline Q dot(const std::vector<Q>& a, const std::vector<Q>& b) {
  Q s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// sign of sum_g exp((raw_g - raw_max)/sqrt(d_head)) * G_g, groups with distinct raw scores.
inline int weighted_sign(const std::vector<Q>& raw, const std::vector<Q>& G, int64_t d_head) {
  int pos = 0, neg = 0;
  for (const Q& g : G) {
    if (g > 0) ++pos;
    if (g < 0) ++neg;
  }
  if (pos == 0 && neg == 0) return 0;
  if (neg == 0) return 1;
  if (pos == 0) return -1;
  constexpr mpfr_prec_t kPrec = 512;
  Q raw_max = raw[0];
  for (const Q& r : raw) raw_max = std::max(raw_max, r);
  mpfr_t s, term, e, abs_sum, scale;
  mpfr_inits2(kPrec, s, term, e, abs_sum, scale, static_cast<mpfr_ptr>(nullptr));
  mpfr_set_si(s, 0, MPFR_RNDN);
  mpfr_set_si(abs_sum, 0, MPFR_RNDN);
  mpfr_set_si(scale, d_head, MPFR_RNDN);
  mpfr_sqrt(scale, scale, MPFR_RNDN);
  for (size_t g = 0; g < G.size(); ++g) {
    if (G[g] == 0) continue;
    const Q diff = raw[g] - raw_max;
    mpfr_set_q(e, diff.backend().data(), MPFR_RNDN);
    mpfr_div(e, e, scale, MPFR_RNDN);
    mpfr_exp(e, e, MPFR_RNDN);
    mpfr_set_q(term, G[g].backend().data(), MPFR_RNDN);
    mpfr_mul(term, term, e, MPFR_RNDN);
    mpfr_add(s, s, term, MPFR_RNDN);
    mpfr_abs(term, term, MPFR_RNDN);
    mpfr_add(abs_sum, abs_sum, term, MPFR_RNDN);
  }
  // Each of the <= 2k+4 roundings per term is relative 2^-512; 2^-400 * sum|terms| is a very
  // generous bound on the accumulated error.
  mpfr_mul_2si(abs_sum, abs_sum, -400, MPFR_RNDN);
  mpfr_abs(term, s, MPFR_RNDN);
  const bool decided = mpfr_cmp(term, abs_sum) > 0;
  const int sign = mpfr_sgn(s);
  mpfr_clears(s, term, e, abs_sum, scale, static_cast<mpfr_ptr>(nullptr));
  if (!decided) throw std::runtime_error("exact_count: a margin is too close to zero to decide");
  return sign > 0 ? 1 : -1;
}

}  // namespace detail

// Enumerates all v^k inputs. Throws std::runtime_error if v^k > max_inputs or a margin cannot be
// decided (see above).
inline ExactCounts exact_counts(const ModelWeights& w, uint64_t max_inputs = 100000) {
  using detail::QMatrix;
  using detail::to_q;
  const int64_t v = w.v, k = w.k;
  uint64_t total = 1;
  for (int64_t i = 0; i < k; ++i) {
    total *= static_cast<uint64_t>(v);
    if (total > max_inputs) throw std::runtime_error("exact_count: too many inputs");
  }
  const QMatrix E(w.W_E), P(w.W_pos), WQ(w.W_Q), WK(w.W_K), WV(w.W_V), WO(w.W_O), U(w.W_U);
  const auto bQ = to_q(w.b_Q), bK = to_q(w.b_K), bV = to_q(w.b_V), bO = to_q(w.b_O), bU = to_q(w.b_U);

  // Per (position, token): residual, key, and value-through-W_O vectors; per token: query.
  std::vector<std::vector<Q>> resid(static_cast<size_t>(k * v)), key(resid.size()), ov(resid.size());
  for (int64_t p = 0; p < k; ++p)
    for (int64_t t = 0; t < v; ++t) {
      std::vector<Q> r(static_cast<size_t>(w.d));
      for (int64_t j = 0; j < w.d; ++j) r[static_cast<size_t>(j)] = E(t, j) + P(p, j);
      const size_t i = static_cast<size_t>(p * v + t);
      key[i] = detail::vec_mat(r, WK, bK);
      ov[i] = detail::vec_mat(detail::vec_mat(r, WV, bV), WO, bO);
      resid[i] = std::move(r);
    }
  std::vector<std::vector<Q>> query(static_cast<size_t>(v));
  for (int64_t t = 0; t < v; ++t)
    query[static_cast<size_t>(t)] = detail::vec_mat(resid[static_cast<size_t>((k - 1) * v + t)], WQ, bQ);

  ExactCounts out;
  out.total = total;
  std::vector<int64_t> tok(static_cast<size_t>(k), 0);
  std::vector<Q> dU(static_cast<size_t>(w.d));
  for (uint64_t n = 0; n < total; ++n) {
    uint64_t rest = n;
    for (int64_t p = k - 1; p >= 0; --p) {
      tok[static_cast<size_t>(p)] = static_cast<int64_t>(rest % static_cast<uint64_t>(v));
      rest /= static_cast<uint64_t>(v);
    }
    const int64_t m = *std::max_element(tok.begin(), tok.end());
    const int64_t q = tok[static_cast<size_t>(k - 1)];
    const auto& rq = resid[static_cast<size_t>((k - 1) * v + q)];
    // raw scores and position groups
    std::vector<Q> raw(static_cast<size_t>(k));
    for (int64_t p = 0; p < k; ++p)
      raw[static_cast<size_t>(p)] =
          detail::dot(query[static_cast<size_t>(q)], key[static_cast<size_t>(p * v + tok[static_cast<size_t>(p)])]);
    std::vector<Q> group_raw;
    std::vector<size_t> group_of(static_cast<size_t>(k));
    for (int64_t p = 0; p < k; ++p) {
      size_t g = 0;
      while (g < group_raw.size() && group_raw[g] != raw[static_cast<size_t>(p)]) ++g;
      if (g == group_raw.size()) group_raw.push_back(raw[static_cast<size_t>(p)]);
      group_of[static_cast<size_t>(p)] = g;
    }
    bool strict = true, argmax = true, tie = false;
    for (int64_t x = 0; x < w.v_out; ++x) {
      if (x == m) continue;
      for (int64_t j = 0; j < w.d; ++j) dU[static_cast<size_t>(j)] = U(j, m) - U(j, x);
      const Q A0 = detail::dot(rq, dU) + (bU[static_cast<size_t>(m)] - bU[static_cast<size_t>(x)]);
      std::vector<Q> G(group_raw.size(), Q(0));
      for (int64_t p = 0; p < k; ++p)
        G[group_of[static_cast<size_t>(p)]] +=
            A0 + detail::dot(ov[static_cast<size_t>(p * v + tok[static_cast<size_t>(p)])], dU);
      const int sign = detail::weighted_sign(group_raw, G, w.d_head);
      if (sign <= 0) strict = false;
      if (sign == 0) tie = true;
      if (sign < 0 || (sign == 0 && x < m)) argmax = false;
    }
    out.strict_correct += strict;
    out.argmax_correct += argmax;
    out.exact_ties += tie;
  }
  return out;
}

}  // namespace mechcert::adversarial
