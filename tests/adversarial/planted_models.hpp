// Planted-error models: tiny Max-of-K models (v <= 6, k <= 3) whose exact number of correct inputs
// is known by construction, built to trap unsound arithmetic in a proof strategy or checker:
// exact ties (identical unembedding columns, rational attention weights such as 1/3 that tie two
// logits exactly), margins of one float32 ulp either way, margins of the smallest subnormal float32
// (2^-149) either way, and logits whose round-to-nearest evaluation in binary64 gets the wrong sign.
// Each model states its expected strict / argmax counts; the tests re-derive both with the exact
// oracle (exact_count.hpp) before trusting them. No strategy may certify more than `strict`.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "format/model_weights.hpp"
#include "tests/support/blank_model.hpp"

namespace mechcert::adversarial {

struct PlantedModel {
  std::string name;
  std::string trap;          // one line: what a wrong implementation would get wrong
  ModelWeights weights;
  DType dtype = DType::F32;  // how it is saved
  int64_t strict = -1;      // exact strict count by construction (-1: only from the oracle)
  int64_t argmax = -1;      // exact argmax (first index wins) count by construction
};

using mechcert::test::blank_model;

inline constexpr double kMinSubnormalF32 = 0x1p-149;

// Attention-free lookup table: E = I, no attention output, so logits depend only on the query
// (last) token q: logit(q) = row q of U. Rows (v = 6, k = 3):
//   q=0 one-hot 0 (correct on 0,0,0)      q=1 wins by one float32 ulp below 1 (4 inputs)
//   q=2 exact tie of 2 and 3 (strict 0, argmax 9)   q=3 token 4 wins by one ulp (9 inputs, max 4)
//   q=4 wins by 2^-149 (25 inputs)         q=5 token 0 wins by 2^-149 (0 inputs)
inline PlantedModel lookup_table_model() {
  ModelWeights w = blank_model(3, 6, 6, 1);
  for (int64_t t = 0; t < 6; ++t) w.W_E(t, t) = 1.0;
  Matrix& L = w.W_U;  // L(q, x) = logit_x for query q
  L(0, 0) = 1.0;
  L(1, 1) = 1.0, L(1, 0) = 1.0 - 0x1p-24;
  L(2, 2) = 1.0, L(2, 3) = 1.0;
  L(3, 3) = 1.0, L(3, 4) = 1.0 + 0x1p-23;
  L(4, 4) = kMinSubnormalF32;
  L(5, 0) = kMinSubnormalF32;
  return {"lookup-table", "exact tie, 1-ulp and 2^-149 margins in a query-only lookup", w,
          DType::F32, 1 + 4 + 9 + 25, 1 + 4 + 9 + 9 + 25};
}

// Logits whose binary64 round-to-nearest evaluation has the wrong sign. For query 5 the residual
// holds c = [2^-80, 2^-53, 1, 2^-54, 2^-54, 2^-54] (in that order, or reversed), and
//   logit_5 = c0 + c1 + c2 = 1 + 2^-53 + 2^-80        (nearest, left to right: 1 + 2^-52)
//   logit_4 = c2 + c3 + c4 + c5 = 1 + 3 * 2^-54         (nearest, left to right: 1)
// so 4 truly wins by 2^-54 - 2^-80 while naive left-to-right (or, reversed, right-to-left)
// summation says 5 wins: the 36 inputs ending in 5 are wrong. Other queries q < 5 win by 2.
inline PlantedModel rounding_trap_model(bool reversed) {
  constexpr int64_t v = 6, trap = 6;
  ModelWeights w = blank_model(3, v, trap + v, 1);
  const double c[trap] = {0x1p-80, 0x1p-53, 1.0, 0x1p-54, 0x1p-54, 0x1p-54};
  const double u5[trap] = {1, 1, 1, 0, 0, 0};
  const double u4[trap] = {0, 0, 1, 1, 1, 1};
  for (int64_t j = 0; j < trap; ++j) {
    const int64_t col = reversed ? trap - 1 - j : j;
    w.W_E(5, col) = c[j];
    w.W_U(col, 5) = u5[j];
    w.W_U(col, 4) = u4[j];
  }
  for (int64_t q = 0; q < 5; ++q) {
    w.W_E(q, trap + q) = 1.0;
    w.W_U(trap + q, q) = 2.0;
  }
  return {reversed ? "rounding-trap-reversed" : "rounding-trap",
          "round-to-nearest summation flips the sign of a 2^-54 margin", w, DType::F32, 55, 55};
}

// Exactly uniform attention (W_Q = 0), values route token t to its own output coordinate with
// weight w_t: logit_x = count_x(t) * w_x / 3 exactly. With w_t = 2^t the inputs holding one m and
// two (m-1) tie exactly (2 * 2^(m-1) / 3 = 2^m / 3): 3 per m in 1..5, 15 in all.
//   variant 0: as is (F32)                      strict = argmax = 201
//   variant 1: w_3 = 8 - 2^-21 (F32): one 4 + two 3s becomes correct by 2^-20/3   -> 204
//   variant 2: w_3 = 8 + 2^-49 (F64): one 3 + two 2s becomes correct by 2^-49/3   -> 204
//   variant 3: w_3 = 8 - 2^-50 (F64): one 4 + two 3s correct by 2^-49/3            -> 204
inline PlantedModel uniform_attention_model(int variant) {
  constexpr int64_t v = 6;
  ModelWeights w = blank_model(3, v, 2 * v, v);
  for (int64_t t = 0; t < v; ++t) {
    w.W_E(t, t) = 1.0;
    w.W_V(t, t) = 1.0;
    w.W_O(t, v + t) = 1.0;
    w.W_U(v + t, t) = std::ldexp(1.0, static_cast<int>(t));
  }
  DType dtype = DType::F32;
  std::string name = "uniform-attention-ties";
  if (variant == 1) w.W_U(v + 3, 3) = 8.0 - 0x1p-21, name += "-f32-ulp";
  if (variant == 2) w.W_U(v + 3, 3) = 8.0 + 0x1p-49, dtype = DType::F64, name += "-f64-up";
  if (variant == 3) w.W_U(v + 3, 3) = 8.0 - 0x1p-50, dtype = DType::F64, name += "-f64-down";
  const int64_t n = variant == 0 ? 201 : 204;
  return {name, "attention weights of exactly 1/3 make logits tie or differ by ~2^-50", w, dtype, n, n};
}

// A model that solves Max-of-K (attention concentrates on the largest token and copies it), with a
// constant residual coordinate c (written by every position's W_pos, read by no attention matrix)
// that lets one unembedding column be another plus delta * e_c: then
//   logit_0 - logit_5 = delta   exactly, on every input, whatever the attention does.
// delta > 0: all 91 inputs with max 5 are wrong, (0,0,0) is right by delta.   strict 125
// delta = 0: those tie; (0,0,0) ties too (argmax-correct: first index).      strict 124, argmax 125
// delta < 0: max-5 inputs right by |delta|, (0,0,0) wrong.                   strict 215
// With `positional`, keys also carry a position-dependent score, so the placement of tokens
// matters to the attention (exercises the cubic strategy's sorted-placement argument).
inline PlantedModel max_model(double delta, bool positional, int64_t k = 3, int64_t v = 6) {
  const int64_t tok = 0, c = v, out = v + 1, pos = 2 * v + 1, d = 2 * v + 2, dh = v + 1;
  ModelWeights w = blank_model(k, v, d, dh);
  const double alpha = 10.0;  // score step per token value; alpha / sqrt(7) ~ 3.8
  const double pi[3] = {0.75, -1.25, 0.5};
  for (int64_t t = 0; t < v; ++t) {
    w.W_E(t, tok + t) = 1.0;
    w.W_K(tok + t, v) = alpha * static_cast<double>(t);  // raw score = alpha * t (+ pi_p)
    w.W_V(tok + t, t) = 1.0;
    w.W_O(t, out + t) = 1.0;
    w.W_U(out + t, t) = 1.0;
  }
  w.W_Q(c, v) = 1.0;  // every query reads the constant coordinate
  for (int64_t p = 0; p < k; ++p) {
    w.W_pos(p, c) = 1.0;
    if (positional) w.W_pos(p, pos) = pi[p % 3];
  }
  if (positional) w.W_K(pos, v) = 1.0;
  // column 0 := column v-1 + delta e_c
  for (int64_t j = 0; j < d; ++j) w.W_U(j, 0) = w.W_U(j, v - 1);
  w.W_U(c, 0) = delta;
  int64_t total = 1, below = 1;  // v^k, (v-1)^k
  for (int64_t i = 0; i < k; ++i) total *= v, below *= v - 1;
  int64_t strict = 0, argmax = 0;
  if (delta > 0) strict = argmax = below;                   // all but max = v-1; (0,...,0) by delta
  if (delta == 0) strict = below - 1, argmax = below;       // (0,...,0) is an all-way tie
  if (delta < 0) strict = argmax = total - 1;               // all but (0,...,0)
  std::string name = "max-model";
  name += positional ? "-positional" : "";
  name += delta > 0 ? "-delta-plus" : (delta < 0 ? "-delta-minus" : "-tie");
  if (delta != 0 && std::fabs(delta) > kMinSubnormalF32) name += "-large";
  name += "-k" + std::to_string(k) + "-v" + std::to_string(v);
  return {name, "logit_0 - logit_5 == delta exactly on every input (a subnormal, zero or 2^-20)", w,
          DType::F32, strict, argmax};
}

// Deterministic pseudo-random model (values multiples of 2^-10 in (-2, 2)) with two identical
// unembedding columns a < b: every input whose max is a or b is an exact tie, hence wrong.
inline PlantedModel identical_columns_model(uint64_t seed, int64_t k = 3, int64_t v = 6, int64_t a = 2,
                                            int64_t b = 3) {
  ModelWeights w = blank_model(k, v, 6, 4);
  uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(static_cast<int64_t>((state >> 33) % 4095) - 2047) / 1024.0;
  };
  for (Matrix* m : {&w.W_E, &w.W_pos, &w.W_Q, &w.W_K, &w.W_V, &w.W_O, &w.W_U})
    for (double& x : m->data) x = next();
  for (int64_t j = 0; j < w.d; ++j) w.W_U(j, b) = w.W_U(j, a);
  return {"identical-columns-seed" + std::to_string(seed),
          "U[:,a] == U[:,b]: inputs with max a or b tie exactly", w, DType::F32, -1, -1};
}

inline std::vector<PlantedModel> all_planted_models() {
  std::vector<PlantedModel> out;
  out.push_back(lookup_table_model());
  out.push_back(rounding_trap_model(false));
  out.push_back(rounding_trap_model(true));
  for (int variant = 0; variant < 4; ++variant) out.push_back(uniform_attention_model(variant));
  for (bool positional : {false, true}) {
    out.push_back(max_model(kMinSubnormalF32, positional));
    out.push_back(max_model(0.0, positional));
    out.push_back(max_model(-kMinSubnormalF32, positional));
  }
  out.push_back(max_model(0x1p-20, true));
  out.push_back(max_model(kMinSubnormalF32, true, 2, 5));
  out.push_back(max_model(-kMinSubnormalF32, true, 2, 5));
  for (uint64_t seed : {1, 2, 3}) out.push_back(identical_columns_model(seed));
  return out;
}

}  // namespace mechcert::adversarial
