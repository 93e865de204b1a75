// The generator's cubic search (unnormalised sign form with prefix sums, SPEC 5.4-5.5) against a
// literal transcription of the reference algorithm (reference-algorithms.md §5.2-5.4: normalised
// softmax of the two sorted placements, res = E + max_r(a_max·EPV[m] + a_qry·EPV[q] +
// a_nmx·EPV[n])), both in double: they must make the same decision for every (m, q, c, n) except
// where the reference's value is within rounding noise of 0. Also records the certified counts.
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

#include <catch2/catch.hpp>

#include "generator/cubic_search.hpp"
#include "tests/adversarial/planted_models.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;

namespace {

struct Decision {
  int64_t m, q, c, n;  // n = m for c == 0
  double res;          // the reference's largest wrong-logit difference
};

std::vector<Decision> reference_cubic(const PathTables& t) {
  const int64_t v = t.v, k = t.k;
  const double NaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<Decision> out;
  for (int64_t m = 0; m < v; ++m) {
    std::vector<double> PV(static_cast<size_t>(v), -INFINITY),
        EPV(static_cast<size_t>(v), -INFINITY);
    for (int64_t x = 0; x < v; ++x)
      for (int64_t p = 0; p < k; ++p) PV[x] = std::max(PV[x], t.PVOU(p, x) - t.PVOU(p, m));
    for (int64_t tok = 0; tok < v; ++tok)
      for (int64_t x = 0; x < v; ++x)
        if (x != m) EPV[tok] = std::max(EPV[tok], t.EVOU(tok, x) - t.EVOU(tok, m) + PV[x]);
    for (int64_t q = 0; q <= m; ++q) {
      std::vector<double> ps(static_cast<size_t>(k - 1));
      for (int64_t p = 0; p + 1 < k; ++p) ps[p] = t.EQKP(q, p);
      std::sort(ps.begin(), ps.end());
      const double sq = t.EQKE(q, q) + t.EQKP(q, k - 1);
      double EUpess = -INFINITY;
      for (int64_t x = 0; x < v; ++x)
        if (x != m) EUpess = std::max(EUpess, t.EU(q, x) - t.EU(q, m));
      auto softmax = [&](std::vector<double> row) {
        double mx = -INFINITY, sum = 0;
        for (double& r : row) r /= t.scale, mx = std::max(mx, r);
        for (double& r : row) r = std::exp(r - mx), sum += r;
        for (double& r : row) r /= sum;
        return row;
      };
      // c = 0
      if (q == m) {
        double L = -INFINITY;
        for (int64_t x = 0; x < v; ++x)
          if (x != m)
            L = std::max(L, t.EU(m, x) - t.EU(m, m) + t.EVOU(m, x) - t.EVOU(m, m) + PV[x]);
        out.push_back({m, q, 0, m, L});
      } else {
        std::vector<double> row(static_cast<size_t>(k));
        for (int64_t p = 0; p + 1 < k; ++p) row[p] = ps[p] + t.EQKE(q, m);
        row[k - 1] = sq;
        const auto w = softmax(row);
        double a_max = 0;
        for (int64_t p = 0; p + 1 < k; ++p) a_max += w[p];
        double L = -INFINITY;
        for (int64_t x = 0; x < v; ++x)
          if (x != m)
            L = std::max(L, t.EU(q, x) - t.EU(q, m) + PV[x] +
                                a_max * (t.EVOU(m, x) - t.EVOU(m, m)) +
                                w[k - 1] * (t.EVOU(q, x) - t.EVOU(q, m)));
        out.push_back({m, q, 0, m, L});
      }
      for (int64_t n = 0; n < m; ++n)
        for (int64_t c = 1; c <= (q == m ? k - 1 : k - 2); ++c) {
          const int64_t nmax = k - 1 - c;
          double best = NaN;
          for (int r = 0; r < 2; ++r) {
            std::vector<double> row(static_cast<size_t>(k));
            for (int64_t p = 0; p + 1 < k; ++p) row[p] = r == 0 ? ps[p] : ps[k - 2 - p];
            for (int64_t p = 0; p + 1 < k; ++p) row[p] += p < nmax ? t.EQKE(q, m) : t.EQKE(q, n);
            row[k - 1] = sq;
            const auto w = softmax(row);
            double a_max = q == m ? w[k - 1] : 0, a_nmx = 0;
            const double a_qry = q == m ? 0 : w[k - 1];
            for (int64_t p = 0; p + 1 < k; ++p) (p < nmax ? a_max : a_nmx) += w[p];
            const double val = a_max * EPV[m] + a_qry * EPV[q] + a_nmx * EPV[n];
            best = r == 0 ? val : std::max(best, val);
          }
          out.push_back({m, q, c, n, EUpess + best});
        }
    }
  }
  return out;
}

void compare(const ModelWeights& w, const std::string& name) {
  INFO(name);
  const PathTables t = compute_path_tables(w);
  CubicSearchOptions options;
  options.margin = 0;
  options.threads = 2;
  const CubicSearchResult ours = cubic_search(t, options);
  std::set<std::tuple<int64_t, int64_t, int64_t, int64_t>> certified;
  for (const CubicRow& row : ours.rows) {
    if (row.c == 0) {
      certified.insert({row.m, row.q, 0, row.m});
      continue;
    }
    for (int64_t n = 0; n < row.m; ++n) {
      const char ch = row.mask[row.mask.size() - 1 - static_cast<size_t>(n / 4)];
      const int digit = ch <= '9' ? ch - '0' : ch - 'a' + 10;
      if ((digit >> (n % 4)) & 1) certified.insert({row.m, row.q, row.c, n});
    }
  }
  const double noise = 1e-9 * (t.EU.cwiseAbs().maxCoeff() + t.EVOU.cwiseAbs().maxCoeff() +
                               t.PVOU.cwiseAbs().maxCoeff());
  size_t agree = 0, near_zero = 0;
  for (const Decision& d : reference_cubic(t)) {
    const bool ref = d.res < 0;
    const bool mine = certified.count({d.m, d.q, d.c, d.n}) > 0;
    if (ref == mine) {
      ++agree;
    } else {
      INFO("m=" << d.m << " q=" << d.q << " c=" << d.c << " n=" << d.n << " res=" << d.res);
      CHECK(std::abs(d.res) < noise);
      ++near_zero;
    }
  }
  CHECK(agree > 0);
  CHECK(near_zero <= 2);
}

}  // namespace

TEST_CASE("cubic search = the reference algorithm, decision by decision", "[cubic]") {
  for (uint64_t seed : {1, 2, 3, 4})
    compare(test::make_fixture_model(4, 8, 6, 5, seed), "fixture " + std::to_string(seed));
  compare(adversarial::max_model(-0x1p-20, true, 4, 8).weights, "max-model");
  for (int seed : {50, 104, 123})
    compare(load_model(std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed" +
                       std::to_string(seed) + ".safetensors")
                .weights,
            "example seed " + std::to_string(seed));
}
