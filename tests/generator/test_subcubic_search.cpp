// The subcubic proof search and its 8 strategies, generator side only (the checker's verdict is
// tests/e2e/test_subcubic.cpp's business): certificate layout and the row constraints of SPEC 7.1,
// claims never above the exact accuracy, ground truth on the inputs of the certified classes, the
// EU options' inequality (Lemma S4), and thread-count independence.
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "checker/check.hpp"
#include "format/certificate.hpp"
#include "format/exact_numbers.hpp"
#include "generator/evaluate.hpp"
#include "generator/cubic_search.hpp"
#include "generator/path_tables.hpp"
#include "generator/strategy_registry.hpp"
#include "generator/subcubic_eu_bound.hpp"
#include "generator/subcubic_search.hpp"

using namespace mechcert;
using nlohmann::json;

namespace {

// Exact strict count of examples/max4-seed50 (README; `mechcert eval`, equal to the brute-force
// certificate's count).
constexpr uint64_t kSeed50StrictCorrect = 16761305;

const LoadedModel& seed50() {
  static const LoadedModel model =
      load_model(std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed50.safetensors");
  return model;
}

const std::vector<SubcubicEU> kEUs = {SubcubicEU::MaxDiffExact, SubcubicEU::GlobalMaxDiffExact,
                                      SubcubicEU::MeanQueryMaxDiff, SubcubicEU::MaxDiff,
                                      SubcubicEU::CenteredMaxExact};
const std::vector<SubcubicAttention> kAttentions = {SubcubicAttention::MeanQueryDiff,
                                                    SubcubicAttention::DropAverage};

std::string name_of(SubcubicEU eu, SubcubicAttention attention) {
  return "subcubic/" + subcubic_eu_name(eu) + "/" + subcubic_attention_name(attention) +
         "/exact_EQKE+max_diff_exact";
}

json prove(const LoadedModel& model, const std::string& strategy, int threads) {
  ProveOptions options;
  options.threads = threads;
  options.progress = false;
  return strategy_registry().at(strategy).prove(model, options);
}

uint64_t ipow(uint64_t base, int64_t e) {
  uint64_t r = 1;
  for (int64_t i = 0; i < e; ++i) r *= base;
  return r;
}

uint64_t binomial(int64_t n, int64_t r) {
  uint64_t b = 1;
  for (int64_t i = 1; i <= r; ++i) b = b * static_cast<uint64_t>(n - r + i) / static_cast<uint64_t>(i);
  return b;
}

// The max token's logit is strictly above every other (double path tables).
bool strictly_correct(const PathTables& t, const std::vector<int64_t>& input, int64_t m) {
  const Eigen::VectorXd logits = path_logits(t, input);
  for (Eigen::Index x = 0; x < logits.size(); ++x) {
    if (x != m && !(logits(x) < logits(m))) return false;
  }
  return true;
}

// Visits the inputs of Gap(m, q, c, g) (SPEC 7.1): per placement of the non-max slots all of
// them, or `limit` evenly spaced ones (the first and the last included) when there are more.
template <class Visit>
void class_inputs(int64_t k, int64_t m, int64_t q, int64_t c, int64_t g, uint64_t limit,
                  Visit visit) {
  const uint64_t values = (q == m && c == 0) ? 1 : static_cast<uint64_t>(m - g + 1);
  const uint64_t total = ipow(values, c);
  const uint64_t n = std::min(total, limit);
  for (unsigned mask = 0; mask < (1u << (k - 1)); ++mask) {
    if (std::popcount(mask) != c) continue;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t rest = n == total ? i : (n == 1 ? 0 : i * (total - 1) / (n - 1));
      std::vector<int64_t> input(static_cast<size_t>(k), m);
      input.back() = q;
      for (int64_t p = 0; p + 1 < k; ++p) {
        if (!(mask >> p & 1u)) continue;
        input[static_cast<size_t>(p)] = static_cast<int64_t>(rest % values);
        rest /= values;
      }
      visit(input);
    }
  }
}

// SPEC 7.2-7.5 written out directly (long double, no prefix tables, no search), for one max token
// m: an independent statement of what the checker will compute, up to its outward rounding.
using LD = long double;

class SpecBound {
 public:
  SpecBound(const PathTables& t, const SubcubicEUBound& eu, int64_t m) : t_(t), eu_(eu), m_(m) {
    for (int64_t x = 0; x < t.v_out; ++x) {
      LD pv = -kHuge;
      for (int64_t p = 0; p < t.k; ++p) pv = std::max(pv, LD(t.PVOU(p, x)) - t.PVOU(p, m));
      PV_.push_back(pv);
      if (x == m) continue;
      R_ = std::max(R_, LD(t.EVOU(m, x)) - t.EVOU(m, m));
      r_ = std::min(r_, LD(t.EVOU(m, x)) - t.EVOU(m, m));
    }
  }

