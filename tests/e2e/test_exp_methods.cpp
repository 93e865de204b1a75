// The two exp methods (SPEC 3.3 MPFR, 3.7 binary64; `mechcert-check --exp`) give the same
// verdict, and here the same certified count, on every certificate the tests use: the shipped
// examples, a fresh certificate of every registered strategy on a small trained model and on the
// planted models, and each of them with its claim raised above the certified count (rejected by
// both).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "checker/check.hpp"
#include "checker/exp_bounds.hpp"
#include "checker/fp_environment.hpp"
#include "format/certificate.hpp"
#include "generator/strategy_registry.hpp"
#include "generator/trainer.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/sanitizer_build.hpp"

using namespace mechcert;
using nlohmann::json;

// Under AddressSanitizer: one example model and its cubic certificate only (brute force on
// v = 64, k = 4 takes minutes there).
constexpr bool kSanitized = mechcert::test::kSanitizedBuild;

namespace {

struct Outcome {
  bool valid = false;
  std::string certified;  // "" when rejected
};

Outcome check_with(ExpMethod method, const LoadedModel& model, const Certificate& cert) {
  const ExpMethod saved = exp_method();
  set_exp_method(method);
  Outcome o;
  try {
    const CheckResult r = check_certificate(model, cert, 2);
    o.valid = r.valid;
    o.certified = r.certified.str();
  } catch (const CertificateRejected&) {
  } catch (const FormatError&) {
  }
  set_exp_method(saved);
  return o;
}

// Both methods on `cert`, then on `cert` with the claim one above what MPFR certifies.
void require_same(const LoadedModel& model, Certificate cert, const std::string& what) {
  INFO(what);
  const Outcome a = check_with(ExpMethod::mpfr, model, cert);
  const Outcome b = check_with(ExpMethod::binary64, model, cert);
  REQUIRE(a.valid == b.valid);
  REQUIRE(a.certified == b.certified);
  if (!a.valid) return;
  cert.claim_correct = BigInt(a.certified) + 1;
  if (cert.claim_correct > cert.claim_total) return;
  REQUIRE_FALSE(check_with(ExpMethod::mpfr, model, cert).valid);
  REQUIRE_FALSE(check_with(ExpMethod::binary64, model, cert).valid);
}

void every_strategy(const LoadedModel& model, const std::string& name) {
  for (const auto& [strategy, info] : strategy_registry()) {
    ProveOptions options;
    options.threads = 2;
    options.progress = false;
    json doc;
    try {
      doc = info.prove(model, options);
    } catch (const std::exception& e) {
      WARN(name << " / " << strategy << ": prove refused: " << e.what());
      continue;
    }
    require_same(model, parse_certificate(doc.dump(), "cert.json", ""), name + " / " + strategy);
  }
}

}  // namespace

TEST_CASE("exp methods agree on the shipped example certificates", "[exp]") {
  require_sound_fp_environment();
  for (int seed : {50, 104, 123}) {
    if (kSanitized && seed != 50) continue;
    const LoadedModel model = test::example(seed);
    for (const std::string strategy : {"brute-force", "cubic"}) {
      if (kSanitized && strategy == "brute-force") continue;
      const std::string path = std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed" +
                               std::to_string(seed) + "." + strategy + ".cert.json";
      require_same(model, read_certificate(path), path);
    }
  }
}

TEST_CASE("exp methods agree on every strategy's certificate for small models", "[exp]") {
  require_sound_fp_environment();
  TrainConfig config;
  config.k = 3;
  config.v = 8;
  config.d_model = 8;
  config.steps = 600;
  config.seed = 50;
  config.threads = 1;
  every_strategy(test::saved(train_model(config), "exp-methods-trained"), "trained v=8 k=3");
  for (const adversarial::PlantedModel& pm : adversarial::all_planted_models())
    every_strategy(test::saved(pm.weights, "exp-methods-" + pm.name), pm.name);
}
