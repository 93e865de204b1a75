// Models with non-zero biases (SPEC.md 3.6, Lemma F). (1) The folded, bias-free model computes
// the biased model's scores and logits exactly (GMP rationals, every input of tiny models).
// (2) Every registered strategy, through generator + checker, certifies no more than the exact
// count of an independent oracle on tiny models with random biases, and the generator's own claims
// are accepted. (3) All-zero biases (also -0) leave the model unfolded.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include <boost/multiprecision/gmp.hpp>

#include "checker/check.hpp"
#include "checker/fp_environment.hpp"
#include "format/bias_fold.hpp"
#include "format/certificate.hpp"
#include "generator/evaluate.hpp"
#include "generator/strategy_registry.hpp"
#include "tests/adversarial/exact_count.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
using Q = boost::multiprecision::mpq_rational;

namespace {

// Random biases (multiples of 2^-10 in (-2, 2)) on every bias vector, scaled.
ModelWeights with_random_biases(ModelWeights w, uint64_t seed, double scale) {
  uint64_t state = seed;
  for (std::vector<double>* b : {&w.b_Q, &w.b_K, &w.b_V, &w.b_O, &w.b_U})
    for (double& x : *b) x = scale * test::fixture_value(state);
  return w;
}

std::vector<Q> row_times(const std::vector<Q>& x, const Matrix& W, const std::vector<double>& b) {
  std::vector<Q> y(static_cast<size_t>(W.cols));
  for (int64_t j = 0; j < W.cols; ++j) {
    Q s = b.empty() ? Q(0) : Q(b[static_cast<size_t>(j)]);
    for (int64_t i = 0; i < W.rows; ++i) s += x[static_cast<size_t>(i)] * Q(W(i, j));
    y[static_cast<size_t>(j)] = s;
  }
  return y;
}

// The forward pass of SPEC 1.4 in exact rationals, up to the softmax: the unscaled scores
// Q_{k-1}·K_p and, for each p, the logits the model would output if all attention were on p. The
// logits are affine in the attention vector a (sum a_p = 1), so these k vectors and the scores
// (with the scale 1/sqrt(file_d_head)) determine the logits for every input exactly.
struct ExactPass {
  std::vector<Q> scores;
  std::vector<std::vector<Q>> logits_at;
};

ExactPass exact_pass(const ModelWeights& w, const std::vector<int64_t>& t) {
  const int64_t k = w.k;
  std::vector<std::vector<Q>> r(static_cast<size_t>(k));
  for (int64_t p = 0; p < k; ++p)
    for (int64_t i = 0; i < w.d; ++i) r[p].push_back(Q(w.W_E(t[p], i)) + Q(w.W_pos(p, i)));
  const std::vector<Q> query = row_times(r[k - 1], w.W_Q, w.b_Q);
  ExactPass out;
  for (int64_t p = 0; p < k; ++p) {
    const std::vector<Q> key = row_times(r[p], w.W_K, w.b_K);
    Q s = 0;
    for (size_t j = 0; j < key.size(); ++j) s += query[j] * key[j];
    out.scores.push_back(s);
    std::vector<Q> resid = row_times(row_times(r[p], w.W_V, w.b_V), w.W_O, w.b_O);
    for (int64_t i = 0; i < w.d; ++i) resid[i] += r[k - 1][i];
    out.logits_at.push_back(row_times(resid, w.W_U, w.b_U));
  }
  return out;
}

}  // namespace

