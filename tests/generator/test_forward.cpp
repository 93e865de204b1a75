// The generator's forward pass and path tables against the naive loop implementation.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "generator/path_tables.hpp"
#include "generator/transformer.hpp"
#include "tests/support/model_fixture.hpp"
#include "tests/support/naive_forward.hpp"

using namespace mechcert;

namespace {

std::vector<std::vector<int64_t>> sample_inputs(const ModelWeights& w, int count, uint64_t seed) {
  std::vector<std::vector<int64_t>> inputs;
  uint64_t state = seed;
  for (int i = 0; i < count; ++i) {
    std::vector<int64_t> t(static_cast<size_t>(w.k));
    for (auto& x : t) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      x = static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(w.v));
    }
    inputs.push_back(t);
  }
  return inputs;
}

double max_abs_diff(const Eigen::VectorXd& a, const std::vector<double>& b) {
  REQUIRE(static_cast<size_t>(a.size()) == b.size());
  double m = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    m = std::max(m, std::abs(a(static_cast<Eigen::Index>(i)) - b[i]));
  }
  return m;
}

}  // namespace

TEST_CASE("forward pass matches the naive implementation, biases included", "[forward]") {
  struct Shape {
    int64_t k, v, d, d_head;
  };
  for (const Shape s : {Shape{3, 5, 4, 3}, Shape{1, 4, 3, 3}, Shape{4, 7, 6, 2}, Shape{6, 3, 5, 8}}) {
    for (const bool biases : {false, true}) {
      ModelWeights w = test::make_fixture_model(s.k, s.v, s.d, s.d_head, 17 + s.k);
      if (biases) test::add_fixture_biases(w, 99 + s.v);
      for (const auto& tokens : sample_inputs(w, 50, 5)) {
        const auto fast = last_position_logits(w, tokens);
        const auto slow = test::naive_last_logits(w, tokens);
        CHECK(max_abs_diff(fast, slow) < 1e-12);
      }
    }
  }
}

TEST_CASE("forward pass rejects bad tokens and bad shapes", "[forward]") {
  ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 1);
  CHECK_THROWS_AS(last_position_logits(w, std::vector<int64_t>{0, 1}), std::invalid_argument);
  CHECK_THROWS_AS(last_position_logits(w, std::vector<int64_t>{0, 5, 1}), std::invalid_argument);
  CHECK_THROWS_AS(last_position_logits(w, std::vector<int64_t>{0, -1, 1}), std::invalid_argument);
  w.W_O = Matrix(4, 3);  // transposed
  CHECK_THROWS_WITH(check_shapes(w), Catch::Contains("W_O"));
}

TEST_CASE("argmax_first: the first index wins ties, like torch.argmax", "[forward]") {
  CHECK(argmax_first(std::vector<double>{1, 3, 3, 2}) == 1);
  CHECK(argmax_first(std::vector<double>{5, 5}) == 0);
  CHECK(argmax_first(std::vector<double>{-1, -0.5, -2}) == 1);
}

TEST_CASE("path tables reproduce the logits of zero-bias models", "[path-tables]") {
  const ModelWeights w = test::make_fixture_model(4, 6, 5, 3, 7);
  const PathTables t = compute_path_tables(w);
  CHECK(t.EU.rows() == 6);
  CHECK(t.EU.cols() == 6);
  CHECK(t.PVOU.rows() == 4);
  CHECK(t.EQKP.cols() == 4);
  CHECK(t.scale == Approx(std::sqrt(3.0)));
  for (const auto& tokens : sample_inputs(w, 200, 11)) {
    CHECK(max_abs_diff(path_logits(t, tokens), test::naive_last_logits(w, tokens)) < 1e-12);
  }
  // Spot-check one entry of each table against its definition.
  double eu = 0, eqke = 0;
  for (int64_t i = 0; i < w.d; ++i) eu += (w.W_E(2, i) + w.W_pos(3, i)) * w.W_U(i, 4);
  for (int64_t j = 0; j < w.d_head; ++j) {
    double qj = 0, kj = 0;
    for (int64_t i = 0; i < w.d; ++i) {
      qj += (w.W_E(1, i) + w.W_pos(3, i)) * w.W_Q(i, j);
      kj += w.W_E(5, i) * w.W_K(i, j);
    }
    eqke += qj * kj;
  }
  CHECK(t.EU(2, 4) == Approx(eu).margin(1e-12));
  CHECK(t.EQKE(1, 5) == Approx(eqke).margin(1e-12));
}

TEST_CASE("path tables refuse non-zero biases unless asked to fold them", "[path-tables]") {
  ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 3);
  for (auto bias : {&ModelWeights::b_Q, &ModelWeights::b_K, &ModelWeights::b_V,
                    &ModelWeights::b_O, &ModelWeights::b_U}) {
    ModelWeights biased = w;
    (biased.*bias)[0] = 0.25;
    CHECK_THROWS_WITH(compute_path_tables(biased), Catch::Contains("non-zero biases"));
  }
  test::add_fixture_biases(w, 4);
  const PathTables folded = compute_path_tables(w, BiasPolicy::Fold);
  for (const auto& tokens : sample_inputs(w, 200, 12)) {
    CHECK(max_abs_diff(path_logits(folded, tokens), test::naive_last_logits(w, tokens)) < 1e-12);
  }
}
