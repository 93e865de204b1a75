// End to end on the shipped example models: `prove --strategy brute-force` writes a certificate
// whose claim (the generator's strict count) the checker accepts; the checker's sound certified
// count equals eval's strict_correct; a claim of N+1 and a certificate for another model are
// rejected; the verdict and op counts do not depend on the thread count.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "checker/brute_force.hpp"
#include "checker/check.hpp"
#include "format/certificate.hpp"
#include "format/model_weights.hpp"
#include "generator/evaluate.hpp"
#include "generator/strategy_registry.hpp"

using namespace mechcert;
namespace fs = std::filesystem;

namespace {

std::string example(int seed) {
  return std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed" + std::to_string(seed) + ".safetensors";
}

Certificate prove(const LoadedModel& m) {
  ProveOptions o;
  o.threads = 2;
  o.progress = false;
  const nlohmann::json j = strategy_registry().at("brute-force").prove(m, o);
  return parse_certificate(j.dump(1), "cert.json", "");
}

}  // namespace

TEST_CASE("brute-force certificates of the example models") {
  int checked = 0;
  for (int seed : {50, 104, 123}) {
    if (!fs::exists(example(seed))) {
      WARN("missing " << example(seed));
      continue;
    }
    const LoadedModel m = load_model(example(seed));
    EvalOptions eo;
    eo.threads = 2;
    const EvalResult eval = evaluate_exact(m.weights, eo);
    const Certificate cert = prove(m);
    REQUIRE(cert.claim_correct == eval.strict_correct);
    const CheckResult r = check_certificate(m, cert, 2);
    REQUIRE(r.valid);
    const auto certified = r.certified.convert_to<uint64_t>();
    const int64_t differ = static_cast<int64_t>(certified) - static_cast<int64_t>(eval.strict_correct);
    WARN("seed " << seed << ": certified " << certified << ", eval strict_correct "
                 << eval.strict_correct << ", argmax_correct " << eval.argmax_correct
                 << ", differ " << differ);
    REQUIRE(std::abs(differ) <= 8);  // only inputs with ~1e-15 relative logit gaps may differ
    ++checked;

    if (seed == 50) {
      // N + 1 is rejected, naming both numbers.
      Certificate plus = cert;
      plus.claim_correct = r.certified + 1;
      REQUIRE_THROWS_WITH(check_certificate(m, plus, 2),
                          Catch::Contains(BigInt(r.certified + 1).str()) &&
                              Catch::Contains("certify only " + r.certified.str()));
      // One thread gives the same verdict and counts.
      const CheckResult r1 = check_certificate(m, cert, 1);
      REQUIRE(r1.certified == r.certified);
      REQUIRE(r1.length.ops.to_json() == r.length.ops.to_json());
      REQUIRE(r1.length.paper_flops == r.length.paper_flops);
      // The portable SSE2 and scalar paths certify the same inputs as the default (AVX2) path.
      REQUIRE(brute_force_certified_count(m.weights, 2, SimdPath::sse2).certified == certified);
      REQUIRE(brute_force_certified_count(m.weights, 2, SimdPath::scalar).certified == certified);
    }
    if (seed == 104 && fs::exists(example(50))) {
      const LoadedModel other = load_model(example(50));
      REQUIRE_THROWS_WITH(check_certificate(other, cert, 2), Catch::Contains("the certificate is for model"));
    }
  }
  if (checked == 0) WARN("no example models: nothing checked");
}
