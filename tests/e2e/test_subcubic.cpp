// The subcubic strategies end to end: `mechcert prove --strategy subcubic/...` (the registered
// generator) writes a certificate, the checker verifies it. Soundness against an exact per-input
// oracle on tiny models for all 10 strategies, bound <= exact accuracy on the example models, and
// rejection of tampered certificates (claim + 1, a smaller gap than certified, a lowered ā, an
// overlapping row, a row leaving the input space, a strategy name that does not match its steps).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>
#include <string>

#include <catch2/catch.hpp>

#include "checker/check.hpp"
#include "checker/fp_environment.hpp"
#include "checker/subcubic.hpp"
#include "checker/subcubic_options.hpp"
#include "format/certificate.hpp"
#include "format/exact_numbers.hpp"
#include "generator/evaluate.hpp"
#include "generator/path_tables.hpp"
#include "generator/strategy_registry.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/cubic_oracle.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/model_fixture.hpp"
#include "tests/support/sanitizer_build.hpp"

using namespace mechcert;
using nlohmann::json;

// Under AddressSanitizer the exhaustive evaluation below takes minutes: it then visits a sample
// of the queries (the sanitizer run is about memory errors, not about more inputs).
constexpr int64_t kQueryStep = mechcert::test::kSanitizedBuild ? 21 : 1;

namespace {

using test::check;
using test::example;
using test::prove;
using test::rejection;

LoadedModel saved(const ModelWeights& w, const std::string& name) {
  return test::saved(w, "subcubic-" + name);
}

json& blocks(json& cert) { return cert["steps"][2]["blocks"]; }

// On the 64-token example models the 120 strategies are sampled (CI budget): every exact-EQKE
// strategy, and each approximate EQKE option with an exact and a low-rank EU option.
std::vector<std::string> example_sample() {
  std::vector<std::string> out;
  for (const std::string& name : subcubic_strategy_names()) {
    const SubcubicOptions o = *parse_subcubic_name(name);
    if (o.eqke == EqkeOption::Exact ||
        (o.attention == AttentionOption::MeanQueryDiff &&
         (o.eu == EuOption::MaxDiffExact || o.eu == EuOption::MeanQueryMaxDiff)))
      out.push_back(name);
  }
  return out;
}

// The 100 reference configurations (reference-algorithms.md 6.11) whose EQKE option exists here.
std::vector<std::string> reference_names() {
  std::vector<std::string> out;
  for (const char* eu : {"mean_query+max_diff", "svd_query+max_diff", "max_diff", "max_diff_exact", "global_max_diff_exact"})
    for (const char* att : {"mean_query+diff", "drop_average_query_per_output_logit_reasoning"})
      for (const char* eqke : {"svd", "max_diff", "max_diff_subproduct", "max_diff_subproduct_recursive",
                               "mean+max_diff", "mean+max_diff_subproduct", "mean+max_diff_subproduct_recursive",
                               "mean_recursive+max_diff_subproduct_recursive", "exact_EQKE+max_diff_exact",
                               "max_diff_exact"})
        out.push_back(std::string("subcubic/") + eu + "/" + att + "/" + eqke);
  return out;
}

// Every input of every row is strictly correct (exact oracle); returns their number.
uint64_t oracle_inputs(const ModelWeights& w, const json& cert) {
  const test::CubicOracle oracle(w);
  uint64_t inputs = 0;
  for (const auto& block : cert["steps"][2]["blocks"]) {
    const int64_t m = block[0], c = block[1];
    for (const auto& row : block[3]) {
      const int64_t q = row[0], g = row[1];
      std::vector<int64_t> S;
      for (int64_t n = 0; n <= m - g && c > 0; ++n) S.push_back(n);
      for (const auto& t : test::cubic_class_inputs(w.k, m, q, c, S)) {
        INFO("m=" << m << " q=" << q << " c=" << c << " g=" << g);
        REQUIRE(oracle.strictly_correct(t));
        ++inputs;
      }
    }
  }
  return inputs;
}

}  // namespace

