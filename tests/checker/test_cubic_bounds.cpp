// The cubic bounds (SPEC 5.2-5.9) in the checker alone: on tiny models, every class the checker
// accepts must consist of strictly correct inputs according to an independent exact oracle
// (tests/support/cubic_oracle.hpp), for random models, max-solving models with positional
// attention (placement matters), perturbed ones (borderline classes), and planted ties.
// The case lists are found by asking the checker about every single (m, q, c, n): no generator.
#include <string>

#include <catch2/catch.hpp>

#include "checker/cubic.hpp"
#include "checker/fp_environment.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/cubic_oracle.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;

namespace {

CubicCase make_row(int64_t m, int64_t q, int64_t c, const std::vector<int64_t>& S) {
  CubicCase cc;
  cc.m = m, cc.q = q, cc.c = c;
  if (c > 0) {
    cc.bits.assign(static_cast<size_t>((m + 63) / 64), 0);
    for (int64_t n : S) cc.bits[static_cast<size_t>(n / 64)] |= uint64_t{1} << (n % 64);
    cc.size = static_cast<int64_t>(S.size());
  }
  return cc;
}

bool accepted(const ModelWeights& w, const CubicCase& row) {
  try {
    check_cubic(w, {row}, "t");
    return true;
  } catch (const CertificateRejected&) {
    return false;
  }
}

// The largest list the checker accepts, built one (m, q, c, n) at a time.
std::vector<CubicCase> checker_maximal_list(const ModelWeights& w) {
  std::vector<CubicCase> rows;
  for (int64_t m = 0; m < w.v; ++m)
    for (int64_t q = 0; q <= m; ++q)
      for (int64_t c = 0; c <= (q == m ? w.k - 1 : w.k - 2); ++c) {
        if (c == 0) {
          if (accepted(w, make_row(m, q, 0, {}))) rows.push_back(make_row(m, q, 0, {}));
          continue;
        }
        std::vector<int64_t> S;
        for (int64_t n = 0; n < m; ++n)
          if (accepted(w, make_row(m, q, c, {n}))) S.push_back(n);
        if (!S.empty()) rows.push_back(make_row(m, q, c, S));
      }
  return rows;
}

// Every input of every row is strictly correct; returns the number of inputs checked.
uint64_t require_rows_sound(const ModelWeights& w, const std::vector<CubicCase>& rows) {
  const test::CubicOracle oracle(w);
  uint64_t inputs = 0;
  for (const CubicCase& cc : rows) {
    std::vector<int64_t> S;
    for (int64_t n = 0; n < cc.m && cc.c > 0; ++n)
      if (cc.contains(n)) S.push_back(n);
    for (const auto& t : test::cubic_class_inputs(w.k, cc.m, cc.q, cc.c, S)) {
      INFO("m=" << cc.m << " q=" << cc.q << " c=" << cc.c << " input " << t[0] << "," << t[1]);
      REQUIRE(oracle.strictly_correct(t));
      ++inputs;
    }
  }
  return inputs;
}

}  // namespace

TEST_CASE("cubic checker: accepted classes are correct on tiny models", "[cubic]") {
  require_sound_fp_environment();
  std::vector<std::pair<std::string, ModelWeights>> models;
  for (uint64_t seed : {1, 2, 3})
    models.emplace_back("fixture", test::make_fixture_model(3, 5, 4, 3, seed));
  models.emplace_back("fixture-k4", test::make_fixture_model(4, 6, 5, 4, 7));
  for (int64_t k : {3, 4}) {
    const ModelWeights base = adversarial::max_model(-0x1p-20, true, k, 6).weights;
    models.emplace_back("max-positional", base);
    for (uint64_t seed : {11, 12})
      models.emplace_back("max-perturbed", test::perturbed(base, seed, 0x1p-3));
    models.emplace_back("max-noisy", test::perturbed(base, 5, 0x1p-2));
  }
  for (const auto& [name, w] : models) {
    INFO(name << " k=" << w.k << " v=" << w.v);
    const auto rows = checker_maximal_list(w);
    const CubicVerdict all = check_cubic(w, rows, "t");  // the union is accepted too
    const uint64_t inputs = require_rows_sound(w, rows);
    CHECK(all.count == inputs);
    if (name != "max-noisy" && name.rfind("max", 0) == 0)
      CHECK(inputs > 0);  // they certify something
    CHECK(all.ops.exp == static_cast<uint64_t>(w.v * w.v + w.v * w.k));
  }
}

TEST_CASE("cubic checker: exact ties and planted traps are never certified", "[cubic]") {
  require_sound_fp_environment();
  for (const auto& planted : adversarial::all_planted_models()) {
    INFO(planted.name);
    const auto rows = checker_maximal_list(planted.weights);
    const uint64_t inputs = require_rows_sound(planted.weights, rows);
    if (planted.strict >= 0) CHECK(inputs <= static_cast<uint64_t>(planted.strict));
  }
}

TEST_CASE("cubic checker: a failing value is reported in one line", "[cubic]") {
  require_sound_fp_environment();
  const ModelWeights w = adversarial::max_model(0.0, true, 3, 6).weights;  // max-5 inputs tie
  try {
    check_cubic(w, {make_row(5, 5, 0, {})}, "cert.json: steps[1].cases");
    FAIL("a tie was certified");
  } catch (const CertificateRejected& e) {
    const std::string msg = e.what();
    CHECK(msg.find("cert.json: steps[1].cases[0] (m=5, q=5, c=0): logit x=0 not certified") == 0);
    CHECK(msg.find('\n') == std::string::npos);
  }
  ModelWeights biased = w;
  biased.b_U[2] = 0x1p-30;
  CHECK_THROWS_AS(check_cubic(biased, {}, "t"), CertificateRejected);
}

TEST_CASE("cubic checker: verdict, message and counts do not depend on the thread count",
          "[cubic]") {
  require_sound_fp_environment();
  const ModelWeights w = adversarial::max_model(0.0, true, 4, 6).weights;  // max-5 inputs tie
  std::vector<CubicCase> rows = checker_maximal_list(w);
  REQUIRE(rows.size() > 4);
  const CubicVerdict one = check_cubic(w, rows, "t", 1);
  for (int threads : {2, 3, 8}) {
    const CubicVerdict many = check_cubic(w, rows, "t", threads);
    CHECK(many.count == one.count);
    CHECK(many.ops.to_json() == one.ops.to_json());
    CHECK(many.paper_flops == one.paper_flops);
  }
  rows.push_back(make_row(5, 0, 0, {}));
  rows.push_back(make_row(5, 5, 0, {}));
  std::string first;
  for (int threads : {1, 2, 3, 8}) {
    try {
      check_cubic(w, rows, "t", threads);
      FAIL("accepted");
    } catch (const CertificateRejected& e) {
      if (first.empty()) first = e.what();
      CHECK(e.what() == first);
    }
  }
  CHECK(first.find("(m=5, q=0, c=0)") != std::string::npos);
}
