// The subcubic bounds (SPEC 7) in the checker alone: on tiny models, every class Gap(m, q, c, g)
// the checker accepts must consist of strictly correct inputs according to an independent exact
// oracle (tests/support/cubic_oracle.hpp), for every EU option, both attention options and
// several reference attentions ā; plus the block grammar, the count and the messages. The rows are
// found by asking the checker about every single (m, q, c, g): no generator involved.
#include <map>
#include <string>
#include <tuple>

#include <catch2/catch.hpp>

#include "checker/fp_environment.hpp"
#include "checker/counting.hpp"
#include "checker/gap_classes.hpp"
#include "checker/subcubic.hpp"
#include "format/exact_numbers.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/cubic_oracle.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
using nlohmann::json;

namespace {

const std::vector<std::string> kEu = {"max_diff_exact", "global_max_diff_exact",
                                      "mean_query+max_diff", "max_diff", "centered_max_exact"};
const std::string kMean = "mean_query+diff";
const std::string kDrop = "drop_average_query_per_output_logit_reasoning";
const std::string kWeighted = "mean_query+weighted_diff";  // SPEC 7.25 (Lemma S16)

Certificate make_cert(const ModelWeights& w, const std::string& eu, const std::string& att,
                      json blocks) {
  Certificate c;
  c.display_name = "cert.json";
  c.version = 1;
  c.task = {"max-of-k", w.v, w.k};
  c.model = {std::string(64, '0'), w.d, w.d_head, w.v_out};
  c.strategy = "subcubic/" + eu + "/" + att + "/exact_EQKE+max_diff_exact";
  c.steps = json::array({json{{"kind", "path-tables"}}, json{{"kind", "eu-bound"}, {"handling", eu}},
                         json{{"kind", "gap-classes"}, {"attention", att}, {"blocks", std::move(blocks)}}});
  return c;
}

StrategyOutcome run(const ModelWeights& w, const Certificate& c) {
  const LoadedModel model{w, std::string(64, '0'), "model"};
  return check_subcubic_strategy(StrategyInput{model, c, 1});
}

json one_row(int64_t m, int64_t c, double avg, int64_t q, int64_t g) {
  return json::array({json::array({m, c, format_hex_double(avg), json::array({json::array({q, g})})})});
}

bool accepted(const ModelWeights& w, const std::string& eu, const std::string& att, double avg,
              int64_t m, int64_t q, int64_t c, int64_t g) {
  try {
    run(w, make_cert(w, eu, att, one_row(m, c, avg, q, g)));
    return true;
  } catch (const CertificateRejected&) {
    return false;
  }
}

// (m, c, q) -> the smallest accepted gap.
using Rows = std::map<std::tuple<int64_t, int64_t, int64_t>, int64_t>;

Rows checker_best_rows(const ModelWeights& w, const std::string& eu, const std::string& att,
                       double avg) {
  Rows rows;
  for (int64_t m = 0; m < w.v; ++m)
    for (int64_t q = 0; q <= m; ++q)
      for (int64_t c = 0; c <= (q == m ? w.k - 1 : w.k - 2); ++c) {
        if (q == m && c == 0) {
          if (accepted(w, eu, att, avg, m, q, c, 1)) rows[{m, c, q}] = 1;
          continue;
        }
        for (int64_t g = 1; g <= (c == 0 ? 1 : m); ++g)
          if (accepted(w, eu, att, avg, m, q, c, g)) {
            rows[{m, c, q}] = g;
            break;
          }
      }
  return rows;
}

json blocks_of(const Rows& rows, double avg) {
  json blocks = json::array();
  std::pair<int64_t, int64_t> current{-1, -1};
  for (const auto& [key, g] : rows) {
    const auto [m, c, q] = key;
    if (std::make_pair(m, c) != current) {
      blocks.push_back(json::array({m, c, format_hex_double(avg), json::array()}));
      current = {m, c};
    }
    blocks.back()[3].push_back(json::array({q, g}));
  }
  return blocks;
}

// Every input of every row is strictly correct; returns the number of inputs.
uint64_t require_rows_sound(const ModelWeights& w, const Rows& rows) {
  const test::CubicOracle oracle(w);
  uint64_t inputs = 0;
  for (const auto& [key, g] : rows) {
    const auto [m, c, q] = key;
    std::vector<int64_t> S;
    for (int64_t n = 0; n <= m - g && c > 0; ++n) S.push_back(n);
    for (const auto& t : test::cubic_class_inputs(w.k, m, q, c, S)) {
      INFO("m=" << m << " q=" << q << " c=" << c << " g=" << g << " input " << t[0] << "," << t[1]);
      REQUIRE(oracle.strictly_correct(t));
      ++inputs;
    }
  }
  return inputs;
}

}  // namespace