TEST_CASE("subcubic e2e: every strategy is registered on both sides", "[subcubic]") {
  for (const std::string& name : subcubic_strategy_names()) {
    INFO(name);
    CHECK(strategy_registry().count(name) == 1);
    CHECK(find_strategy_check(name) != nullptr);
  }
  CHECK(subcubic_strategy_names().size() == 127);  // 120 + mean_query+weighted_diff × 7 EU (SPEC 7.25)
  const auto reference = reference_names();
  REQUIRE(reference.size() == 100);
  size_t accepted = 0;
  for (const std::string& name : reference) {
    const bool gen = strategy_registry().count(name) == 1, chk = find_strategy_check(name) != nullptr;
    INFO(name);
    CHECK(gen == chk);  // both programs agree on every reference name
    accepted += gen && chk;
  }
  CHECK(accepted == 100);  // every reference configuration (reference-algorithms.md 6.11)
  for (const std::string& name : subcubic_strategy_names()) {
    const std::string group = strategy_registry().at(name).group;
    INFO(name << " -> " << group);
    if (name.find("/joint_exact/") != std::string::npos) {  // SPEC 7.25: O(v^3) work in all
      CHECK(group == "cubic");
      continue;
    }
    CHECK((group == "subcubic" || group == "direct-quadratic" || group == "attention-d_vocab d_model^2" ||
           group == "attention-d_vocab d_model^2, direct-quadratic" || group == "attention-quadratic" ||
           group == "attention-quadratic, direct-quadratic"));
    // reference-algorithms.md 6.9: the recursive options are the attention-quadratic ones.
    CHECK((group.rfind("attention-quadratic", 0) == 0) == (name.find("_recursive") != std::string::npos));
  }
}

TEST_CASE("subcubic e2e: certified inputs are correct on tiny models (exact oracle)", "[subcubic]") {
  require_sound_fp_environment();
  std::vector<std::pair<std::string, ModelWeights>> models;
  models.reserve(64);  // (also keeps GCC 12's -Warray-bounds false positive on the reallocation away)
  models.emplace_back("fixture-1", test::make_fixture_model(3, 5, 4, 3, 1));
  models.emplace_back("fixture-k4", test::make_fixture_model(4, 8, 6, 4, 9));
  for (int64_t k : {3, 4})
    for (double delta : {-0x1p-20, 0.0, adversarial::kMinSubnormalF32})
      models.emplace_back("max-k" + std::to_string(k), adversarial::max_model(delta, true, k, 6).weights);
  models.emplace_back("max-v8", adversarial::max_model(-0x1p-20, true, 4, 8).weights);
  for (const auto& planted : adversarial::all_planted_models())
    models.emplace_back(planted.name, planted.weights);
  uint64_t certified_beyond_all_max = 0;
  const auto names = subcubic_strategy_names();
  size_t index = 0;
  for (const auto& [name, w] : models) {
    const LoadedModel model = saved(w, name);
    for (const std::string& strategy : names) {
      // A 1-in-7 sample of the (model, strategy) pairs (the flat index cycles through all 60 names), 1-in-19 under ASan.
      if (++index % static_cast<size_t>(kQueryStep == 1 ? 7 : 19) != 0) continue;
      INFO(name << " / " << strategy);
      const json cert = prove(model, strategy);
      const CheckResult r = check(model, cert);
      REQUIRE(r.valid);
      const uint64_t inputs = oracle_inputs(w, cert);
      CHECK(r.certified == inputs);
      CHECK(r.bound_num == inputs);
      if (inputs > static_cast<uint64_t>(w.v)) ++certified_beyond_all_max;
    }
  }
  CHECK(certified_beyond_all_max > 0);  // the strategies certify more than the all-max inputs
}

