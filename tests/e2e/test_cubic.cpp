// The cubic strategy end to end: `mechcert prove --strategy cubic` (the registered generator)
// writes a certificate, the checker verifies it. Soundness against an exact per-input oracle on
// tiny models, cubic bound <= exact accuracy on the example models, and rejection of tampered
// certificates (claim + 1, an uncertified value added, overlapping or out-of-range rows).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "checker/check.hpp"
#include "checker/cubic.hpp"
#include "checker/fp_environment.hpp"
#include "format/certificate.hpp"
#include "generator/evaluate.hpp"
#include "generator/strategy_registry.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/cubic_oracle.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
using nlohmann::json;

namespace {

using test::check;
using test::example;
using test::rejection;

LoadedModel saved(const ModelWeights& w, const std::string& name) { return test::saved(w, "cubic-" + name); }

json prove(const LoadedModel& model) { return test::prove(model, "cubic"); }

json& cases(json& cert) { return cert["steps"][1]["cases"]; }

std::vector<int64_t> mask_values(int64_t m, const std::string& hex) {
  std::vector<int64_t> S;
  for (int64_t n = 0; n < m; ++n) {
    const char ch = hex[hex.size() - 1 - static_cast<size_t>(n / 4)];
    const int digit = ch <= '9' ? ch - '0' : ch - 'a' + 10;
    if ((digit >> (n % 4)) & 1) S.push_back(n);
  }
  return S;
}

}  // namespace

TEST_CASE("cubic e2e: certified inputs are correct on tiny models (exact oracle)", "[cubic]") {
  require_sound_fp_environment();
  std::vector<std::pair<std::string, ModelWeights>> models;
  models.emplace_back("fixture-1", test::make_fixture_model(3, 5, 4, 3, 1));
  models.emplace_back("fixture-3", test::make_fixture_model(3, 5, 4, 3, 3));
  models.emplace_back("fixture-k4", test::make_fixture_model(4, 8, 6, 4, 9));
  for (int64_t k : {3, 4})
    for (double delta : {-0x1p-20, 0.0, adversarial::kMinSubnormalF32})
      models.emplace_back("max-k" + std::to_string(k),
                          adversarial::max_model(delta, true, k, 6).weights);
  models.emplace_back("max-v8", adversarial::max_model(-0x1p-20, true, 4, 8).weights);
  for (const auto& planted : adversarial::all_planted_models())
    models.emplace_back(planted.name, planted.weights);
  for (const auto& [name, w] : models) {
    INFO(name);
    const LoadedModel model = saved(w, name);
    const json cert = prove(model);
    const CheckResult r = check(model, cert);
    REQUIRE(r.valid);
    const test::CubicOracle oracle(w);
    uint64_t inputs = 0;
    for (const auto& row : cert["steps"][1]["cases"]) {
      const int64_t m = row[0], q = row[1], c = row[2];
      const auto S = c == 0 ? std::vector<int64_t>{} : mask_values(m, row[3].get<std::string>());
      for (const auto& t : test::cubic_class_inputs(w.k, m, q, c, S)) {
        INFO("m=" << m << " q=" << q << " c=" << c);
        REQUIRE(oracle.strictly_correct(t));
        ++inputs;
      }
    }
    CHECK(r.certified == inputs);
    CHECK(r.bound_num == inputs);
  }
}

TEST_CASE("cubic e2e: bound <= exact accuracy on the example models", "[cubic][examples]") {
  require_sound_fp_environment();
  for (int seed : {50, 104, 123}) {
    INFO("seed " << seed);
    const LoadedModel model = example(seed);
    const json cert = prove(model);
    const CheckResult r = check(model, cert);
    REQUIRE(r.valid);
    const EvalResult e = evaluate_exact(model.weights);
    CHECK(r.bound_num <= e.strict_correct);
    CHECK(r.bound_num * 100 >= e.strict_correct * 90);  // and it is a useful bound (>= 90 %)
    CHECK(r.length.ops.exp == 64 * 64 + 64 * 4);
  }
}