TEST_CASE("Lemma F: the folded model computes the biased model's scores and logits exactly",
          "[biases]") {
  for (uint64_t seed : {1, 2, 3}) {
    const ModelWeights w = with_random_biases(test::make_fixture_model(3, 4, 3, 2, seed), 100 + seed, 1.0);
    REQUIRE(w.has_nonzero_bias());
    const ModelWeights f = fold_biases(w);
    REQUIRE_FALSE(f.has_nonzero_bias());
    REQUIRE(f.d == w.d + 1);
    REQUIRE(f.d_head == w.d_head + 1);
    REQUIRE(f.file_d_head() == w.d_head);  // the attention scale is the file's
    REQUIRE(f.file_d_model() == w.d);
    REQUIRE_THROWS_AS(fold_biases(f), std::logic_error);
    std::vector<int64_t> t(3, 0);
    int inputs = 0;
    do {
      const ExactPass a = exact_pass(w, t), b = exact_pass(f, t);
      REQUIRE(a.scores == b.scores);
      REQUIRE(a.logits_at == b.logits_at);
      ++inputs;
      size_t p = 0;
      while (p < t.size() && ++t[p] == w.v) t[p++] = 0;
      if (p == t.size()) break;
    } while (true);
    REQUIRE(inputs == 64);
  }
}

TEST_CASE("all-zero biases (also -0) leave the model unfolded: certificates unchanged", "[biases]") {
  ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 7);
  w.b_U[1] = -0.0;
  REQUIRE_FALSE(w.has_nonzero_bias());
  const LoadedModel model = test::saved(w, "biases-zero");
  const nlohmann::json cert = test::prove(model, "cubic");
  REQUIRE(cert["model"]["d_model"] == 4);
  REQUIRE(cert["model"]["d_head"] == 3);
  // The checker's paper FLOPs are those of the unfolded model's dimensions.
  const CheckResult r = test::check(model, test::prove(model, "brute-force"));
  REQUIRE(r.valid);
}

TEST_CASE("every strategy is sound on models with random biases (exact oracle), own claims accepted",
          "[biases]") {
  require_sound_fp_environment();
  struct Case {
    std::string name;
    ModelWeights w;
  };
  std::vector<Case> cases;
  // A model that computes max (so cubic and subcubic certify something), with biases that move
  // every path term but keep it mostly right; and random models with large biases.
  for (double scale : {0.05, 0.5}) {
    ModelWeights w = adversarial::max_model(-0x1p-4, true, 3, 6).weights;
    cases.push_back({"max-model-bias-" + std::to_string(scale), with_random_biases(w, 7, scale)});
  }
  for (uint64_t seed : {11, 12})
    cases.push_back({"random-" + std::to_string(seed),
                     with_random_biases(test::make_fixture_model(3, 5, 4, 3, seed), seed * 31, 1.0)});
  int nontrivial = 0;
  for (const Case& c : cases) {
    REQUIRE(c.w.has_nonzero_bias());
    const adversarial::ExactCounts exact = adversarial::exact_counts(c.w);
    const LoadedModel model = test::saved(c.w, "biases-" + c.name);
    // mechcert eval (double precision) agrees with the oracle on these well-separated models.
    EvalOptions eo;
    eo.threads = 1;
    eo.progress = false;
    const EvalResult ev = evaluate_exact(model.weights, eo);
    CHECK(ev.strict_correct == exact.strict_correct);
    for (const auto& [name, info] : strategy_registry()) {
      INFO(c.name << " / " << name);
      nlohmann::json cert;
      try {
        cert = test::prove(model, name);
      } catch (const std::exception& e) {
        FAIL("prove refused: " << e.what());
      }
      const BigInt claimed(cert["claim"]["correct"].get<std::string>());
      cert["claim"]["correct"] = "0";
      const CheckResult r = test::check(model, cert);
      REQUIRE(r.valid);
      REQUIRE(r.certified <= BigInt(exact.strict_correct));
      CHECK(claimed <= r.certified);
      if (name == "brute-force") CHECK(r.certified == BigInt(exact.strict_correct));
      if (name != "brute-force" && r.certified > 0) ++nontrivial;
      std::printf("%-26s %-60s certified %4s of exact %4llu\n", c.name.c_str(), name.c_str(),
                  r.certified.str().c_str(), static_cast<unsigned long long>(exact.strict_correct));
    }
  }
  CHECK(nontrivial > 0);
}