TEST_CASE("subcubic e2e: the peeling EQKE options certify only correct inputs (exact oracle)", "[subcubic]") {
  // Every (tiny model, peeling option) pair with an exact and a low-rank EU option and both
  // attention options in turn (a 1-in-3 sample under ASan).
  require_sound_fp_environment();
  std::vector<std::pair<std::string, ModelWeights>> models;
  models.emplace_back("fixture-2", test::make_fixture_model(3, 5, 4, 3, 2));
  models.emplace_back("fixture-k4b", test::make_fixture_model(4, 7, 6, 4, 12));
  for (int64_t k : {3, 4}) models.emplace_back("max-peel-k" + std::to_string(k), adversarial::max_model(-0x1p-20, true, k, 6).weights);
  models.emplace_back("max-peel-v8", adversarial::max_model(0.0, true, 4, 8).weights);
  for (const auto& planted : adversarial::all_planted_models()) models.emplace_back(planted.name, planted.weights);
  const char* eqkes[] = {"max_diff_subproduct", "mean+max_diff_subproduct", "max_diff_subproduct_recursive",
                         "mean+max_diff_subproduct_recursive", "mean_recursive+max_diff_subproduct_recursive"};
  size_t index = 0, runs = 0;
  uint64_t beyond_all_max = 0;
  for (const auto& [name, w] : models) {
    const LoadedModel model = saved(w, "peel-" + name);
    for (const char* eqke : eqkes) {
      ++index;
      if (kQueryStep != 1 && index % 3 != 0) continue;
      const std::string eu = index % 2 ? "max_diff_exact" : "mean_query+max_diff";
      const std::string att = (index / 2) % 2 ? "mean_query+diff" : "drop_average_query_per_output_logit_reasoning";
      const std::string strategy = "subcubic/" + eu + "/" + att + "/" + eqke;
      INFO(name << " / " << strategy);
      const json cert = prove(model, strategy);
      REQUIRE(cert["steps"][0]["query_weight_direction"].size() == static_cast<size_t>(w.d));
      const CheckResult r = check(model, cert);
      REQUIRE(r.valid);
      const uint64_t inputs = oracle_inputs(w, cert);
      CHECK(r.certified == inputs);
      CHECK(r.bound_num == inputs);
      CHECK(r.unexplained_dimension == unexplained_dimension(*parse_subcubic_name(strategy), w.v, w.d));
      if (inputs > static_cast<uint64_t>(w.v)) ++beyond_all_max;
      ++runs;
    }
  }
  CHECK(runs > 0);
  CHECK(beyond_all_max > 0);
}

TEST_CASE("subcubic e2e: bound <= exact accuracy on the example models", "[subcubic][examples]") {
  require_sound_fp_environment();
  for (int seed : {50, 104}) {
    const LoadedModel model = example(seed);
    const EvalResult e = evaluate_exact(model.weights);
    for (const std::string& strategy : example_sample()) {
      INFO("seed " << seed << " / " << strategy);
      const json cert = prove(model, strategy);
      const CheckResult r = check(model, cert);
      REQUIRE(r.valid);
      CHECK(r.bound_num <= e.strict_correct);
      CHECK(r.bound_num > 0);
      // The best option of the family is a real bound (the weak ones, e.g. max_diff, are weak in
      // the reference too: reference-algorithms.md 6.11).
      if (strategy.find("/max_diff_exact/mean_query+diff/exact_EQKE") != std::string::npos)
        CHECK(r.bound_num * 100 >= e.strict_correct * 85);
      const bool approx = parse_subcubic_name(strategy)->eqke != EqkeOption::Exact;
      CHECK(r.length.ops.exp == 64 * 64 + 64 * 4 + (approx ? 2 * 64 : 0));
    }
  }
}

TEST_CASE("subcubic e2e: mean_query+weighted_diff (Lemma S16) certifies only correct inputs (exact oracle)",
          "[subcubic]") {
  // Every tiny model with every EU option; a row whose gaps are all lowered by one is rejected or
  // still certifies only correct inputs.
  require_sound_fp_environment();
  std::vector<std::pair<std::string, ModelWeights>> models;
  models.emplace_back("fixture-w1", test::make_fixture_model(3, 5, 4, 3, 1));
  models.emplace_back("fixture-wk4", test::make_fixture_model(4, 8, 6, 4, 9));
  for (int64_t k : {3, 4})
    for (double delta : {-0x1p-20, 0.0})
      models.emplace_back("max-w-k" + std::to_string(k), adversarial::max_model(delta, true, k, 6).weights);
  models.emplace_back("max-w-v8", adversarial::max_model(-0x1p-20, true, 4, 8).weights);
  models.emplace_back("max-w-noisy", test::perturbed(adversarial::max_model(-0x1p-20, true, 4, 8).weights, 5, 0x1p-2));
  for (const auto& planted : adversarial::all_planted_models()) models.emplace_back(planted.name, planted.weights);
  uint64_t beyond_all_max = 0, lowered_rows = 0;
  size_t index = 0;
  for (const auto& [name, w] : models) {
    const LoadedModel model = saved(w, "weighted-" + name);
    for (const char* eu : {"max_diff_exact", "global_max_diff_exact", "mean_query+max_diff", "svd_query+max_diff",
                           "max_diff", "centered_max_exact", "joint_exact"}) {
      if (kQueryStep != 1 && ++index % 3 != 0) continue;
      const std::string strategy = std::string("subcubic/") + eu + "/mean_query+weighted_diff/exact_EQKE+max_diff_exact";
      INFO(name << " / " << strategy);
      const json cert = prove(model, strategy);
      const CheckResult r = check(model, cert);
      REQUIRE(r.valid);
      const uint64_t inputs = oracle_inputs(w, cert);
      CHECK(r.certified == inputs);
      CHECK(r.bound_num == inputs);
      if (inputs > static_cast<uint64_t>(w.v)) ++beyond_all_max;
      json lowered = cert;
      for (auto& block : blocks(lowered))
        for (auto& row : block[3])
          if (row[1].get<int64_t>() > 1) {
            row[1] = row[1].get<int64_t>() - 1;
            ++lowered_rows;
          }
      lowered["claim"]["correct"] = "0";  // the count changes; the rows are what is tested
      if (rejection(model, lowered).empty()) oracle_inputs(w, lowered);  // accepted: still true
    }
  }
  CHECK(beyond_all_max > 0);
  CHECK(lowered_rows > 0);
}

