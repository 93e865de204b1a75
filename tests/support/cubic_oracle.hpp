// Per-input exact oracle for the cubic tests (header-only, shares no code with checker/ or
// generator/): is input t strictly correct under the exact real semantics of SPEC 0.1?
//
// The path tables are computed as exact rationals (mpq) from the weights (zero biases); for each
// wrong answer x, sign(logit_m - logit_x) = sign(sum_p e^{(raw_p - raw_max)/s} G_p) with
// G_p = EUd + EVOUd[t_p] + PVOUd[p] exact, evaluated with MPFR at 256 bits and accepted only when
// |sum| > 2^-200 · sum|terms| (else the input counts as "undecided" = not certified-correct).
// Cost: O(v^k · k · v) MPFR operations: tiny models only (v^k up to a few tens of thousands).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include <boost/multiprecision/gmp.hpp>
#include <mpfr.h>

#include "format/model_weights.hpp"

namespace mechcert::test {

class CubicOracle {
 public:
  using Q = boost::multiprecision::mpq_rational;

  explicit CubicOracle(const ModelWeights& w) : v_(w.v), k_(w.k), d_head_(w.d_head) {
    auto mat = [](const Matrix& m) {
      std::vector<Q> out;
      for (double x : m.data) out.emplace_back(x);
      return out;
    };
    const auto E = mat(w.W_E), P = mat(w.W_pos), Qm = mat(w.W_Q), K = mat(w.W_K), V = mat(w.W_V),
               O = mat(w.W_O), U = mat(w.W_U);
    const int64_t d = w.d, dh = w.d_head, vo = w.v_out;
    auto mul = [](const std::vector<Q>& a, int64_t n, int64_t inner, const std::vector<Q>& b,
                  int64_t m) {
      std::vector<Q> c(static_cast<size_t>(n * m));
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) {
          Q s = 0;
          for (int64_t l = 0; l < inner; ++l)
            s += a[static_cast<size_t>(i * inner + l)] * b[static_cast<size_t>(l * m + j)];
          c[static_cast<size_t>(i * m + j)] = s;
        }
      return c;
    };
    std::vector<Q> Eq = E;
    for (int64_t t = 0; t < v_; ++t)
      for (int64_t j = 0; j < d; ++j)
        Eq[static_cast<size_t>(t * d + j)] += P[static_cast<size_t>((k_ - 1) * d + j)];
    EU_ = mul(Eq, v_, d, U, vo);
    const auto VO = mul(V, d, dh, O, d);
    const auto VOU = mul(VO, d, d, U, vo);
    EVOU_ = mul(E, v_, d, VOU, vo);
    PVOU_ = mul(P, k_, d, VOU, vo);
    const auto q = mul(Eq, v_, d, Qm, dh);
    const auto kE = mul(E, v_, d, K, dh), kP = mul(P, k_, d, K, dh);
    EQKE_.resize(static_cast<size_t>(v_ * v_));
    EQKP_.resize(static_cast<size_t>(v_ * k_));
    for (int64_t a = 0; a < v_; ++a) {
      for (int64_t b = 0; b < v_; ++b) {
        Q s = 0;
        for (int64_t l = 0; l < dh; ++l)
          s += q[static_cast<size_t>(a * dh + l)] * kE[static_cast<size_t>(b * dh + l)];
        EQKE_[static_cast<size_t>(a * v_ + b)] = s;
      }
      for (int64_t p = 0; p < k_; ++p) {
        Q s = 0;
        for (int64_t l = 0; l < dh; ++l)
          s += q[static_cast<size_t>(a * dh + l)] * kP[static_cast<size_t>(p * dh + l)];
        EQKP_[static_cast<size_t>(a * k_ + p)] = s;
      }
    }
    vo_ = vo;
  }