TEST_CASE("cubic e2e: tampered certificates are rejected", "[cubic]") {
  require_sound_fp_environment();
  const LoadedModel model = saved(adversarial::max_model(0.0, true, 4, 6).weights, "tamper");
  const json good = prove(model);
  REQUIRE(check(model, good).valid);
  const BigInt N = check(model, good).bound_num;
  auto expect_rejected = [&](const json& cert, const std::string& what) {
    const std::string reason = rejection(model, cert);
    INFO(reason);
    CHECK(reason.find(what) != std::string::npos);
    CHECK(reason.find('\n') == std::string::npos);
  };
  {  // one more certified input than holds
    json c = good;
    c["claim"]["correct"] = BigInt(N + 1).str();
    expect_rejected(c, "certify only");
  }
  {  // a listed class fails: with max 5 every input ties (U[:,0] == U[:,5])
    json c = good;
    cases(c).push_back({5, 5, 0, ""});
    expect_rejected(c, "(m=5, q=5, c=0): logit x=0 not certified");
  }
  {  // duplicate row (overlapping classes)
    json c = good;
    REQUIRE(!cases(c).empty());
    cases(c).insert(cases(c).begin() + 1, cases(c)[0]);
    expect_rejected(c, "duplicate case");
  }
  {  // rows leaving the input space
    json c = good;
    cases(c).push_back({5, 5, 1, "20"});  // n = 5 = m
    expect_rejected(c, "is not < m");
    c = good;
    cases(c).push_back({4, 5, 1, "1"});  // q > m
    expect_rejected(c, "q = 5 outside");
    c = good;
    cases(c).push_back({5, 4, 3, "01"});  // q < m needs c <= k-2
    expect_rejected(c, "c = 3 outside");
    c = good;
    cases(c).push_back({6, 6, 0, ""});  // m = v
    expect_rejected(c, "m = 6 outside");
  }
  {  // structure
    json c = good;
    c["steps"][0]["kind"] = "cubic-classes";
    expect_rejected(c, "step kind");
    c = good;
    c["steps"][1]["extra"] = 1;
    expect_rejected(c, "extra");
    c = good;
    c["steps"].erase(1);
    expect_rejected(c, "steps");
  }
  {  // a shorter list with the claim adjusted is still valid (a weaker claim)
    json c = good;
    cases(c).erase(cases(c).size() - 1);
    c["claim"]["correct"] = "1";
    CHECK(rejection(model, c).empty());
  }
}

TEST_CASE("cubic e2e: a value added to a mask of a real certificate is rejected",
          "[cubic][examples]") {
  require_sound_fp_environment();
  const LoadedModel model50 = example(50);
  const json good50 = prove(model50);
  {  // a value the generator did not certify, added to a mask
    json c = good50;
    bool added = false;
    for (auto& row : cases(c)) {
      const int64_t m = row[0], cc = row[2];
      if (cc == 0) continue;
      const auto S = mask_values(m, row[3].get<std::string>());
      if (static_cast<int64_t>(S.size()) == m) continue;
      int64_t missing = 0;
      while (std::find(S.begin(), S.end(), missing) != S.end()) ++missing;
      std::string hex = row[3];
      char& ch = hex[hex.size() - 1 - static_cast<size_t>(missing / 4)];
      const int digit = (ch <= '9' ? ch - '0' : ch - 'a' + 10) | (1 << (missing % 4));
      ch = "0123456789abcdef"[digit];
      row[3] = hex;
      added = true;
      break;
    }
    REQUIRE(added);
    const std::string reason = rejection(model50, c);
    INFO(reason);
    CHECK(reason.find("not certified") != std::string::npos);
  }
}

TEST_CASE("cubic e2e: the shipped example certificates are valid and reproducible",
          "[cubic][examples]") {
  require_sound_fp_environment();
  for (int seed : {50, 104, 123}) {
    INFO("seed " << seed);
    const LoadedModel model = example(seed);
    const std::string path = std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed" +
                             std::to_string(seed) + ".cubic.cert.json";
    const Certificate shipped = read_certificate(path);
    const CheckResult r = check_certificate(model, shipped, 2);
    CHECK(r.valid);
    CHECK(certificate_to_json(shipped) ==
          prove(model));  // regenerate after retraining the examples
  }
}

TEST_CASE("cubic e2e: neither side depends on the thread count", "[cubic][examples]") {
  require_sound_fp_environment();
  const LoadedModel model = example(123);
  ProveOptions one, two;
  one.threads = 1, two.threads = 2;
  one.progress = two.progress = false;
  const json a = strategy_registry().at("cubic").prove(model, one);
  const json b = strategy_registry().at("cubic").prove(model, two);
  CHECK(a == b);
  const Certificate cert = parse_certificate(a.dump(), "cert.json", "");
  const CheckResult r1 = check_certificate(model, cert, 1), r2 = check_certificate(model, cert, 2);
  CHECK(r1.certified == r2.certified);
  CHECK(r1.length.ops.to_json() == r2.length.ops.to_json());
  CHECK(r1.length.paper_flops == r2.length.paper_flops);
}
