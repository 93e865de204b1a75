// Independent high-precision oracle for Max-of-K models (tests only, header-only).
//
// Plain loops over every input, the model's forward pass written directly from the architecture
// (residuals, Q/K/V, softmax, O, U: no path decomposition, no shared code with the checker), in
// MPFR at 320 bits. Each input is classified by the margin logit_m - max_{x != m} logit_x:
//   correct   margin >  2^-200,   incorrect  margin < -2^-200,   tie  otherwise.
// With weights of magnitude ~1 the rounding error at 320 bits is ~2^-300, so "tie" means an exact
// tie (e.g. two identical columns of W_U): such inputs must never be certified.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include <mpfr.h>

#include "format/model_weights.hpp"

namespace mechcert::test {

struct OracleCounts {
  uint64_t correct = 0, incorrect = 0, tie = 0;
};

class Mp {  // minimal RAII MPFR number
 public:
  Mp() { mpfr_init2(x_, 320); mpfr_set_zero(x_, 1); }
  explicit Mp(double d) { mpfr_init2(x_, 320); mpfr_set_d(x_, d, MPFR_RNDN); }
  Mp(const Mp& o) { mpfr_init2(x_, 320); mpfr_set(x_, o.x_, MPFR_RNDN); }
  Mp& operator=(const Mp& o) { mpfr_set(x_, o.x_, MPFR_RNDN); return *this; }
  ~Mp() { mpfr_clear(x_); }
  mpfr_ptr get() { return x_; }
  mpfr_srcptr get() const { return x_; }

 private:
  mpfr_t x_;
};

// `only`, if given, restricts the count to the inputs t with only(t) (the others are skipped).
inline OracleCounts oracle_classify_all(const ModelWeights& w,
                                        const std::function<bool(const std::vector<int64_t>&)>& only = nullptr) {
  const int64_t v = w.v, k = w.k, d = w.d, h = w.d_head, vo = w.v_out;
  OracleCounts out;
  std::vector<int64_t> t(static_cast<size_t>(k), 0);
  Mp tmp, scale(static_cast<double>(h));
  mpfr_sqrt(scale.get(), scale.get(), MPFR_RNDN);
  while (true) {
    if (only && !only(t)) {
      int64_t p = 0;
      for (; p < k; ++p) {
        if (++t[static_cast<size_t>(p)] < v) break;
        t[static_cast<size_t>(p)] = 0;
      }
      if (p == k) break;
      continue;
    }
    // residuals r_p = E[t_p] + P_p + 0 (biases included for completeness)
    std::vector<std::vector<Mp>> r(static_cast<size_t>(k), std::vector<Mp>(static_cast<size_t>(d)));
    for (int64_t p = 0; p < k; ++p)
      for (int64_t i = 0; i < d; ++i) {
        Mp e(w.W_E(t[static_cast<size_t>(p)], i)), pp(w.W_pos(p, i));
        mpfr_add(r[p][i].get(), e.get(), pp.get(), MPFR_RNDN);
      }
    auto project = [&](const std::vector<Mp>& x, const Matrix& W, const std::vector<double>& b) {
      std::vector<Mp> y(static_cast<size_t>(W.cols));
      for (int64_t j = 0; j < W.cols; ++j) {
        mpfr_set_d(y[j].get(), b.empty() ? 0.0 : b[static_cast<size_t>(j)], MPFR_RNDN);
        for (int64_t i = 0; i < W.rows; ++i) {
          Mp wij(W(i, j));
          mpfr_mul(tmp.get(), x[static_cast<size_t>(i)].get(), wij.get(), MPFR_RNDN);
          mpfr_add(y[j].get(), y[j].get(), tmp.get(), MPFR_RNDN);
        }
      }
      return y;
    };
    const std::vector<Mp> query = project(r[static_cast<size_t>(k - 1)], w.W_Q, w.b_Q);
    std::vector<Mp> score(static_cast<size_t>(k));
    std::vector<std::vector<Mp>> value(static_cast<size_t>(k));
    for (int64_t p = 0; p < k; ++p) {
      const std::vector<Mp> key = project(r[p], w.W_K, w.b_K);
      value[p] = project(r[p], w.W_V, w.b_V);
      for (int64_t j = 0; j < h; ++j) {
        mpfr_mul(tmp.get(), query[j].get(), key[j].get(), MPFR_RNDN);
        mpfr_add(score[p].get(), score[p].get(), tmp.get(), MPFR_RNDN);
      }
      mpfr_div(score[p].get(), score[p].get(), scale.get(), MPFR_RNDN);
    }
    Mp mx(score[0]), denom;
    for (int64_t p = 1; p < k; ++p) mpfr_max(mx.get(), mx.get(), score[p].get(), MPFR_RNDN);
    std::vector<Mp> a(static_cast<size_t>(k));
    for (int64_t p = 0; p < k; ++p) {
      mpfr_sub(a[p].get(), score[p].get(), mx.get(), MPFR_RNDN);
      mpfr_exp(a[p].get(), a[p].get(), MPFR_RNDN);
      mpfr_add(denom.get(), denom.get(), a[p].get(), MPFR_RNDN);
    }
    std::vector<Mp> z(static_cast<size_t>(h));
    for (int64_t p = 0; p < k; ++p) {
      mpfr_div(a[p].get(), a[p].get(), denom.get(), MPFR_RNDN);
      for (int64_t j = 0; j < h; ++j) {
        mpfr_mul(tmp.get(), a[p].get(), value[p][j].get(), MPFR_RNDN);
        mpfr_add(z[j].get(), z[j].get(), tmp.get(), MPFR_RNDN);
      }
    }
    std::vector<Mp> resid = project(z, w.W_O, w.b_O);
    for (int64_t i = 0; i < d; ++i)
      mpfr_add(resid[i].get(), resid[i].get(), r[static_cast<size_t>(k - 1)][i].get(), MPFR_RNDN);
    const std::vector<Mp> logits = project(resid, w.W_U, w.b_U);

    int64_t m = 0;
    for (int64_t p = 0; p < k; ++p) m = t[static_cast<size_t>(p)] > m ? t[static_cast<size_t>(p)] : m;
    Mp best;
    bool first = true;
    for (int64_t x = 0; x < vo; ++x) {
      if (x == m) continue;
      if (first || mpfr_cmp(logits[x].get(), best.get()) > 0) best = logits[x];
      first = false;
    }
    Mp margin;
    if (first) {
      mpfr_set_d(margin.get(), 1.0, MPFR_RNDN);  // v_out == 1: nothing else to beat
    } else {
      mpfr_sub(margin.get(), logits[m].get(), best.get(), MPFR_RNDN);
    }
    if (mpfr_cmp_d(margin.get(), 0x1p-200) > 0)
      ++out.correct;
    else if (mpfr_cmp_d(margin.get(), -0x1p-200) < 0)
      ++out.incorrect;
    else
      ++out.tie;

    int64_t p = 0;  // next input (odometer)
    for (; p < k; ++p) {
      if (++t[static_cast<size_t>(p)] < v) break;
      t[static_cast<size_t>(p)] = 0;
    }
    if (p == k) break;
  }
  return out;
}

}  // namespace mechcert::test
