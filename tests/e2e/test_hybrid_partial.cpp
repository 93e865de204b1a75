// The partial-residue strategy "hybrid/cubic+partial-brute-force" (SPEC 10.7): the checker walks
// the residue of the selected cases (m, q) only; its count is the class count plus exactly the
// oracle's correct inputs of that selected residue; the generator's own residue walk visits as
// many inputs per case as the checker derives; a selection naming a case twice, out of order or
// out of range is rejected with one line, as is a claim above the certified count.
#include <algorithm>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "checker/check.hpp"
#include "checker/counting.hpp"
#include "checker/cubic_cases.hpp"
#include "checker/fp_environment.hpp"
#include "checker/hybrid.hpp"
#include "format/certificate.hpp"
#include "generator/cubic_search.hpp"
#include "generator/path_tables.hpp"
#include "generator/residue_walk.hpp"
#include "generator/trainer.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/exact_oracle.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
using nlohmann::json;

namespace {

const std::string kPartial = "hybrid/cubic+partial-brute-force";

LoadedModel saved(const ModelWeights& w, const std::string& tag) { return test::saved(w, "hybrid-partial-" + tag); }

ModelWeights trained(int64_t k, int64_t v, int64_t steps, uint64_t seed) {
  TrainConfig config;
  config.k = k;
  config.v = v;
  config.d_model = 8;
  config.steps = steps;
  config.seed = seed;
  config.threads = 1;
  return train_model(config);
}

BigInt certified(const LoadedModel& model, json cert, int threads = 1) {
  cert["claim"]["correct"] = "0";
  return check_certificate(model, parse_certificate(cert.dump(), "cert.json", ""), threads).certified;
}

// The full hybrid's certificate turned into a partial one selecting `select`.
json with_selection(json cert, const json& select) {
  cert["strategy"] = kPartial;
  cert["steps"][2]["select"] = select;
  cert["claim"]["correct"] = "0";
  return cert;
}

bool in_class(const CubicCase& cc, const std::vector<int64_t>& t) {
  const auto k = static_cast<int64_t>(t.size());
  if (t[static_cast<size_t>(k - 1)] != cc.q) return false;
  int64_t c = 0;
  for (int64_t p = 0; p + 1 < k; ++p) {
    const int64_t x = t[static_cast<size_t>(p)];
    if (x == cc.m) continue;
    if (x > cc.m || cc.c == 0 || !cc.contains(x)) return false;
    ++c;
  }
  return c == cc.c;
}

std::vector<CubicCase> parsed_cases(const json& cert, int64_t v, int64_t k) {
  return parse_cubic_cases(cert["steps"][1]["cases"], v, k, JsonPath{"cert.json", "cases"});
}

}  // namespace

TEST_CASE("partial hybrid: the count is the classes' plus the oracle's correct selected residue", "[hybrid]") {
  require_sound_fp_environment();
  std::mt19937_64 rng(5);
  std::vector<std::pair<ModelWeights, std::string>> models;
  models.emplace_back(test::make_fixture_model(3, 5, 4, 3, 11), "fixture-3-5");
  models.emplace_back(test::make_fixture_model(2, 6, 4, 3, 12), "fixture-2-6");
  models.emplace_back(trained(3, 8, 600, 1), "trained-3-8");
  for (const auto& entry : models) {  // no structured binding: clang 14 cannot capture one
    const ModelWeights& w = entry.first;
    const std::string& tag = entry.second;
    const LoadedModel model = saved(w, tag);
    const json full = test::prove(model, "hybrid/cubic+brute-force");
    const std::vector<CubicCase> rows = parsed_cases(full, w.v, w.k);
    for (double p_select : {0.0, 0.3, 0.7, 1.0}) {
      json select = json::array();
      std::vector<uint8_t> selected(static_cast<size_t>(w.v * w.v), 0);
      for (int64_t m = 0; m < w.v; ++m)
        for (int64_t q = 0; q <= m; ++q)
          if (std::uniform_real_distribution<double>(0, 1)(rng) < p_select) {
            select.push_back({m, q});
            selected[static_cast<size_t>(m * w.v + q)] = 1;
          }
      // Oracle: every input of a listed class (all certified, so all correct) or of a selected case.
      const test::OracleCounts o = test::oracle_classify_all(w, [&](const std::vector<int64_t>& t) {
        const int64_t m = *std::max_element(t.begin(), t.end()), q = t.back();
        if (selected[static_cast<size_t>(m * w.v + q)]) return true;
        return std::any_of(rows.begin(), rows.end(), [&](const CubicCase& cc) { return in_class(cc, t); });
      });
      INFO(tag << " p_select=" << p_select << " selected " << select.size());
      REQUIRE(certified(model, with_selection(full, select)) == o.correct);
    }
    // The same count and ops on 1 and 3 threads.
    json select = json::array();
    for (int64_t m = 0; m < w.v; m += 2) select.push_back({m, m / 2});
    const Certificate parsed = parse_certificate(with_selection(full, select).dump(), "cert.json", "");
    const CheckResult r1 = check_certificate(model, parsed, 1);
    const CheckResult r3 = check_certificate(model, parsed, 3);
    REQUIRE(r1.certified == r3.certified);
    REQUIRE(r1.length.ops.total() == r3.length.ops.total());
  }
}