TEST_CASE("subcubic checker: accepted classes are correct on tiny models", "[subcubic]") {
  require_sound_fp_environment();
  std::vector<std::pair<std::string, ModelWeights>> models;
  models.emplace_back("fixture", test::make_fixture_model(3, 5, 4, 3, 1));
  models.emplace_back("fixture-k4", test::make_fixture_model(4, 6, 5, 4, 7));
  for (int64_t k : {3, 4}) {
    const ModelWeights base = adversarial::max_model(-0x1p-20, true, k, 6).weights;
    models.emplace_back("max-positional", base);
    models.emplace_back("max-perturbed", test::perturbed(base, 11, 0x1p-3));
    models.emplace_back("max-noisy", test::perturbed(base, 5, 0x1p-2));
  }
  uint64_t total_inputs = 0;
  for (const auto& [name, w] : models)
    for (const std::string& eu : kEu)
      for (const auto& [att, avg] : std::vector<std::pair<std::string, double>>{
               {kDrop, 0.0}, {kMean, 0.25}, {kMean, 0.5}, {kMean, 0.875}, {kWeighted, 0.0},
               {kWeighted, 0.5}, {kWeighted, 0.875}}) {
        INFO(name << " k=" << w.k << " " << eu << " " << att << " avg=" << avg);
        const Rows rows = checker_best_rows(w, eu, att, avg);
        const uint64_t inputs = require_rows_sound(w, rows);
        const StrategyOutcome all = run(w, make_cert(w, eu, att, blocks_of(rows, avg)));
        CHECK(all.certified == inputs);  // the union is accepted and counted exactly
        total_inputs += inputs;
        if (name == "max-positional") CHECK(inputs > static_cast<uint64_t>(w.v));  // beyond all-max rows
      }
  for (const auto& [name, w] : models)  // joint_exact exists only with mean_query+weighted_diff (SPEC 7.25)
    for (const double avg : {0.0, 0.5, 0.875}) {
      INFO(name << " k=" << w.k << " joint_exact avg=" << avg);
      const Rows rows = checker_best_rows(w, "joint_exact", kWeighted, avg);
      const uint64_t inputs = require_rows_sound(w, rows);
      const StrategyOutcome all = run(w, make_cert(w, "joint_exact", kWeighted, blocks_of(rows, avg)));
      CHECK(all.certified == inputs);
      if (name == "max-positional") CHECK(inputs > static_cast<uint64_t>(w.v));
    }
  CHECK(total_inputs > 0);
}

TEST_CASE("subcubic checker: exact ties and planted traps are never certified", "[subcubic]") {
  require_sound_fp_environment();
  for (const auto& planted : adversarial::all_planted_models()) {
    if (planted.weights.k < 2 || planted.weights.v_out != planted.weights.v) continue;
    for (const std::string& eu : {std::string("max_diff_exact"), std::string("mean_query+max_diff")}) {
      INFO(planted.name << " " << eu);
      const Rows rows = checker_best_rows(planted.weights, eu, kMean, 0.5);
      const uint64_t inputs = require_rows_sound(planted.weights, rows);
      if (planted.strict >= 0) CHECK(inputs <= static_cast<uint64_t>(planted.strict));
    }
  }
}