  // SPEC 5.8 / 7.5: the all-m row.
  LD all_m() const {
    LD worst = -kHuge;
    for (int64_t x = 0; x < t_.v_out; ++x) {
      if (x == m_) continue;
      worst = std::max(worst, LD(t_.EU(m_, x)) - t_.EU(m_, m_) + LD(t_.EVOU(m_, x)) -
                                  t_.EVOU(m_, m_) + PV_[static_cast<size_t>(x)]);
    }
    return worst;
  }

  // max(h(a_lo), h(a_hi)) of S3 for row (q, g) of block (m, c) with reference attention avg.
  LD row(int64_t q, int64_t c, int64_t g, LD avg) const {
    const int64_t k = t_.k, j = k - 1 - c;
    auto u = [&](int64_t tok) {
      return std::exp((LD(t_.EQKE(q, tok)) - t_.EQKE.row(q).maxCoeff()) / t_.scale);
    };
    auto om = [&](int64_t p) {
      return std::exp((LD(t_.EQKP(q, p)) - t_.EQKP.row(q).maxCoeff()) / t_.scale);
    };
    std::vector<LD> w;
    for (int64_t p = 0; p + 1 < k; ++p) w.push_back(om(p));
    std::sort(w.begin(), w.end());
    auto small = [&](int64_t i) {
      LD s = 0;
      for (int64_t a = 0; a < i; ++a) s += w[static_cast<size_t>(a)];
      return s;
    };
    auto large = [&](int64_t i) {
      LD s = 0;
      for (int64_t a = 0; a < i; ++a) s += w[w.size() - 1 - static_cast<size_t>(a)];
      return s;
    };
    LD Umax = 0, Umin = kHuge, W = -kHuge;
    for (int64_t tok = 0; tok <= m_ - g; ++tok) {
      Umax = std::max(Umax, u(tok));
      Umin = std::min(Umin, u(tok));
      for (int64_t x = 0; x < t_.v_out && c > 0; ++x) {  // c = 0: no non-query non-max token
        if (x != m_) W = std::max(W, LD(t_.EVOU(tok, x)) - t_.EVOU(tok, m_));
      }
    }
    for (int64_t x = 0; x < t_.v_out && q < m_; ++x) {  // the query is its own token
      if (x != m_) W = std::max(W, LD(t_.EVOU(q, x)) - t_.EVOU(q, m_));
    }
    const LD query = q == m_ ? 0 : om(k - 1) * u(q);
    const LD own = q == m_ ? om(k - 1) : 0;  // the query slot holds m too
    const LD A_lo = u(m_) * (small(j) + own), A_hi = u(m_) * (large(j) + own);
    const LD B_hi = query + Umax * large(c), B_lo = query + Umin * small(c);
    const LD a_lo = A_lo / (A_lo + B_hi), a_hi = A_hi / (A_hi + B_lo);
    LD F = -kHuge;
    for (int64_t x = 0; x < t_.v_out; ++x) {
      if (x == m_) continue;
      const auto i = static_cast<size_t>(x);
      F = std::max(F, LD(eu_.Ebar[i]) - eu_.Ebar[static_cast<size_t>(m_)] + PV_[i] +
                          avg * (LD(t_.EVOU(m_, x)) - t_.EVOU(m_, m_)));
    }
    auto h = [&](LD a) {
      return F + std::max((a - avg) * R_, (a - avg) * r_) + (1 - a) * W + eu_.gap(q, m_);
    };
    return std::max(h(a_lo), h(a_hi));
  }