TEST_CASE("subcubic e2e: mean_query+weighted_diff on an example model: tighter, tampering rejected",
          "[subcubic][examples]") {
  require_sound_fp_environment();
  const LoadedModel model = example(50);
  const std::string name = "subcubic/centered_max_exact/mean_query+weighted_diff/exact_EQKE+max_diff_exact";
  const json good = prove(model, name);
  const CheckResult ok = check(model, good);
  REQUIRE(ok.valid);
  const CheckResult old = check(model, prove(model, "subcubic/centered_max_exact/mean_query+diff/exact_EQKE+max_diff_exact"));
  CHECK(ok.bound_num > old.bound_num);  // docs/subcubic.md: 16,148,450 against 15,492,342
  {
    json c = good;
    c["claim"]["correct"] = BigInt(ok.bound_num + 1).str();
    CHECK(rejection(model, c).find("certify only") != std::string::npos);
  }
  {  // every gap lowered by one: the generator's gaps are the smallest that certify
    json c = good;
    for (auto& block : blocks(c))
      for (auto& row : block[3])
        if (row[1].get<int64_t>() > 1) row[1] = row[1].get<int64_t>() - 1;
    CHECK(rejection(model, c).find("not certified") != std::string::npos);
  }
  {  // the name's attention option and the step's must agree
    json c = good;
    c["steps"][2]["attention"] = "mean_query+diff";
    CHECK(rejection(model, c).find("does not match") != std::string::npos);
  }
  {  // joint_exact (SPEC 7.25): tighter still; its gaps lowered by one fail
    const json joint = prove(model, "subcubic/joint_exact/mean_query+weighted_diff/exact_EQKE+max_diff_exact");
    const CheckResult j = check(model, joint);
    REQUIRE(j.valid);
    CHECK(j.bound_num > ok.bound_num);  // docs/subcubic.md: 16,271,854
    json c = joint;
    for (auto& block : blocks(c))
      for (auto& row : block[3])
        if (row[1].get<int64_t>() > 1) row[1] = row[1].get<int64_t>() - 1;
    CHECK(rejection(model, c).find("not certified") != std::string::npos);
    c = joint;
    c["strategy"] = "subcubic/joint_exact/mean_query+diff/exact_EQKE+max_diff_exact";  // S2 needs a split
    c["steps"][2]["attention"] = "mean_query+diff";
    CHECK(rejection(model, c).find("unknown strategy") != std::string::npos);
  }
  {  // not registered with an EQKE approximation (SPEC 7.25)
    json c = good;
    c["strategy"] = "subcubic/centered_max_exact/mean_query+weighted_diff/svd";
    CHECK(rejection(model, c).find("unknown strategy") != std::string::npos);
  }
}

