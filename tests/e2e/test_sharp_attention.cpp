// Sharp attention (SPEC.md 3.8, Lemma B′): models whose attention scores of one query span 10^3,
// 10^6 and 10^18 (W_Q scaled by a power of two, so the weights stay exact).
// (1) Tiny models: `mechcert eval` works and its strict count, and the brute-force checker's
//     certified count, equal an independent 320-bit oracle's count of correct inputs; every
//     strategy (brute force, cubic, a sample of subcubic) writes a certificate the checker
//     accepts, with a bound <= the exact count -- or, for an EQKE approximation whose residual
//     cannot be exponentiated, refuses with a clear error instead of writing one.
// (2) The example model max4-seed50 scaled the same way: eval works, the brute-force certificate
//     is accepted and its count is the eval's strict count; cubic and subcubic certificates are
//     accepted with bounds <= the brute-force count (itself <= the exact count).
// Without the banded shifts the brute-force checker certifies (almost) nothing on these models and
// eval refuses them; without the conservative re-check cubic writes rows the checker rejects.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "checker/brute_force.hpp"
#include "checker/check.hpp"
#include "generator/evaluate.hpp"
#include "generator/path_tables.hpp"
#include "generator/strategy_registry.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/exact_oracle.hpp"
#include "tests/support/model_fixture.hpp"
#include "tests/support/sanitizer_build.hpp"

using namespace mechcert;

// Under AddressSanitizer the v^k = 2^24 enumerations of the example model take minutes each:
// there only the sharpest span is run on it.
constexpr bool kSanitized = mechcert::test::kSanitizedBuild;

namespace {

const std::vector<double> kSpans = {1e3, 1e6, 1e18};

// Largest span, over queries, of the exp arguments (EQKE[q,t] + EQKP[q,p]) / sqrt(d_head) an
// input can hold.
double score_span(const ModelWeights& w) {
  const PathTables t = compute_path_tables(w, BiasPolicy::Fold);
  double span = 0;
  for (int64_t q = 0; q < w.v; ++q) {
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (int64_t p = 0; p < w.k; ++p)
      for (int64_t tok = 0; tok < w.v; ++tok) {
        if (p == w.k - 1 && tok != q) continue;
        const double s = (t.EQKE(q, tok) + t.EQKP(q, p)) / t.scale;
        lo = std::min(lo, s);
        hi = std::max(hi, s);
      }
    span = std::max(span, hi - lo);
  }
  return span;
}

// `w` with W_Q scaled by the power of two that brings its score span closest to `target`.
ModelWeights sharpened(ModelWeights w, double target) {
  const double factor = std::exp2(std::round(std::log2(target / score_span(w))));
  for (double& x : w.W_Q.data) x *= factor;
  return w;
}

uint64_t e_total(const ModelWeights& w) {
  uint64_t n = 1;
  for (int64_t i = 0; i < w.k; ++i) n *= static_cast<uint64_t>(w.v);
  return n;
}

bool is_approximation(const std::string& strategy) {
  return strategy.rfind("subcubic/", 0) == 0 &&
         strategy.find("/exact_EQKE+max_diff_exact") == std::string::npos;
}

// Every subcubic strategy with the exact EQKE option, and one of each approximation.
std::vector<std::string> strategy_sample() {
  std::vector<std::string> out = {"brute-force", "cubic"};
  for (const auto& [name, info] : strategy_registry()) {
    if (name.rfind("subcubic/", 0) != 0) continue;
    if (!is_approximation(name) || name.rfind("subcubic/max_diff_exact/mean_query+diff/", 0) == 0)
      out.push_back(name);
  }
  return out;
}

// Proves `strategy` and checks the certificate; returns its certified count. An approximation
// may refuse (sharp scores make its residual bound unusable), never write a rejected certificate.
// Returns -1 for a refusal.
long long prove_and_check(const LoadedModel& model, const std::string& strategy) {
  nlohmann::json cert;
  try {
    cert = test::prove(model, strategy);
  } catch (const std::runtime_error& e) {
    INFO(strategy << ": " << e.what());
    CHECK(is_approximation(strategy));
    CHECK(std::string(e.what()).find("exceeds 600") != std::string::npos);
    return -1;
  }
  INFO(strategy);
  const std::string why = test::rejection(model, cert);
  REQUIRE(why == "");
  const CheckResult r = test::check(model, cert);
  REQUIRE(r.valid);
  return std::stoll(cert["claim"]["correct"].get<std::string>());
}

}  // namespace

