// An independent, deliberately naive forward pass of the 1-layer attention-only transformer
// (plain loops over std::vector, no Eigen, no generator code), and exact-enumeration accuracy
// built on it. Tests compare the generator's fast paths against these (header-only).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "format/model_weights.hpp"
#include "tests/support/model_fixture.hpp"

namespace mechcert::test {

// Last-position logits, biases included, scores divided by sqrt(d_head), causal (the last
// position sees every position).
inline std::vector<double> naive_last_logits(const ModelWeights& w,
                                             const std::vector<int64_t>& tokens) {
  const int64_t k = w.k, d = w.d, dh = w.d_head;
  std::vector<std::vector<double>> resid(static_cast<size_t>(k), std::vector<double>(d));
  for (int64_t p = 0; p < k; ++p) {
    for (int64_t i = 0; i < d; ++i) {
      resid[p][i] = w.W_E(tokens[p], i) + w.W_pos(p, i);
    }
  }
  auto project = [&](const std::vector<double>& r, const Matrix& W, const std::vector<double>& b) {
    std::vector<double> out(static_cast<size_t>(dh));
    for (int64_t j = 0; j < dh; ++j) {
      double s = b[j];
      for (int64_t i = 0; i < d; ++i) s += r[i] * W(i, j);
      out[j] = s;
    }
    return out;
  };
  const std::vector<double> q = project(resid[k - 1], w.W_Q, w.b_Q);
  std::vector<double> scores(static_cast<size_t>(k));
  double top = -INFINITY;
  for (int64_t p = 0; p < k; ++p) {
    const std::vector<double> key = project(resid[p], w.W_K, w.b_K);
    double s = 0;
    for (int64_t j = 0; j < dh; ++j) s += q[j] * key[j];
    scores[p] = s / std::sqrt(static_cast<double>(dh));
    top = std::max(top, scores[p]);
  }
  double total = 0;
  for (double& s : scores) total += (s = std::exp(s - top));
  std::vector<double> z(static_cast<size_t>(dh), 0.0);
  for (int64_t p = 0; p < k; ++p) {
    const std::vector<double> value = project(resid[p], w.W_V, w.b_V);
    for (int64_t j = 0; j < dh; ++j) z[j] += scores[p] / total * value[j];
  }
  std::vector<double> final_resid = resid[k - 1];
  for (int64_t i = 0; i < d; ++i) {
    double s = w.b_O[i];
    for (int64_t j = 0; j < dh; ++j) s += z[j] * w.W_O(j, i);
    final_resid[i] += s;
  }
  std::vector<double> logits(static_cast<size_t>(w.v_out));
  for (int64_t x = 0; x < w.v_out; ++x) {
    double s = w.b_U[x];
    for (int64_t i = 0; i < d; ++i) s += final_resid[i] * w.W_U(i, x);
    logits[x] = s;
  }
  return logits;
}

// Sets every bias of `w` to fixture values (multiples of 2^-10, mostly non-zero).
inline void add_fixture_biases(ModelWeights& w, uint64_t seed) {
  uint64_t state = seed;
  for (auto* b : {&w.b_Q, &w.b_K, &w.b_V, &w.b_O, &w.b_U}) {
    for (double& x : *b) x = fixture_value(state);
  }
}

struct NaiveCounts {
  uint64_t total = 0, argmax = 0, strict = 0;
};

// Every input of {0..v-1}^k through naive_last_logits.
inline NaiveCounts naive_enumerate(const ModelWeights& w) {
  NaiveCounts c;
  std::vector<int64_t> tokens(static_cast<size_t>(w.k), 0);
  for (;;) {
    const std::vector<double> logits = naive_last_logits(w, tokens);
    const int64_t label = *std::max_element(tokens.begin(), tokens.end());
    int64_t first_max = 0;
    for (int64_t x = 1; x < w.v_out; ++x) {
      if (logits[x] > logits[first_max]) first_max = x;
    }
    bool strict = true;
    for (int64_t x = 0; x < w.v_out; ++x) {
      if (x != label && !(logits[label] > logits[x])) strict = false;
    }
    ++c.total;
    c.argmax += first_max == label ? 1 : 0;
    c.strict += strict ? 1 : 0;
    int64_t p = w.k - 1;  // odometer, last position fastest
    while (p >= 0 && ++tokens[p] == w.v) tokens[p--] = 0;
    if (p < 0) break;
  }
  return c;
}

}  // namespace mechcert::test