TEST_CASE("subcubic e2e: tampered certificates are rejected", "[subcubic][examples]") {
  require_sound_fp_environment();
  const LoadedModel model = example(50);
  const std::string name = "subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact";
  const json good = prove(model, name);
  const CheckResult ok = check(model, good);
  REQUIRE(ok.valid);
  const BigInt N = ok.bound_num;
  auto expect_rejected = [&](const json& cert, const std::string& what) {
    const std::string reason = rejection(model, cert);
    INFO(reason);
    CHECK(reason.find(what) != std::string::npos);
    CHECK(reason.find('\n') == std::string::npos);
  };
  {
    json c = good;
    c["claim"]["correct"] = BigInt(N + 1).str();
    expect_rejected(c, "certify only");
  }
  {  // every gap lowered by one where that is allowed: some row must then fail
    json c = good;
    int lowered = 0;
    for (auto& block : blocks(c))
      for (auto& row : block[3])
        if (row[1].get<int64_t>() > 1) {
          row[1] = row[1].get<int64_t>() - 1;
          ++lowered;
        }
    REQUIRE(lowered > 0);
    expect_rejected(c, "not certified");
  }
  {  // a duplicate row (overlapping classes)
    json c = good;
    auto& rows = blocks(c)[0][3];
    rows.insert(rows.begin() + 1, rows[0]);
    expect_rejected(c, "strictly increasing");
  }
  {  // a block repeated
    json c = good;
    blocks(c).insert(blocks(c).begin() + 1, blocks(c)[0]);
    expect_rejected(c, "duplicate block");
  }
  {  // the name must say what the steps do
    json c = good;
    c["strategy"] = "subcubic/max_diff_exact/drop_average_query_per_output_logit_reasoning/exact_EQKE+max_diff_exact";
    expect_rejected(c, "does not match");
    c = good;
    c["steps"][1]["handling"] = "global_max_diff_exact";
    expect_rejected(c, "does not match");
    c = good;
    c["strategy"] = "subcubic/max_diff_exact/mean_query+diff/max_diff_subproduct_exact";
    expect_rejected(c, "unknown strategy");
    c = good;
    c["strategy"] = "subcubic/max_diff_exact/mean_query+diff/max_diff_subproduct";  // six hints needed
    expect_rejected(c, "missing");
    c = good;
    c["strategy"] = "subcubic/max_diff_exact/mean_query+diff/svd";  // needs the EQKE field and hints
    expect_rejected(c, "missing");
  }
  {  // a shorter list with the claim adjusted is still valid (a weaker claim)
    json c = good;
    blocks(c).erase(blocks(c).size() - 1);
    c["claim"]["correct"] = "1";
    CHECK(rejection(model, c).empty());
  }
}

TEST_CASE("subcubic e2e: no certified class of an example model holds a wrong input", "[subcubic][examples]") {
  // Every input of examples/max4-seed50 is evaluated in double precision from the path tables; an
  // input that is wrong, or right by a relative margin below 1e-6 (far wider than any rounding
  // error of this evaluation), must lie in no listed class of any subcubic certificate.
  require_sound_fp_environment();
  const LoadedModel model = example(50);
  const ModelWeights& w = model.weights;
  const PathTables t = compute_path_tables(w);
  const int64_t v = w.v, k = w.k;
  REQUIRE(k == 4);
  std::vector<std::map<std::tuple<int64_t, int64_t, int64_t>, int64_t>> gaps;  // (m, c, q) -> g
  for (const std::string& strategy : example_sample()) {
    const json cert = prove(model, strategy);
    REQUIRE(check(model, cert).valid);
    auto& map = gaps.emplace_back();
    for (const auto& block : cert["steps"][2]["blocks"])
      for (const auto& row : block[3]) map[{block[0], block[1], row[0]}] = row[1];
  }
  uint64_t doubtful = 0, inside = 0;
  std::vector<double> N(static_cast<size_t>(v));
  double wts[4];
  int64_t tok[4];
  for (int64_t q = 0; q < v; q += kQueryStep) {
    tok[3] = q;
    for (int64_t i = 0; i < v * v * v; ++i) {
      tok[0] = i % v, tok[1] = (i / v) % v, tok[2] = i / (v * v);
      double top = -HUGE_VAL;
      for (int p = 0; p < 4; ++p) top = std::max(top, t.EQKE(q, tok[p]) + t.EQKP(q, p));
      for (int p = 0; p < 4; ++p) wts[p] = std::exp((t.EQKE(q, tok[p]) + t.EQKP(q, p) - top) / t.scale);
      const double W = wts[0] + wts[1] + wts[2] + wts[3];
      const int64_t m = std::max({tok[0], tok[1], tok[2], tok[3]});
      double best_wrong = -HUGE_VAL, scale = 0;
      for (int64_t x = 0; x < v; ++x) {
        double n = W * t.EU(q, x);
        for (int p = 0; p < 4; ++p) n += wts[p] * (t.EVOU(tok[p], x) + t.PVOU(p, x));
        N[static_cast<size_t>(x)] = n;
        scale = std::max(scale, std::abs(n));
        if (x != m) best_wrong = std::max(best_wrong, n);
      }
      if (N[static_cast<size_t>(m)] - best_wrong > 1e-6 * scale) continue;
      ++doubtful;
      int64_t c = 0, largest_nonmax = -1;
      for (int p = 0; p < 3; ++p)
        if (tok[p] != m) ++c, largest_nonmax = std::max(largest_nonmax, tok[p]);
      for (const auto& map : gaps) {
        const auto it = map.find({m, c, q});
        if (it == map.end()) continue;
        // In Gap(m, q, c, g) iff every non-max token of a non-query position is <= m - g.
        if (largest_nonmax <= m - it->second) ++inside;
      }
    }
  }
  if (kQueryStep == 1) CHECK(doubtful >= 16777216 - 16761305);  // at least the exact count's wrong ones
  CHECK(inside == 0);
}

