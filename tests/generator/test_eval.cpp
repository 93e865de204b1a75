// Exact-enumeration evaluation against hand enumeration with the naive forward pass.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "generator/evaluate.hpp"
#include "tests/support/model_fixture.hpp"
#include "tests/support/naive_forward.hpp"

using namespace mechcert;

namespace {

void check_against_naive(const ModelWeights& w, int threads = 2) {
  const test::NaiveCounts expected = test::naive_enumerate(w);
  EvalOptions options;
  options.threads = threads;
  const EvalResult got = evaluate_exact(w, options);
  CHECK(got.total == expected.total);
  CHECK(got.argmax_correct == expected.argmax);
  CHECK(got.strict_correct == expected.strict);
}

// A random model (values multiples of 2^-10, zero biases), d_model 6, d_head 4.
ModelWeights fixture(int64_t k, int64_t v, uint64_t seed) {
  return test::make_fixture_model(k, v, 6, 4, seed);
}

}  // namespace

TEST_CASE("eval matches hand enumeration on tiny random models", "[eval]") {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    check_against_naive(fixture(2, 4, seed));
    check_against_naive(fixture(3, 3, seed));
  }
  check_against_naive(fixture(1, 5, 3));   // k = 1: the input is only the query
  check_against_naive(fixture(5, 4, 2));   // several free positions
  check_against_naive(fixture(9, 4, 8));   // work items fix a long prefix (4^9 inputs)
}

TEST_CASE("eval handles non-zero biases exactly", "[eval]") {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    ModelWeights w = fixture(3, 4, seed);
    test::add_fixture_biases(w, seed + 100);
    check_against_naive(w);
  }
}

TEST_CASE("eval with v_out > v and d_head != d_model", "[eval]") {
  ModelWeights w = test::make_fixture_model(3, 4, 5, 2, 9);
  uint64_t state = 77;
  w.v_out = 6;
  w.W_U = test::fixture_matrix(w.d, 6, state);
  w.b_U.assign(6, 0.0);
  check_against_naive(w);
}

TEST_CASE("exact logit ties: argmax (first index wins) and strict counts differ", "[eval]") {
  SECTION("hand-made model: logits are row q of U, columns 1 and 2 identical") {
    // E = I, P = 0, V = 0 (no attention output): logits = U[q, :] with
    // U = [[1,0,0],[0,1,1],[0,0,0]]. Inputs (t0, q), label max(t0, q):
    //   q=0: only (0,0) right (strictly); q=1: (0,1), (1,1) right by argmax, tied with 2;
    //   q=2: every logit 0, argmax 0, wrong.
    ModelWeights w = test::make_fixture_model(2, 3, 3, 3, 1);
    w.W_E = Matrix(3, 3);
    for (int i = 0; i < 3; ++i) w.W_E(i, i) = 1;
    w.W_pos = Matrix(2, 3);
    w.W_V = Matrix(3, 3);
    w.W_U = Matrix(3, 3);
    w.W_U(0, 0) = 1;
    w.W_U(1, 1) = 1;
    w.W_U(1, 2) = 1;
    const EvalResult r = evaluate_exact(w);
    CHECK(r.total == 9);
    CHECK(r.argmax_correct == 3);
    CHECK(r.strict_correct == 1);
    check_against_naive(w);
  }
  SECTION("random models with a duplicated output column") {
    uint64_t differ = 0;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      ModelWeights w = fixture(3, 4, seed);
      for (int64_t i = 0; i < w.d; ++i) w.W_U(i, 2) = w.W_U(i, 1);
      const test::NaiveCounts expected = test::naive_enumerate(w);
      differ += expected.argmax - expected.strict;
      check_against_naive(w);
    }
    CHECK(differ > 0);  // the ties really occur on the correct logit
  }
}

TEST_CASE("eval does not depend on the thread count", "[eval]") {
  const ModelWeights w = fixture(4, 8, 21);
  EvalOptions one;
  one.threads = 1;
  const EvalResult reference = evaluate_exact(w, one);
  for (const int threads : {2, 3, 7}) {
    EvalOptions o;
    o.threads = threads;
    const EvalResult r = evaluate_exact(w, o);
    CHECK(r.argmax_correct == reference.argmax_correct);
    CHECK(r.strict_correct == reference.strict_correct);
  }
  check_against_naive(w, 3);
}

TEST_CASE("eval refuses what it cannot enumerate or does not know", "[eval]") {
  ModelWeights big = test::make_fixture_model(4, 2048, 1, 1, 1);  // 2^44 inputs
  CHECK_THROWS_WITH(evaluate_exact(big), Catch::Contains("2^40"));
  ModelWeights other = fixture(2, 3, 1);
  other.task = "sort";
  CHECK_THROWS_WITH(evaluate_exact(other), Catch::Contains("max-of-k"));
  ModelWeights narrow = fixture(2, 3, 1);
  narrow.v_out = 2;
  narrow.W_U = Matrix(narrow.d, 2);
  narrow.b_U.assign(2, 0.0);
  CHECK_THROWS_WITH(evaluate_exact(narrow), Catch::Contains("v_out"));
}