 private:
  static constexpr LD kHuge = 1e300L;
  const PathTables& t_;
  const SubcubicEUBound& eu_;
  int64_t m_;
  std::vector<LD> PV_;
  LD R_ = -kHuge, r_ = kHuge;
};

}  // namespace

TEST_CASE("subcubic: the 10 strategies are registered", "[subcubic]") {
  for (const auto eu : kEUs) {
    for (const auto attention : kAttentions) {
      const std::string name = name_of(eu, attention);
      CHECK(strategy_registry().count(name) == 1);
      CHECK(parse_subcubic_eu(subcubic_eu_name(eu)) == eu);
      CHECK(parse_subcubic_attention(subcubic_attention_name(attention)) == attention);
    }
  }
}

TEST_CASE("subcubic: certificates follow SPEC 7.1 and claim at most the exact count",
          "[subcubic]") {
  const LoadedModel& model = seed50();
  const int64_t v = model.weights.v, k = model.weights.k;
  const PathTables tables = compute_path_tables(model.weights);
  // The all-m rows use the cubic strategy's criterion (SPEC 5.8), so cubic's (m, m, 0) rows are
  // exactly the ones every subcubic certificate must list.
  std::set<int64_t> cubic_all_m;
  for (const CubicRow& row : cubic_search(tables).rows) {
    if (row.q == row.m && row.c == 0) cubic_all_m.insert(row.m);
  }
  REQUIRE(!cubic_all_m.empty());

  for (const auto eu : kEUs) {
    for (const auto attention : kAttentions) {
      const std::string name = name_of(eu, attention);
      INFO(name);
      const json cert = prove(model, name, 2);
      CHECK(cert["strategy"] == name);
      REQUIRE(cert["steps"].size() == 3);
      CHECK(cert["steps"][0] == json({{"kind", "path-tables"}}));
      CHECK(cert["steps"][1] == json({{"kind", "eu-bound"}, {"handling", subcubic_eu_name(eu)}}));
      CHECK(cert["steps"][2]["kind"] == "gap-classes");
      CHECK(cert["steps"][2]["attention"] == subcubic_attention_name(attention));
      CHECK(cert["steps"][2].size() == 3);

      uint64_t count = 0;
      int64_t prev_m = -1, prev_c = -1;
      std::set<int64_t> all_m;
      for (const json& block : cert["steps"][2]["blocks"]) {
        REQUIRE(block.size() == 4);
        const int64_t m = block[0], c = block[1];
        INFO("block m=" << m << " c=" << c);
        CHECK(0 <= m);
        CHECK(m < v);
        CHECK(0 <= c);
        CHECK(c <= k - 1);
        CHECK((m > prev_m || (m == prev_m && c > prev_c)));
        prev_m = m;
        prev_c = c;
        const double avg = parse_hex_double(block[2].get<std::string>(), JsonPath{"test", "avg"});
        CHECK(std::isfinite(avg));
        CHECK(avg >= 0.0);
        CHECK(avg <= 1.0);
        if (attention == SubcubicAttention::DropAverage) CHECK(avg == 0.0);
        REQUIRE(!block[3].empty());
        int64_t prev_q = -1;
        for (const json& row : block[3]) {
          const int64_t q = row[0], g = row[1];
          INFO("row q=" << q << " g=" << g);
          CHECK(q > prev_q);
          prev_q = q;
          CHECK(q <= m);
          if (q < m) CHECK(c <= k - 2);
          if (q == m && c == 0) {
            CHECK(g == 1);
            all_m.insert(m);
            count += 1;
          } else {
            CHECK(g >= 1);
            CHECK(g <= m);
            if (c == 0) CHECK(g == 1);
            if (c >= 1) CHECK(g <= m);
            count += binomial(k - 1, c) * ipow(static_cast<uint64_t>(m - g + 1), c);
          }
        }
      }
      CHECK(all_m == cubic_all_m);
      CHECK(cert["claim"]["correct"] == std::to_string(count));
      CHECK(cert["claim"]["total"] == std::to_string(ipow(static_cast<uint64_t>(v), k)));
      CHECK(count > 0);
      CHECK(count <= kSeed50StrictCorrect);
    }
  }
}

