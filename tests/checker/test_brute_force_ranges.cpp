// Brute force over an input range (SPEC 4.6): a one-input range [i, i+1) certifies exactly the
// input of index i in the query-major order (compared with an independent naive forward pass);
// any partition of the input space into ranges certifies the same total as the whole space, with
// the per-input op counts adding up; the whole range is the unranged check; bad ranges are refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "checker/brute_force.hpp"
#include "checker/check.hpp"
#include "format/certificate.hpp"
#include "tests/support/model_fixture.hpp"
#include "tests/support/naive_forward.hpp"

using namespace mechcert;

namespace {

uint64_t power(int64_t v, int64_t k) {
  uint64_t r = 1;
  for (int64_t i = 0; i < k; ++i) r *= static_cast<uint64_t>(v);
  return r;
}

// The input of query-major index i: t_{k-1} = i / v^(k-1), then t_0..t_{k-2} as base-v digits.
std::vector<int64_t> input_of(uint64_t i, int64_t v, int64_t k) {
  std::vector<int64_t> t(static_cast<size_t>(k));
  const uint64_t per_query = power(v, k - 1);
  t[static_cast<size_t>(k - 1)] = static_cast<int64_t>(i / per_query);
  uint64_t prefix = i % per_query;
  for (int64_t p = k - 2; p >= 0; --p) {
    t[static_cast<size_t>(p)] = static_cast<int64_t>(prefix % static_cast<uint64_t>(v));
    prefix /= static_cast<uint64_t>(v);
  }
  return t;
}

// +1 correct by a clear margin, -1 wrong or tied by a clear margin, 0 too close to call in double.
int naive_verdict(const ModelWeights& w, const std::vector<int64_t>& t) {
  const std::vector<double> logits = test::naive_last_logits(w, t);
  const int64_t m = *std::max_element(t.begin(), t.end());
  double runner_up = -INFINITY;
  for (int64_t x = 0; x < w.v_out; ++x)
    if (x != m) runner_up = std::max(runner_up, logits[static_cast<size_t>(x)]);
  const double margin = logits[static_cast<size_t>(m)] - runner_up;
  if (std::fabs(margin) < 1e-9) return 0;
  return margin > 0 ? 1 : -1;
}

}  // namespace

TEST_CASE("a one-input range certifies exactly that input of the query-major order") {
  uint64_t seed = 7;
  for (int64_t k = 1; k <= 4; ++k)
    for (int64_t v : {2, 3, 4}) {
      const ModelWeights w = test::make_fixture_model(k, v, 4, 3, seed++);
      const uint64_t total = power(v, k);
      uint64_t right = 0, decided = 0;
      for (uint64_t i = 0; i < total; ++i) {
        const int expected = naive_verdict(w, input_of(i, v, k));
        const BruteForceCount c = brute_force_certified_count(w, 1, SimdPath::automatic, {i, i + 1});
        REQUIRE(c.range.begin == i);
        REQUIRE(c.certified <= 1);
        if (expected == 0) continue;
        INFO("k=" << k << " v=" << v << " index " << i);
        REQUIRE(c.certified == (expected > 0 ? 1u : 0u));
        right += c.certified;
        ++decided;
      }
      REQUIRE(decided > total / 2);
      (void)right;
    }
}

TEST_CASE("any partition into ranges certifies the whole space's count") {
  std::mt19937_64 rng(2026);
  uint64_t seed = 31;
  for (int64_t k = 2; k <= 4; ++k)
    for (int64_t v : {3, 5, 7}) {
      const ModelWeights w = test::make_fixture_model(k, v, 5, 4, seed++);
      const uint64_t total = power(v, k);
      const BruteForceCount whole = brute_force_certified_count(w, 2);
      const BruteForceCount same = brute_force_certified_count(w, 1, SimdPath::scalar, {0, total});
      REQUIRE(same.certified == whole.certified);
      REQUIRE(same.ops.total() == whole.ops.total());
      REQUIRE(same.paper_flops == whole.paper_flops);
      for (int trial = 0; trial < 6; ++trial) {
        // Random cut points (duplicates dropped), including cuts inside a query's inputs.
        std::set<uint64_t> cuts{0, total};
        const int n = 1 + static_cast<int>(rng() % 6);
        for (int i = 0; i < n; ++i) cuts.insert(rng() % total);
        const std::vector<uint64_t> c(cuts.begin(), cuts.end());
        uint64_t sum = 0, paper = 0, int_ops = 0;
        for (size_t i = 0; i + 1 < c.size(); ++i) {
          const BruteForceCount part =
              brute_force_certified_count(w, 1 + static_cast<int>(i % 3), SimdPath::automatic, {c[i], c[i + 1]});
          sum += part.certified;
          paper += part.paper_flops;
          int_ops += part.ops.int_op;
        }
        INFO("k=" << k << " v=" << v << " parts " << c.size() - 1);
        REQUIRE(sum == whole.certified);
        REQUIRE(paper == whole.paper_flops);  // paper FLOPs scale with the part's share
        REQUIRE(int_ops == whole.ops.int_op);  // 2 per input
      }
    }
}

TEST_CASE("empty or out-of-space ranges are refused") {
  const ModelWeights w = test::make_fixture_model(3, 4, 4, 3, 5);
  REQUIRE_THROWS(brute_force_certified_count(w, 1, SimdPath::automatic, {5, 5}));
  REQUIRE_THROWS(brute_force_certified_count(w, 1, SimdPath::automatic, {0, 65}));
  REQUIRE_THROWS(brute_force_certified_count(w, 1, SimdPath::automatic, {10, 3}));
}

TEST_CASE("a brute-force step's inputs field is parsed strictly") {
  auto cert_with = [](const nlohmann::json& inputs) {
    nlohmann::json j = {{"format", "mechcert-certificate"}, {"version", 1},
                        {"task", {{"name", "max-of-k"}, {"vocab", 4}, {"k", 3}}},
                        {"model", {{"sha256", std::string(64, 'a')}, {"d_model", 4}, {"d_head", 3}, {"d_vocab_out", 4}}},
                        {"strategy", "brute-force"},
                        {"steps", {{{"kind", "brute-force"}, {"inputs", inputs}}}},
                        {"claim", {{"correct", "0"}, {"total", "64"}}}};
    return parse_certificate(j.dump(), "part.json", "");
  };
  const Certificate ok = cert_with({{"begin", "16"}, {"end", "40"}});
  const InputRange r = brute_force_step_range(ok, 64);
  REQUIRE(r.begin == 16);
  REQUIRE(r.end == 40);
  for (const nlohmann::json& bad :
       {nlohmann::json{{"begin", "16"}, {"end", "65"}}, nlohmann::json{{"begin", "16"}, {"end", "16"}},
        nlohmann::json{{"begin", "016"}, {"end", "20"}}, nlohmann::json{{"begin", 16}, {"end", "20"}},
        nlohmann::json{{"begin", "1"}, {"end", "2"}, {"step", "1"}}}) {
    INFO(bad.dump());
    REQUIRE_THROWS_AS(brute_force_step_range(cert_with(bad), 64), FormatError);
  }
}
