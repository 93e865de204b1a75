#include "format/bias_fold.hpp"

#include <stdexcept>

namespace mechcert {

namespace {

// `m` (rows x cols) placed in the top-left corner of a (rows + 1) x (cols + extra_cols) zero
// matrix; the caller fills the new last row / column.
Matrix padded(const Matrix& m, int64_t extra_cols) {
  Matrix out(m.rows + 1, m.cols + extra_cols);
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c) out(r, c) = m(r, c);
  return out;
}

void set_row(Matrix& m, int64_t row, const std::vector<double>& values) {
  for (size_t c = 0; c < values.size(); ++c) m(row, static_cast<int64_t>(c)) = values[c];
}

}  // namespace

ModelWeights fold_biases(const ModelWeights& w) {
  if (w.unfolded_d != 0 || w.unfolded_d_head != 0)
    throw std::logic_error("fold_biases: the model is already folded");
  const int64_t d = w.d, h = w.d_head;
  ModelWeights f;
  f.task = w.task;
  f.k = w.k;
  f.v = w.v;
  f.v_out = w.v_out;
  f.d = d + 1;
  f.d_head = h + 1;
  f.seed = w.seed;
  f.dtype = w.dtype;
  f.unfolded_d = d;
  f.unfolded_d_head = h;

  // Residual coordinate d is 1 at every position: 1 in every token embedding, 0 in W_pos.
  f.W_E = Matrix(w.v, d + 1);
  for (int64_t t = 0; t < w.v; ++t) {
    for (int64_t c = 0; c < d; ++c) f.W_E(t, c) = w.W_E(t, c);
    f.W_E(t, d) = 1.0;
  }
  f.W_pos = Matrix(w.k, d + 1);
  for (int64_t p = 0; p < w.k; ++p)
    for (int64_t c = 0; c < d; ++c) f.W_pos(p, c) = w.W_pos(p, c);

  // Q and K: the constant coordinate carries the bias; head coordinate h stays 0 (adds 0 to the
  // score). V: head coordinate h is the constant 1, which W_O's new row turns into b_O.
  f.W_Q = padded(w.W_Q, 1);
  set_row(f.W_Q, d, w.b_Q);
  f.W_K = padded(w.W_K, 1);
  set_row(f.W_K, d, w.b_K);
  f.W_V = padded(w.W_V, 1);
  set_row(f.W_V, d, w.b_V);
  f.W_V(d, h) = 1.0;
  f.W_O = padded(w.W_O, 1);
  set_row(f.W_O, h, w.b_O);
  f.W_U = padded(w.W_U, 0);
  set_row(f.W_U, d, w.b_U);

  f.b_Q.assign(static_cast<size_t>(h + 1), 0.0);
  f.b_K.assign(static_cast<size_t>(h + 1), 0.0);
  f.b_V.assign(static_cast<size_t>(h + 1), 0.0);
  f.b_O.assign(static_cast<size_t>(d + 1), 0.0);
  f.b_U.assign(static_cast<size_t>(w.v_out), 0.0);
  return f;
}

}  // namespace mechcert
