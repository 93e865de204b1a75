// The trainer: backprop against finite differences, AdamW against its formula, determinism,
// and a short run that learns.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "format/model_weights.hpp"
#include "generator/evaluate.hpp"
#include "generator/trainer.hpp"

using namespace mechcert;

namespace {

TrainConfig tiny_config() {
  TrainConfig c;
  c.k = 3;
  c.v = 5;
  c.d_model = 4;
  c.init_std = 0.7;
  c.seed = 11;
  return c;
}

std::vector<int32_t> random_tokens(const TrainConfig& c, int64_t batch, uint64_t seed) {
  TrainRng rng(seed, 99);
  std::vector<int32_t> tokens(static_cast<size_t>(batch * c.k));
  for (auto& t : tokens) t = static_cast<int32_t>(rng.below(c.v));
  return tokens;
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string temp_path(const std::string& name) {
  return std::string(MECHCERT_BINARY_DIR) + "/test_train_" + name + ".safetensors";
}

}  // namespace

TEST_CASE("backprop matches central finite differences", "[train]") {
  const TrainConfig c = tiny_config();
  const Params params = init_params(c);
  // 37 sequences: two chunks, the second one partial.
  const int64_t batch = 37;
  const std::vector<int32_t> tokens = random_tokens(c, batch, 5);
  Params grad;
  const double loss = loss_and_gradient(params, tokens, batch, &grad);
  CHECK(loss == Approx(loss_and_gradient(params, tokens, batch, nullptr)).epsilon(1e-15));

  const char* names[] = {"E", "P", "Q", "K", "V", "O", "U"};
  const auto analytic = std::as_const(grad).all();
  double worst = 0.0;
  int64_t checked = 0;
  for (size_t m = 0; m < analytic.size(); ++m) {
    for (Eigen::Index i = 0; i < analytic[m]->size(); ++i) {
      const double h = 1e-5;
      Params plus = params, minus = params;
      plus.all()[m]->data()[i] += h;
      minus.all()[m]->data()[i] -= h;
      const double numeric = (loss_and_gradient(plus, tokens, batch, nullptr) -
                              loss_and_gradient(minus, tokens, batch, nullptr)) /
                             (2 * h);
      const double a = analytic[m]->data()[i];
      const double err = std::abs(a - numeric) / std::max(1e-3, std::abs(a) + std::abs(numeric));
      worst = std::max(worst, err);
      INFO(names[m] << "[" << i << "]: analytic " << a << " numeric " << numeric);
      CHECK(err < 1e-6);
      ++checked;
    }
  }
  CHECK(checked == (5 + 3) * 4 + 4 * 16 + 4 * 5);
  std::printf("gradient check: %lld entries, worst relative error %.2e\n",
              static_cast<long long>(checked), worst);
}

TEST_CASE("the gradient does not depend on the thread count", "[train]") {
  const TrainConfig c = tiny_config();
  const Params params = init_params(c);
  const std::vector<int32_t> tokens = random_tokens(c, 130, 6);
  Params g1, g3;
  const double l1 = loss_and_gradient(params, tokens, 130, &g1, 1);
  const double l3 = loss_and_gradient(params, tokens, 130, &g3, 3);
  CHECK(l1 == l3);
  const auto a = std::as_const(g1).all();
  const auto b = std::as_const(g3).all();
  for (size_t m = 0; m < a.size(); ++m) CHECK(*a[m] == *b[m]);
}

TEST_CASE("AdamW follows torch.optim.AdamW", "[train]") {
  TrainConfig c = tiny_config();
  c.lr = 0.01;
  c.weight_decay = 0.1;
  Params p = init_params(c);
  const Params p0 = p;
  Params g = Params::zeros_like(p);
  g.E(0, 0) = 0.5;
  g.U(1, 2) = -2.0;
  AdamW opt;
  opt.update(p, g, c);
  opt.update(p, g, c);
  // Two steps of the same gradient, by hand: decay, then m/(sqrt(v)+eps) with bias correction.
  auto expect = [&](double x0, double grad) {
    double x = x0, m = 0, v = 0;
    for (int t = 1; t <= 2; ++t) {
      x *= 1 - c.lr * c.weight_decay;
      m = c.beta1 * m + (1 - c.beta1) * grad;
      v = c.beta2 * v + (1 - c.beta2) * grad * grad;
      const double mhat = m / (1 - std::pow(c.beta1, t));
      const double vhat = v / (1 - std::pow(c.beta2, t));
      x -= c.lr * mhat / (std::sqrt(vhat) + c.eps);
    }
    return x;
  };
  CHECK(p.E(0, 0) == Approx(expect(p0.E(0, 0), 0.5)).epsilon(1e-12));
  CHECK(p.U(1, 2) == Approx(expect(p0.U(1, 2), -2.0)).epsilon(1e-12));
  CHECK(p.Q(2, 3) == Approx(expect(p0.Q(2, 3), 0.0)).epsilon(1e-12));  // decay only
}

TEST_CASE("random numbers: ranges and moments", "[train]") {
  TrainRng rng(123, 1);
  double sum = 0, sum_sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    sum_sq += z * z;
  }
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(std::abs(sum_sq / n - 1.0) < 0.02);
  std::vector<int> hist(7, 0);
  bool in_range = true;
  for (int i = 0; i < 70000; ++i) {
    const int64_t t = rng.below(7);
    in_range = in_range && t >= 0 && t < 7;
    if (in_range) ++hist[static_cast<size_t>(t)];
  }
  REQUIRE(in_range);
  for (const int h : hist) CHECK(std::abs(h - 10000) < 500);
  TrainRng a(5, 1), b(5, 2), c(5, 1);
  CHECK(a.bits() != b.bits());
  TrainRng a2(5, 1);
  CHECK(a2.bits() == c.bits());
}