  // +1 strictly correct, 0 not (a wrong logit >= the correct one, or undecidable at 256 bits).
  bool strictly_correct(const std::vector<int64_t>& t) const {
    const int64_t m = *std::max_element(t.begin(), t.end());
    const int64_t q = t.back();
    std::vector<Q> raw(static_cast<size_t>(k_));
    for (int64_t p = 0; p < k_; ++p)
      raw[static_cast<size_t>(p)] =
          EQKE_[idx(q, t[static_cast<size_t>(p)], v_)] + EQKP_[idx(q, p, k_)];
    const Q raw_max = *std::max_element(raw.begin(), raw.end());
    mpfr_t s, term, e, abs_sum, scale, g;
    mpfr_inits2(256, s, term, e, abs_sum, scale, g, static_cast<mpfr_ptr>(nullptr));
    mpfr_set_si(scale, d_head_, MPFR_RNDN);
    mpfr_sqrt(scale, scale, MPFR_RNDN);
    std::vector<double> dummy;
    bool ok = true;
    for (int64_t x = 0; x < vo_ && ok; ++x) {
      if (x == m) continue;
      mpfr_set_si(s, 0, MPFR_RNDN);
      mpfr_set_si(abs_sum, 0, MPFR_RNDN);
      for (int64_t p = 0; p < k_; ++p) {
        const int64_t tp = t[static_cast<size_t>(p)];
        const Q G = (EU_[idx(q, m, vo_)] - EU_[idx(q, x, vo_)]) +
                    (EVOU_[idx(tp, m, vo_)] - EVOU_[idx(tp, x, vo_)]) +
                    (PVOU_[idx(p, m, vo_)] - PVOU_[idx(p, x, vo_)]);
        const Q diff = raw[static_cast<size_t>(p)] - raw_max;
        mpfr_set_q(e, diff.backend().data(), MPFR_RNDN);
        mpfr_div(e, e, scale, MPFR_RNDN);
        mpfr_exp(e, e, MPFR_RNDN);
        mpfr_set_q(g, G.backend().data(), MPFR_RNDN);
        mpfr_mul(term, g, e, MPFR_RNDN);
        mpfr_add(s, s, term, MPFR_RNDN);
        mpfr_abs(term, term, MPFR_RNDN);
        mpfr_add(abs_sum, abs_sum, term, MPFR_RNDN);
      }
      mpfr_mul_2si(abs_sum, abs_sum, -200, MPFR_RNDN);
      ok = mpfr_sgn(s) > 0 && mpfr_cmp(s, abs_sum) > 0;
    }
    mpfr_clears(s, term, e, abs_sum, scale, g, static_cast<mpfr_ptr>(nullptr));
    return ok;
  }

 private:
  static size_t idx(int64_t r, int64_t c, int64_t cols) {
    return static_cast<size_t>(r * cols + c);
  }
  int64_t v_, k_, d_head_, vo_ = 0;
  std::vector<Q> EU_, EVOU_, PVOU_, EQKE_, EQKP_;
};

// Every input of the cubic class (m, q, c, S) of SPEC 5.1, in no particular order.
inline std::vector<std::vector<int64_t>> cubic_class_inputs(int64_t k, int64_t m, int64_t q,
                                                            int64_t c,
                                                            const std::vector<int64_t>& S) {
  std::vector<std::vector<int64_t>> out;
  const int64_t r = k - 1;
  for (uint64_t subset = 0; subset < (uint64_t{1} << r); ++subset) {
    if (__builtin_popcountll(subset) != c) continue;
    std::vector<int64_t> slots;
    for (int64_t p = 0; p < r; ++p)
      if ((subset >> p) & 1u) slots.push_back(p);
    uint64_t combos = 1;
    for (int64_t i = 0; i < c; ++i) combos *= S.empty() ? 1 : S.size();
    for (uint64_t z = 0; z < combos; ++z) {
      std::vector<int64_t> t(static_cast<size_t>(k), m);
      t.back() = q;
      uint64_t rest = z;
      for (int64_t s : slots) {
        t[static_cast<size_t>(s)] = S[rest % S.size()];
        rest /= S.size();
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace mechcert::test
