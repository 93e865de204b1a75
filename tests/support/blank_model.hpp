// A Max-of-K model of a given shape with every weight and bias zero: the starting point of the
// random fixtures (model_fixture.hpp) and of the hand-built planted models (tests/adversarial).
#pragma once
#include <cstdint>

#include "format/model_weights.hpp"

namespace mechcert::test {

inline ModelWeights blank_model(int64_t k, int64_t v, int64_t d, int64_t d_head) {
  ModelWeights w;
  w.task = "max-of-k";
  w.k = k;
  w.v = v;
  w.v_out = v;
  w.d = d;
  w.d_head = d_head;
  w.seed = -1;
  w.W_E = Matrix(v, d);
  w.W_pos = Matrix(k, d);
  w.W_Q = Matrix(d, d_head);
  w.W_K = Matrix(d, d_head);
  w.W_V = Matrix(d, d_head);
  w.W_O = Matrix(d_head, d);
  w.W_U = Matrix(d, v);
  w.b_Q.assign(static_cast<size_t>(d_head), 0.0);
  w.b_K.assign(static_cast<size_t>(d_head), 0.0);
  w.b_V.assign(static_cast<size_t>(d_head), 0.0);
  w.b_O.assign(static_cast<size_t>(d), 0.0);
  w.b_U.assign(static_cast<size_t>(v), 0.0);
  return w;
}

}  // namespace mechcert::test