TEST_CASE("training is deterministic: same seed, same bytes, any thread count", "[train]") {
  TrainConfig c;
  c.k = 3;
  c.v = 6;
  c.d_model = 8;
  c.steps = 40;
  c.batch = 70;
  c.seed = 3;
  c.threads = 1;
  save_model(temp_path("a"), train_model(c), DType::F32);
  save_model(temp_path("b"), train_model(c), DType::F32);
  c.threads = 3;
  save_model(temp_path("c"), train_model(c), DType::F32);
  const auto a = file_bytes(temp_path("a"));
  CHECK(!a.empty());
  CHECK(a == file_bytes(temp_path("b")));
  CHECK(a == file_bytes(temp_path("c")));
  c.seed = 4;
  save_model(temp_path("d"), train_model(c), DType::F32);
  CHECK(a != file_bytes(temp_path("d")));
  // What was saved is what was trained, rounded to float32, with the metadata.
  const LoadedModel loaded = load_model(temp_path("d"));
  CHECK(loaded.weights.k == 3);
  CHECK(loaded.weights.v == 6);
  CHECK(loaded.weights.seed == 4);
  CHECK(loaded.weights.task == "max-of-k");
  CHECK_FALSE(loaded.weights.has_nonzero_bias());
  const ModelWeights direct = train_model(c);
  CHECK(loaded.weights.W_U.data == direct.W_U.data);
  for (const char* n : {"a", "b", "c", "d"}) std::remove(temp_path(n).c_str());
}

TEST_CASE("a short training run learns Max-of-2 over 8 tokens", "[train]") {
  TrainConfig c;
  c.k = 2;
  c.v = 8;
  c.d_model = 16;
  c.steps = 400;
  c.seed = 50;
  TrainStats stats;
  const ModelWeights w = train_model(c, &stats);
  const EvalResult r = evaluate_exact(w);
  INFO("accuracy " << r.argmax_correct << "/" << r.total << ", final loss " << stats.final_loss);
  std::printf("max-of-2, v=8: %llu/64 correct, final batch loss %.4f\n",
              static_cast<unsigned long long>(r.argmax_correct), stats.final_loss);
  CHECK(r.total == 64);
  CHECK(r.argmax_correct >= 62);
  CHECK(stats.final_loss < 0.2);
}
