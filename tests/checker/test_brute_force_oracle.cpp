// The brute-force checker's certified count equals an independent 320-bit oracle's count of
// correct inputs on tiny random models and on hand-made models with exact logit ties (ties and
// wrong answers are never certified), and does not depend on the thread count.
#include <catch2/catch.hpp>

#include "checker/brute_force.hpp"
#include "tests/support/exact_oracle.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;

namespace {

void require_matches_oracle(const ModelWeights& w, bool expect_ties) {
  const test::OracleCounts o = test::oracle_classify_all(w);
  const BruteForceCount c1 = brute_force_certified_count(w, 1);
  const BruteForceCount c3 = brute_force_certified_count(w, 3);
  INFO("v=" << w.v << " k=" << w.k << " oracle correct=" << o.correct << " incorrect=" << o.incorrect
            << " tie=" << o.tie << " certified=" << c1.certified);
  REQUIRE(o.correct + o.incorrect + o.tie == c1.total);
  REQUIRE(c1.certified == o.correct);
  REQUIRE(c3.certified == c1.certified);
  REQUIRE(c3.ops.total() == c1.ops.total());
  for (SimdPath path : {SimdPath::scalar, SimdPath::sse2, SimdPath::avx2}) {
    if (path == SimdPath::avx2 && !__builtin_cpu_supports("avx2")) continue;
    REQUIRE(brute_force_certified_count(w, 2, path).certified == c1.certified);
  }
  if (expect_ties) REQUIRE(o.tie > 0);
}

// Max-of-k solved by hand with uniform attention (W_Q = 0): d = v, E = I, V = O = I,
// U = diag(8^x). logit_x = 8^q [x = q] + (1/k) sum_p 8^{t_p} [x = t_p]: the max token wins for k <= 3.
ModelWeights hand_made_max_model(int64_t v, int64_t k) {
  ModelWeights w = test::make_fixture_model(k, v, v, v, 1);
  for (Matrix* m : {&w.W_E, &w.W_pos, &w.W_Q, &w.W_K, &w.W_V, &w.W_O, &w.W_U})
    for (double& x : m->data) x = 0;
  for (int64_t i = 0; i < v; ++i) {
    w.W_E(i, i) = 1;
    w.W_V(i, i) = 1;
    w.W_O(i, i) = 1;
    w.W_U(i, i) = std::ldexp(1.0, static_cast<int>(3 * i));
  }
  return w;
}

}  // namespace

TEST_CASE("brute force equals the oracle on tiny random models") {
  uint64_t seed = 1;
  for (int64_t k = 1; k <= 3; ++k)
    for (int64_t v = 2; v <= 6; ++v) {
      if (k == 3 && v > 5) continue;  // keep the oracle fast
      const ModelWeights w = test::make_fixture_model(k, v, 4, 3, seed++);
      require_matches_oracle(w, false);
    }
}

TEST_CASE("brute force equals the oracle on a hand-made correct model") {
  for (int64_t k = 1; k <= 3; ++k) {
    const ModelWeights w = hand_made_max_model(5, k);
    const test::OracleCounts o = test::oracle_classify_all(w);
    REQUIRE(o.correct == brute_force_certified_count(w, 2).total);  // the model is perfect
    require_matches_oracle(w, false);
  }
}

TEST_CASE("exact logit ties are never certified") {
  // Columns 3 and 4 of W_U equal: inputs with max 3 or 4 tie between them (or lose).
  for (int64_t k = 1; k <= 3; ++k) {
    ModelWeights w = hand_made_max_model(5, k);
    for (int64_t i = 0; i < w.d; ++i) w.W_U(i, 4) = w.W_U(i, 3);
    require_matches_oracle(w, true);
  }
  // Random attention and a duplicated output column.
  for (uint64_t seed = 40; seed < 44; ++seed) {
    ModelWeights w = test::make_fixture_model(3, 4, 4, 3, seed);
    for (int64_t i = 0; i < w.d; ++i) w.W_U(i, 2) = w.W_U(i, 3);
    // Make columns 2/3 dominant so that ties actually decide inputs.
    for (int64_t i = 0; i < w.d; ++i) {
      w.W_U(i, 2) *= 8;
      w.W_U(i, 3) *= 8;
    }
    require_matches_oracle(w, false);
  }
}

TEST_CASE("paper FLOPs follow the paper's brute-force convention") {
  // reference-algorithms.md 7.1: ~8.76e11 for K = 4, v = 64, d = 32.
  const double f = static_cast<double>(brute_force_paper_flops(64, 4, 32, 32, 64));
  REQUIRE(f > 8.6e11);
  REQUIRE(f < 8.8e11);
}