TEST_CASE("subcubic: rows certify by SPEC 7 directly, with the smallest gap", "[subcubic]") {
  const LoadedModel& model = seed50();
  const PathTables t = compute_path_tables(model.weights);
  // The search's own threshold (subcubic_search.hpp) and a tolerance far below it.
  const double scale = 2 * (t.EU.cwiseAbs().maxCoeff() + t.EVOU.cwiseAbs().maxCoeff() +
                            2 * t.PVOU.cwiseAbs().maxCoeff());
  const LD threshold = -1e-9 * scale, tolerance = 1e-13 * scale;
  for (const auto eu : kEUs) {
    for (const auto attention : kAttentions) {
      INFO(name_of(eu, attention));
      SubcubicSearchOptions options;
      options.eu = eu;
      options.attention = attention;
      const SubcubicSearchResult result = subcubic_search(t, model.weights, options);
      const SubcubicEUBound eu_bound = subcubic_eu_bound(eu, t, model.weights);
      int64_t listed = 0, minimal = 0;
      for (const SubcubicBlock& block : result.blocks) {
        const SpecBound spec(t, eu_bound, block.m);
        for (const SubcubicRow& row : block.rows) {
          INFO("m=" << block.m << " q=" << row.q << " c=" << block.c << " g=" << row.g);
          ++listed;
          if (row.q == block.m && block.c == 0) {
            CHECK(spec.all_m() < threshold + tolerance);
            continue;
          }
          CHECK(spec.row(row.q, block.c, row.g, block.avg) < threshold + tolerance);
          if (block.c == 0) {
            CHECK(row.g == 1);  // one input; SPEC 7.1 fixes its gap
          } else if (row.g > 1) {
            CHECK(spec.row(row.q, block.c, row.g - 1, block.avg) >= threshold - tolerance);
            ++minimal;
          }
        }
      }
      CHECK(listed == static_cast<int64_t>(result.rows));
      if (eu != SubcubicEU::MaxDiff) CHECK(minimal > 100);
    }
  }
}