TEST_CASE("sharp attention on tiny models: eval and brute force are exact, every certificate valid",
          "[e2e][sharp]") {
  const std::vector<std::string> strategies = strategy_sample();
  struct Shape { int64_t k, v, d, h; uint64_t seed; };
  for (const Shape s : {Shape{3, 5, 4, 3, 1}, Shape{3, 6, 4, 2, 2}, Shape{4, 4, 3, 3, 3}, Shape{2, 7, 4, 4, 4}}) {
    const ModelWeights base = test::make_fixture_model(s.k, s.v, s.d, s.h, s.seed);
    for (const double span : kSpans) {
      const ModelWeights w = sharpened(base, span);
      INFO("k=" << s.k << " v=" << s.v << " seed=" << s.seed << " span " << score_span(w));
      REQUIRE(score_span(w) > span / 2);
      REQUIRE(score_span(w) < span * 2);
      const LoadedModel model = test::saved(w, "sharp-tiny-" + std::to_string(s.seed) + "-" +
                                                   std::to_string(static_cast<int>(std::log10(span))));
      const test::OracleCounts exact = test::oracle_classify_all(model.weights);
      const EvalResult e = evaluate_exact(model.weights, EvalOptions{1, false});
      CHECK(e.strict_correct == exact.correct);
      CHECK(e.argmax_correct >= exact.correct);
      const BruteForceCount bf = brute_force_certified_count(model.weights, 2);
      CHECK(bf.certified == exact.correct);
      for (const std::string& strategy : strategies) {
        const long long n = prove_and_check(model, strategy);
        INFO(strategy << " claims " << n << " of exact " << exact.correct);
        CHECK(n <= static_cast<long long>(exact.correct));
      }
    }
  }
}

// Sharded proofs (SPEC 4.6, 9) of sharp models: the banded enumeration (Lemma B′) restricted to
// an input range. Any partition of the query-major order into ranges gives counts that add up to
// the whole space's, in the checker (any ranges) and in eval (ranges of whole work units).
TEST_CASE("sharp attention with input ranges: the parts' counts add up to the whole", "[e2e][sharp]") {
  struct Shape { int64_t k, v, d, h; uint64_t seed; };
  uint64_t state = 0x5eed;
  for (const Shape s : {Shape{3, 5, 4, 3, 1}, Shape{4, 4, 3, 3, 3}, Shape{4, 6, 5, 4, 7}}) {
    const ModelWeights base = test::make_fixture_model(s.k, s.v, s.d, s.h, s.seed);
    for (const double span : kSpans) {
      const ModelWeights w = sharpened(base, span);
      INFO("k=" << s.k << " v=" << s.v << " seed=" << s.seed << " span " << score_span(w));
      const uint64_t total = e_total(w);
      const uint64_t whole = brute_force_certified_count(w, 2).certified;
      const test::OracleCounts exact = test::oracle_classify_all(w);
      CHECK(whole == exact.correct);
      for (int trial = 0; trial < 3; ++trial) {
        // Random cut points (one-input parts included), then the parts in order.
        std::vector<uint64_t> cuts = {0, total};
        for (int i = 0; i < 6; ++i) {
          state = state * 6364136223846793005ULL + 1442695040888963407ULL;
          cuts.push_back(1 + (state >> 33) % (total - 1));
        }
        std::sort(cuts.begin(), cuts.end());
        cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
        uint64_t sum = 0;
        for (size_t i = 0; i + 1 < cuts.size(); ++i)
          sum += brute_force_certified_count(w, 1, SimdPath::automatic, InputRange{cuts[i], cuts[i + 1]}).certified;
        CHECK(sum == whole);
      }
      const uint64_t unit = eval_range_unit(w);
      const uint64_t strict = evaluate_exact(w, EvalOptions{1, false}).strict_correct;
      uint64_t eval_sum = 0;
      for (uint64_t b = 0; b < total; b += unit) {
        EvalOptions o{1, false};
        o.begin = b;
        o.end = b + unit;
        eval_sum += evaluate_exact(w, o).strict_correct;
      }
      CHECK(eval_sum == strict);
      CHECK(strict == exact.correct);
    }
  }
}

TEST_CASE("sharp attention on the example model: eval, brute force, cubic, subcubic",
          "[e2e][sharp]") {
  const LoadedModel original = test::example(50);
  const std::vector<std::string> subcubic = {
      "subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact",
      "subcubic/centered_max_exact/drop_average_query_per_output_logit_reasoning/exact_EQKE+max_diff_exact",
      "subcubic/mean_query+max_diff/mean_query+diff/max_diff_exact"};
  for (const double span : kSpans) {
    if (kSanitized && span < 1e18) continue;
    const ModelWeights w = sharpened(original.weights, span);
    INFO("span " << score_span(w));
    const LoadedModel model =
        test::saved(w, "sharp-max4-" + std::to_string(static_cast<int>(std::log10(span))));
    // Under sanitizers the 2^24-input enumerations are left to the tiny models above (the same
    // code paths); the cubic and subcubic certificates are still proved and checked.
    uint64_t sound_count = e_total(model.weights);
    if (!kSanitized) {
      const EvalResult e = evaluate_exact(model.weights, EvalOptions{2, false});
      CHECK(e.strict_correct > e.total / 2);  // hard attention on the max still mostly works
      const long long bf = prove_and_check(model, "brute-force");
      CHECK(bf == static_cast<long long>(e.strict_correct - e.fragile_correct));
      const BruteForceCount sound = brute_force_certified_count(model.weights, 2);
      CHECK(sound.certified >= static_cast<uint64_t>(bf));
      CHECK(sound.certified <= e.argmax_correct);
      sound_count = sound.certified;
    }
    std::vector<std::string> strategies = subcubic;
    strategies.insert(strategies.begin(), "cubic");
    for (const std::string& strategy : strategies) {
      const long long n = prove_and_check(model, strategy);
      CHECK(n <= static_cast<long long>(sound_count));
    }
  }
}