TEST_CASE("the generator's residue walk visits the checker's residue, case by case", "[hybrid]") {
  for (uint64_t s : {1u, 2u}) {
    const ModelWeights w = trained(3, 8, 300 * s, s);
    const PathTables tables = compute_path_tables(w, BiasPolicy::Reject);
    const CubicSearchResult classes = cubic_search(tables);
    json rows_json = json::array();
    for (const CubicRow& r : classes.rows) rows_json.push_back({r.m, r.q, r.c, r.mask});
    const std::vector<CubicCase> rows = parse_cubic_cases(rows_json, w.v, w.k, JsonPath{"t", "cases"});
    const ResidueWalkResult walk = walk_residue(tables, classes.rows, nullptr, 2);
    for (int64_t m = 0; m < w.v; ++m)
      for (int64_t q = 0; q <= m; ++q) {
        std::vector<uint8_t> one(static_cast<size_t>(w.v * w.v), 0);
        one[static_cast<size_t>(m * w.v + q)] = 1;
        INFO("seed " << s << " case (" << m << ", " << q << ")");
        REQUIRE(BigInt(walk.cases[static_cast<size_t>(m * w.v + q)].inputs) == residue_size(rows, w.v, w.k, &one));
      }
  }
}

TEST_CASE("partial hybrid: the generator's certificate holds, and bad selections are rejected", "[hybrid]") {
  require_sound_fp_environment();
  const LoadedModel model = test::example(50);
  const json cert = test::prove(model, kPartial);
  const CheckResult r = test::check(model, cert);
  REQUIRE(r.valid);
  // The claim is exactly what the checker certifies (the generator predicts every residue input).
  REQUIRE(BigInt(cert["claim"]["correct"].get<std::string>()) == r.certified);
  const json full = test::prove(model, "hybrid/cubic+brute-force");
  const CheckResult rf = test::check(model, full);
  REQUIRE(r.certified < rf.certified);
  REQUIRE(r.length.ops.total() < rf.length.ops.total());

  const auto reason = [&](const json& bad) {
    const std::string why = test::rejection(model, bad);
    INFO(bad["steps"][2].dump().substr(0, 200) << " -> " << why);
    REQUIRE(!why.empty());
    REQUIRE(why.find('\n') == std::string::npos);
    return why;
  };
  REQUIRE(reason(with_selection(cert, json::array({{3, 1}, {3, 1}}))).find("listed twice") != std::string::npos);
  REQUIRE(reason(with_selection(cert, json::array({{4, 1}, {3, 1}}))).find("not sorted") != std::string::npos);
  REQUIRE(reason(with_selection(cert, json::array({{64, 0}}))).find("select") != std::string::npos);
  REQUIRE(reason(with_selection(cert, json::array({{-1, 0}}))).find("select") != std::string::npos);
  REQUIRE(reason(with_selection(cert, json::array({{2, 3}}))).find("no such case") != std::string::npos);
  REQUIRE(reason(with_selection(cert, json::array({{2, 1, 0}}))).find("[m, q]") != std::string::npos);
  REQUIRE(reason(with_selection(cert, json::array({{2.5, 1}}))).find("select") != std::string::npos);
  json missing = cert;
  missing["steps"][2].erase("select");
  REQUIRE(reason(missing).find("select") != std::string::npos);
  json in_full = full;
  in_full["steps"][2]["select"] = json::array();
  REQUIRE(!reason(in_full).empty());  // the full strategy takes no selection
  // A claim one above the certified count.
  json over = cert;
  over["claim"]["correct"] = BigInt(r.certified + 1).str();
  REQUIRE(reason(over).find("claim") != std::string::npos);
}
