// Small deterministic models for tests (header-only). Values are multiples of 2^-10 in (-2, 2), so
// they are exact in float32 and every test can compare them with ==.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "format/model_weights.hpp"
#include "tests/support/blank_model.hpp"

namespace mechcert::test {

inline double fixture_value(uint64_t& state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG (Knuth MMIX)
  const auto r = static_cast<int64_t>((state >> 33) % 4095) - 2047;  // -2047..2047
  return static_cast<double>(r) / 1024.0;
}

inline Matrix fixture_matrix(int64_t rows, int64_t cols, uint64_t& state) {
  Matrix m(rows, cols);
  for (double& x : m.data) x = fixture_value(state);
  return m;
}

// A 1-layer attention-only max-of-k model with random weights and zero biases.
inline ModelWeights make_fixture_model(int64_t k = 3, int64_t v = 5, int64_t d = 4,
                                       int64_t d_head = 3, uint64_t seed = 1) {
  uint64_t state = seed;
  ModelWeights w = blank_model(k, v, d, d_head);
  w.seed = static_cast<int64_t>(seed);
  w.W_E = fixture_matrix(v, d, state);
  w.W_pos = fixture_matrix(k, d, state);
  w.W_Q = fixture_matrix(d, d_head, state);
  w.W_K = fixture_matrix(d, d_head, state);
  w.W_V = fixture_matrix(d, d_head, state);
  w.W_O = fixture_matrix(d_head, d, state);
  w.W_U = fixture_matrix(d, v, state);
  return w;
}

// `w` with every weight matrix moved by scale · (a fixture value per entry), deterministic in seed.
inline ModelWeights perturbed(ModelWeights w, uint64_t seed, double scale) {
  uint64_t state = seed;
  for (Matrix* m : {&w.W_E, &w.W_pos, &w.W_Q, &w.W_K, &w.W_V, &w.W_O, &w.W_U})
    for (double& x : m->data) x += scale * fixture_value(state);
  return w;
}

}  // namespace mechcert::test