TEST_CASE("subcubic: the inputs of certified classes are correct (ground truth)", "[subcubic]") {
  const LoadedModel& model = seed50();
  const PathTables tables = compute_path_tables(model.weights);
  // The two best EU options and the cheapest: every input with max < 16, a spread sample above.
  for (const auto eu : {SubcubicEU::MaxDiffExact, SubcubicEU::MeanQueryMaxDiff}) {
    for (const auto attention : kAttentions) {
      SubcubicSearchOptions options;
      options.eu = eu;
      options.attention = attention;
      const SubcubicSearchResult result = subcubic_search(tables, model.weights, options);
      INFO(name_of(eu, attention));
      uint64_t visited = 0, wrong = 0;
      for (const SubcubicBlock& block : result.blocks) {
        for (const SubcubicRow& row : block.rows) {
          const uint64_t limit = block.m < 16 ? ~uint64_t{0} : 8;
          class_inputs(model.weights.k, block.m, row.q, block.c, row.g, limit,
                       [&](const std::vector<int64_t>& input) {
                         ++visited;
                         if (!strictly_correct(tables, input, block.m)) ++wrong;
                       });
        }
      }
      CHECK(visited > 1000);
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("subcubic: EU options satisfy Lemma S4", "[subcubic]") {
  const LoadedModel& model = seed50();
  const PathTables t = compute_path_tables(model.weights);
  const double tolerance = 1e-9 * t.EU.cwiseAbs().maxCoeff();
  for (const auto eu : kEUs) {
    INFO(subcubic_eu_name(eu));
    const SubcubicEUBound b = subcubic_eu_bound(eu, t, model.weights);
    REQUIRE(static_cast<int64_t>(b.Ebar.size()) == t.v_out);
    REQUIRE(static_cast<int64_t>(b.G.size()) == t.v);
    if (eu != SubcubicEU::MeanQueryMaxDiff) {
      for (const double e : b.Ebar) CHECK(e == 0.0);
    }
    double worst = -1e300;
    for (int64_t q = 0; q < t.v; ++q) {
      for (int64_t x = 0; x < t.v_out; ++x) {
        for (int64_t m = 0; m < t.v_out; ++m) {
          const double lhs = t.EU(q, x) - t.EU(q, m);
          if (x == m) continue;
          const double rhs = b.Ebar[static_cast<size_t>(x)] - b.Ebar[static_cast<size_t>(m)] +
                             b.gap(q, m);
          worst = std::max(worst, lhs - rhs);
        }
      }
    }
    CHECK(worst <= tolerance);
  }
  // The exact options are the tighter ones: the row range is at most the global range and at most
  // the factored bounds (which bound the same row differences).
  const SubcubicEUBound exact = subcubic_eu_bound(SubcubicEU::MaxDiffExact, t, model.weights);
  const SubcubicEUBound global = subcubic_eu_bound(SubcubicEU::GlobalMaxDiffExact, t, model.weights);
  const SubcubicEUBound factored = subcubic_eu_bound(SubcubicEU::MaxDiff, t, model.weights);
  for (int64_t q = 0; q < t.v; ++q) {
    const auto i = static_cast<size_t>(q);
    CHECK(exact.G[i] <= global.G[i]);
    CHECK(exact.G[i] <= factored.G[i] + tolerance);
  }
  // centered_max_exact is at most the row range for every (q, m).
  const SubcubicEUBound centered = subcubic_eu_bound(SubcubicEU::CenteredMaxExact, t, model.weights);
  for (int64_t q = 0; q < t.v; ++q)
    for (int64_t m = 0; m < t.v_out; ++m) CHECK(centered.gap(q, m) <= exact.G[static_cast<size_t>(q)]);
}

TEST_CASE("subcubic: certificates do not depend on the thread count", "[subcubic]") {
  const LoadedModel& model = seed50();
  for (const auto eu : {SubcubicEU::MaxDiffExact, SubcubicEU::MeanQueryMaxDiff}) {
    for (const auto attention : kAttentions) {
      const std::string name = name_of(eu, attention);
      INFO(name);
      CHECK(prove(model, name, 1).dump() == prove(model, name, 2).dump());
      CHECK(prove(model, name, 1).dump() == prove(model, name, 3).dump());
    }
  }
}

TEST_CASE("subcubic: models with non-zero biases are proved on the folded model (SPEC 3.6)", "[subcubic]") {
  LoadedModel model = seed50();
  model.weights.b_U[3] = 0.25;
  model.weights.b_Q[0] = 0.5;
  model.weights.b_V[1] = -0.125;
  const std::string name = name_of(SubcubicEU::MaxDiffExact, SubcubicAttention::MeanQueryDiff);
  const json cert = prove(model, name, 1);
  REQUIRE(cert["model"]["d_model"] == model.weights.d);  // the file's dimensions, not the fold's
  const CheckResult r = check_certificate(model, parse_certificate(cert.dump(), "c.json", ""), 1);
  REQUIRE(r.valid);
  EvalOptions eo;
  eo.progress = false;
  REQUIRE(r.certified <= BigInt(evaluate_exact(model.weights, eo).strict_correct));
  REQUIRE(r.certified > 0);
}