TEST_CASE("subcubic checker: block grammar, options and strategy name", "[subcubic]") {
  require_sound_fp_environment();
  const ModelWeights w = adversarial::max_model(-0x1p-20, true, 3, 6).weights;
  const std::string eu = "max_diff_exact";
  // A valid one-row certificate to start from (the all-max row of m = 5).
  REQUIRE_NOTHROW(run(w, make_cert(w, eu, kMean, one_row(5, 0, 0.5, 5, 1))));
  auto rejects = [&](json blocks, const std::string& att, const std::string& needle) {
    INFO(blocks.dump() << " " << att);
    try {
      run(w, make_cert(w, eu, att, std::move(blocks)));
      FAIL("accepted");
    } catch (const std::exception& e) {
      CHECK(std::string(e.what()).find(needle) != std::string::npos);
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  };
  rejects(one_row(5, 0, 0.5, 5, 2), kMean, "must have g = 1");
  rejects(one_row(5, 0, 0.5, 4, 2), kMean, "must have g = 1");
  rejects(one_row(5, 1, 0.5, 5, 6), kMean, "> m = 5");
  rejects(one_row(5, 1, 0.5, 4, 6), kMean, "> m = 5");
  rejects(one_row(5, 2, 0.5, 4, 1), kMean, "outside [0, 1] for q < m");
  rejects(one_row(6, 0, 0.5, 6, 1), kMean, "out of range");
  rejects(one_row(5, 0, 0.25, 5, 1), kDrop, "avg must be 0");
  rejects(one_row(5, 0, 1.5, 5, 1), kMean, "avg outside [0, 1]");
  rejects(one_row(5, 1, 0.5, 0, 0), kMean, "out of range");
  rejects(json::array({json::array({5, 0, "0x1p-1", json::array()})}), kMean, "non-empty");
  rejects(json::array({json::array({5, 0, "0.5", json::array({json::array({5, 1})})})}), kMean, "steps[2].blocks[0][2]");
  json twice = one_row(5, 0, 0.5, 5, 1);
  twice.push_back(twice[0]);
  rejects(twice, kMean, "duplicate block");
  json unsorted = json::array({json::array({5, 1, "0x0p+0", json::array({json::array({3, 1}), json::array({1, 1})})})});
  rejects(unsorted, kMean, "strictly increasing in q");
  // The strategy name must be the steps' options.
  Certificate c = make_cert(w, eu, kMean, one_row(5, 0, 0.5, 5, 1));
  c.strategy = "subcubic/global_max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact";
  CHECK_THROWS_WITH(run(w, c), Catch::Contains("does not match the strategy name's option"));
  c = make_cert(w, "svd_query+max_diff", kMean, one_row(5, 0, 0.5, 5, 1));
  CHECK_THROWS_WITH(run(w, c), Catch::Contains("missing required field 'direction'"));  // its hint
  c = make_cert(w, "no_such_option", kMean, one_row(5, 0, 0.5, 5, 1));
  c.strategy = "subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact";
  CHECK_THROWS_WITH(run(w, c), Catch::Contains("unknown EU option"));
  // A non-zero bias: the lemmas do not apply.
  ModelWeights biased = w;
  biased.b_U[2] = 0x1p-30;
  CHECK_THROWS_AS(run(biased, make_cert(biased, eu, kMean, one_row(5, 0, 0.5, 5, 1))), CertificateRejected);
}

TEST_CASE("subcubic checker: a failing row is reported in one line", "[subcubic]") {
  require_sound_fp_environment();
  const ModelWeights w = adversarial::max_model(0.0, true, 3, 6).weights;  // max-5 inputs tie
  try {
    run(w, make_cert(w, "max_diff_exact", kMean, one_row(5, 0, 0.5, 5, 1)));
    FAIL("a tie was certified");
  } catch (const CertificateRejected& e) {
    const std::string msg = e.what();
    CHECK(msg.find("cert.json: steps[2].blocks[0][3][0] (m=5, q=5, c=0, g=1): logit x=0 not certified") == 0);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("subcubic count: C(k-1,c)·(m-g+1)^c per row, disjoint classes, within v^k", "[subcubic]") {
  const int64_t v = 6, k = 4;
  // m = 5: the all-max row, q = 5 with c = 3 and gap 2 (4^3 · 1 inputs), q = 1 with c = 2, gap 3
  // (C(3,2) · 3^2).
  const std::vector<GapRow> rows = {{5, 5, 0, 1}, {5, 1, 2, 3}, {5, 5, 3, 2}};
  CHECK(gap_count(rows, v, k) == 1 + 3 * 9 + 64);
  CHECK_THROWS_AS(gap_count({{5, 5, 3, 2}, {5, 5, 3, 2}}, v, k), std::logic_error);  // twice
  CHECK_THROWS_AS(gap_count({{5, 4, 0, 2}}, v, k), std::logic_error);  // c = 0 needs g = 1
  CHECK(gap_count({{5, 4, 1, 3}}, v, k) == 3 * 3);  // the query (4) may exceed m - g (2)
  CHECK_THROWS_AS(gap_count({{5, 5, 1, 0}}, v, k), std::logic_error);  // gap 0
  // Every class of one max at gap 1 is exactly the inputs with that max.
  std::vector<GapRow> all;
  for (int64_t c = 0; c <= k - 1; ++c)
    for (int64_t q = 0; q <= 5; ++q) {
      if (q < 5 && c > k - 2) continue;
      all.push_back({5, q, c, 1});
    }
  std::sort(all.begin(), all.end(), [](const GapRow& a, const GapRow& b) {
    return std::tie(a.m, a.c, a.q) < std::tie(b.m, b.c, b.q);
  });
  CHECK(gap_count(all, v, k) == 6 * 6 * 6 * 6 - 5 * 5 * 5 * 5);
}

TEST_CASE("class tally: 64-bit sums carry into the exact sum, large classes stay exact", "[subcubic]") {
  uint64_t p = 0;
  CHECK((power_fits_u64(3, 40, p) && p == 12157665459056928801ull));
  CHECK(!power_fits_u64(3, 41, p));
  CHECK((power_fits_u64(0, 0, p) && p == 1));
  CHECK((power_fits_u64(1, 1000, p) && p == 1));
  CHECK((power_fits_u64(2, 63, p) && p == uint64_t{1} << 63));
  CHECK(!power_fits_u64(2, 64, p));
  // k = 5, v = 2^16: each class m^4 (c = 4, C(4,4) = 1) is just under 2^64, so the second one
  // carries; the exact sum is compared with big integers.
  const int64_t v = 65536, m = 65535;
  ClassTally tally(v, 5, "test");
  BigInt expected = 0;
  for (int64_t base : {m, m - 1, int64_t{2}, int64_t{1}}) {
    tally.add_class(m, base, 4);
    expected += int_power(BigInt(base), 4);
  }
  tally.add_class(m, m, 3);  // C(4,3) m^3
  expected += 4 * int_power(BigInt(m), 3);
  CHECK(tally.total() == expected);
  // C(69, 34) does not fit in 64 bits: the class is counted with big integers.
  ClassTally wide(3, 70, "test");
  wide.add_class(2, 1, 34);
  CHECK(wide.total() == binomial(69, 34));
  // Too many inputs for one max is still caught.
  ClassTally over(4, 3, "test");
  over.add_class(3, 3, 2);  // 9 of the 37 inputs with max 3
  over.add_class(3, 3, 2);
  over.add_class(3, 3, 2);
  over.add_class(3, 3, 2);  // 36
  over.add_class(3, 1, 1);  // 2 more: 38 > 37
  CHECK_THROWS_AS(over.total(), std::logic_error);
}