TEST_CASE("subcubic e2e: hint directions are checked, and any accepted hint gives a true bound", "[subcubic]") {
  require_sound_fp_environment();
  const ModelWeights w = adversarial::max_model(-0x1p-20, true, 4, 8).weights;
  const LoadedModel model = saved(w, "hints");
  for (const std::string strategy : {"subcubic/max_diff_exact/mean_query+diff/max_diff",
                                     "subcubic/svd_query+max_diff/mean_query+diff/svd",
                                     "subcubic/max_diff_exact/mean_query+diff/max_diff_subproduct",
                                     "subcubic/mean_query+max_diff/mean_query+diff/mean_recursive+max_diff_subproduct_recursive"}) {
    INFO(strategy);
    const json good = prove(model, strategy);
    REQUIRE(check(model, good).valid);
    const bool eu_hint = strategy.find("svd_query") != std::string::npos;
    const bool peeling = strategy.find("subproduct") != std::string::npos;
    std::vector<std::string> fields = {"query_direction", "key_direction"};
    if (peeling)
      for (const char* f : {"query_direction_2", "key_direction_2", "query_weight_direction", "key_weight_direction"})
        fields.push_back(f);
    auto one_line = [&](const json& c, const std::string& what) {
      const std::string reason = rejection(model, c);
      INFO(reason);
      CHECK(reason.find(what) != std::string::npos);
      CHECK(reason.find('\n') == std::string::npos);
    };
    for (const std::string& field : fields) {
      INFO(field);
      json c = good;
      c["steps"][0][field][0] = "nan";
      one_line(c, "hex float");
      c = good;
      for (auto& x : c["steps"][0][field]) x = "0x0p+0";
      one_line(c, "hint direction is zero");
      c = good;
      c["steps"][0][field][1] = "0x1p+40";
      one_line(c, "too large");
      c = good;
      const size_t n = c["steps"][0][field].size();
      c["steps"][0][field].erase(0);
      one_line(c, "expected an array of " + std::to_string(n));
      c = good;
      c["steps"][0].erase(field);
      one_line(c, "missing");
    }
    if (eu_hint) {
      json c = good;
      c["steps"][1]["direction"][2] = "-0x1p+11";
      one_line(c, "too large");
    }
    // Perturbed directions (each entry scaled, signs flipped): rejected, or every certified input
    // is strictly correct (exact oracle). With the claim lowered to 0 the certificate stays valid
    // whatever the rows' fate, so the test only inspects which rows the checker accepts.
    uint64_t state = 17;
    for (int trial = 0; trial < 6; ++trial) {
      json c = good;
      for (const std::string& field : fields)
        for (auto& x : c["steps"][0][field]) {
          const double d = parse_hex_double(x.get<std::string>(), JsonPath{});
          x = format_hex_double(d * (1 + test::fixture_value(state)) * (trial % 2 ? -1 : 1));
        }
      const std::string reason = rejection(model, c);
      INFO(reason);
      if (reason.empty()) {
        oracle_inputs(w, c);
      } else {
        // A row the looser bound no longer certifies, or (the peeling options: four factors of
        // perturbed peels) a residual too large for exp(b/sqrt(d_head)): rejected, one line.
        CHECK((reason.find("not certified") != std::string::npos || reason.find("too large for exp") != std::string::npos));
        CHECK(reason.find('\n') == std::string::npos);
      }
    }
  }
}
