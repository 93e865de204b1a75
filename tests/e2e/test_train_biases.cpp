// `mechcert train --train-biases` (TrainConfig::train_biases): the bias gradients match central
// finite differences at non-zero biases; a model trained with the option has non-zero biases
// (the default recipe's stay exactly zero), and its brute-force and cubic certificates are
// accepted by the checker with bounds <= the exact accuracy of an independent 320-bit oracle.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "generator/trainer.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/exact_oracle.hpp"

using namespace mechcert;

namespace {

TrainConfig tiny(bool biases) {
  TrainConfig c;
  c.k = 3;
  c.v = 6;
  c.d_model = 4;
  c.steps = 400;
  c.batch = 64;
  c.lr = 1e-2;
  c.seed = 7;
  c.threads = 2;
  c.train_biases = biases;
  return c;
}

}  // namespace

TEST_CASE("bias gradients match central finite differences", "[train][biases]") {
  const TrainConfig c = tiny(true);
  Params params = init_params(c);
  TrainRng rng(3, 9);
  for (RowMatrix* b : params.biases())
    for (Eigen::Index i = 0; i < b->size(); ++i) b->data()[i] = 0.3 * rng.normal();
  std::vector<int32_t> tokens(static_cast<size_t>(37 * c.k));
  for (int32_t& t : tokens) t = static_cast<int32_t>(rng.below(c.v));
  Params grad;
  loss_and_gradient(params, tokens, 37, &grad);
  const auto analytic = std::as_const(grad).biases();
  int64_t checked = 0;
  for (size_t m = 0; m < analytic.size(); ++m) {
    for (Eigen::Index i = 0; i < analytic[m]->size(); ++i) {
      const double h = 1e-5;
      Params plus = params, minus = params;
      plus.biases()[m]->data()[i] += h;
      minus.biases()[m]->data()[i] -= h;
      const double numeric = (loss_and_gradient(plus, tokens, 37, nullptr) -
                              loss_and_gradient(minus, tokens, 37, nullptr)) / (2 * h);
      const double a = analytic[m]->data()[i];
      INFO("bias " << m << "[" << i << "]: analytic " << a << " numeric " << numeric);
      CHECK(std::abs(a - numeric) / std::max(1e-3, std::abs(a) + std::abs(numeric)) < 1e-6);
      ++checked;
    }
  }
  CHECK(checked == 4 + 4 + 4 + 4 + 6);
}

TEST_CASE("a model trained with --train-biases has biases and verifiable certificates",
          "[train][biases][e2e]") {
  const ModelWeights plain = train_model(tiny(false));
  CHECK_FALSE(plain.has_nonzero_bias());
  const ModelWeights w = train_model(tiny(true));
  REQUIRE(w.has_nonzero_bias());
  int nonzero_vectors = 0;
  for (const std::vector<double>* b : {&w.b_Q, &w.b_K, &w.b_V, &w.b_O, &w.b_U})
    nonzero_vectors += std::any_of(b->begin(), b->end(), [](double x) { return x != 0; });
  CHECK(nonzero_vectors == 5);
  CHECK(w.W_Q.data != plain.W_Q.data);  // the biases changed the training, not only the export

  const LoadedModel model = test::saved(w, "train-biases");
  const test::OracleCounts exact = test::oracle_classify_all(model.weights);
  CHECK(exact.correct > static_cast<uint64_t>(w.v * w.v * w.v / 2));  // it learned
  for (const std::string strategy : {"brute-force", "cubic"}) {
    INFO(strategy);
    const nlohmann::json cert = test::prove(model, strategy);
    REQUIRE(test::rejection(model, cert) == "");
    const long long n = std::stoll(cert["claim"]["correct"].get<std::string>());
    CHECK(n <= static_cast<long long>(exact.correct));
    if (strategy == "brute-force") CHECK(n == static_cast<long long>(exact.correct));
  }
}
