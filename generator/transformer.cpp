#include "generator/transformer.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace mechcert {

double attention_scale(const ModelWeights& w) { return std::sqrt(static_cast<double>(w.file_d_head())); }

namespace {

void expect_shape(const Matrix& m, int64_t rows, int64_t cols, const char* name) {
  if (m.rows != rows || m.cols != cols || m.data.size() != static_cast<size_t>(rows * cols)) {
    throw std::invalid_argument(std::string("model: ") + name + ": shape [" +
                                std::to_string(m.rows) + "," + std::to_string(m.cols) +
                                "], expected [" + std::to_string(rows) + "," +
                                std::to_string(cols) + "]");
  }
}

void expect_size(const std::vector<double>& b, int64_t n, const char* name) {
  if (b.size() != static_cast<size_t>(n)) {
    throw std::invalid_argument(std::string("model: ") + name + ": length " +
                                std::to_string(b.size()) + ", expected " + std::to_string(n));
  }
}

}  // namespace

void check_shapes(const ModelWeights& w) {
  if (w.v <= 0 || w.k <= 0 || w.d <= 0 || w.d_head <= 0 || w.v_out <= 0) {
    throw std::invalid_argument("model: dimensions must be positive (v=" + std::to_string(w.v) +
                                " k=" + std::to_string(w.k) + " d=" + std::to_string(w.d) +
                                " d_head=" + std::to_string(w.d_head) +
                                " v_out=" + std::to_string(w.v_out) + ")");
  }
  expect_shape(w.W_E, w.v, w.d, "W_E");
  expect_shape(w.W_pos, w.k, w.d, "W_pos");
  expect_shape(w.W_Q, w.d, w.d_head, "W_Q");
  expect_shape(w.W_K, w.d, w.d_head, "W_K");
  expect_shape(w.W_V, w.d, w.d_head, "W_V");
  expect_shape(w.W_O, w.d_head, w.d, "W_O");
  expect_shape(w.W_U, w.d, w.v_out, "W_U");
  expect_size(w.b_Q, w.d_head, "b_Q");
  expect_size(w.b_K, w.d_head, "b_K");
  expect_size(w.b_V, w.d_head, "b_V");
  expect_size(w.b_O, w.d, "b_O");
  expect_size(w.b_U, w.v_out, "b_U");
}

Eigen::VectorXd last_position_logits(const ModelWeights& w, std::span<const int64_t> tokens) {
  if (static_cast<int64_t>(tokens.size()) != w.k) {
    throw std::invalid_argument("forward pass: " + std::to_string(tokens.size()) +
                                " tokens, model has k=" + std::to_string(w.k));
  }
  const auto E = as_eigen(w.W_E);
  const auto P = as_eigen(w.W_pos);
  const Eigen::Index k = static_cast<Eigen::Index>(w.k);

  // Residual stream rows r_p = E[t_p] + P_p.
  RowMatrix resid(k, static_cast<Eigen::Index>(w.d));
  for (Eigen::Index p = 0; p < k; ++p) {
    const int64_t t = tokens[static_cast<size_t>(p)];
    if (t < 0 || t >= w.v) {
      throw std::invalid_argument("forward pass: token " + std::to_string(t) +
                                  " outside [0, " + std::to_string(w.v) + ")");
    }
    resid.row(p) = E.row(static_cast<Eigen::Index>(t)) + P.row(p);
  }

  // Row vectors throughout ("resid @ W", as in TransformerLens).
  const Eigen::RowVectorXd query =
      resid.row(k - 1) * as_eigen(w.W_Q) + as_eigen(w.b_Q).transpose();
  const RowMatrix keys =
      (resid * as_eigen(w.W_K)).rowwise() + as_eigen(w.b_K).transpose();
  const RowMatrix values =
      (resid * as_eigen(w.W_V)).rowwise() + as_eigen(w.b_V).transpose();

  Eigen::VectorXd scores = keys * query.transpose() / attention_scale(w);
  scores = (scores.array() - scores.maxCoeff()).exp().matrix();
  const Eigen::VectorXd attention = scores / scores.sum();

  const Eigen::RowVectorXd mixed = attention.transpose() * values;  // z, length d_head
  const Eigen::RowVectorXd out = mixed * as_eigen(w.W_O) + as_eigen(w.b_O).transpose();
  const Eigen::RowVectorXd final_resid = resid.row(k - 1) + out;
  return (final_resid * as_eigen(w.W_U) + as_eigen(w.b_U).transpose()).transpose();
}

int64_t argmax_first(std::span<const double> values) {
  int64_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[static_cast<size_t>(best)]) best = static_cast<int64_t>(i);
  }
  return best;
}

}  // namespace mechcert
