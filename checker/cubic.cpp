#include "checker/cubic.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "checker/fp_environment.hpp"
#include "checker/interval.hpp"
#include "checker/order_statistics.hpp"
#include "checker/parallel.hpp"

namespace mechcert {
namespace {

// Product of two non-negative intervals (lo >= 0), rounded outward.
inline Interval mul_pos(Interval a, Interval b) {
  return {mul_down(a.lo, b.lo), mul_up(a.hi, b.hi)};
}

std::string hex(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", x);
  return buf;
}

// Upper bound of exact(a) - exact(b) from enclosures.
inline double diff_up(Interval a, Interval b) { return sub_up(a.hi, b.lo); }

// SPEC 5.9: rows [begin, end) (whole max tokens), streamed by max token. Needs FE_UPWARD (the
// calling thread holds the guard).
__attribute__((noinline)) void verify_rows(const CubicTables& t,
                                           const std::vector<QueryPositions>& pos,
                                           const std::vector<CubicCase>& cases, size_t begin,
                                           size_t end, const std::string& where) {
  const int64_t v = t.v, k = t.k;
  std::vector<double> PV(static_cast<size_t>(v)), Y(static_cast<size_t>(v));
  auto fail = [&](size_t i, const std::string& what, double bound) {
    const CubicCase& cc = cases[i];
    throw CertificateRejected(where + "[" + std::to_string(i) + "] (m=" + std::to_string(cc.m) +
                              ", q=" + std::to_string(cc.q) + ", c=" + std::to_string(cc.c) +
                              "): " + what + " not certified (upper bound " + hex(bound) +
                              " >= 0)");
  };
  size_t i = begin;
  while (i < end) {
    const int64_t m = cases[i].m;
    // Lemma C2: PV[x] = max_p PVc[p,x] and Y[t] = max_{x != m} (EVc[t,x] + PV[x]), upper bounds.
    for (int64_t x = 0; x < v; ++x) {
      double best = diff_up(t.PVOU.at(0, x), t.PVOU.at(0, m));
      for (int64_t p = 1; p < k; ++p)
        best = std::max(best, diff_up(t.PVOU.at(p, x), t.PVOU.at(p, m)));
      PV[static_cast<size_t>(x)] = best;
    }
    for (int64_t tok = 0; tok <= m; ++tok) {
      double best = -HUGE_VAL;
      for (int64_t x = 0; x < v; ++x) {
        if (x == m) continue;
        best = std::max(best, add_up(diff_up(t.EVOU.at(tok, x), t.EVOU.at(tok, m)),
                                     PV[static_cast<size_t>(x)]));
      }
      Y[static_cast<size_t>(tok)] = best;
    }
    int64_t q = -1;
    double E = 0;  // Lemma C2: upper bound of E_q = max_{x != m} EUc[q,x]
    for (; i < end && cases[i].m == m; ++i) {
      const CubicCase& cc = cases[i];
      if (cc.q != q) {
        q = cc.q;
        E = -HUGE_VAL;
        for (int64_t x = 0; x < v; ++x)
          if (x != m) E = std::max(E, diff_up(t.EU.at(q, x), t.EU.at(q, m)));
      }
      const QueryPositions& qp = pos[static_cast<size_t>(q)];
      const Interval u_q = t.u.at(q, q), u_m = t.u.at(q, m);
      const Interval W_query = mul_pos(qp.omega_query, u_q);  // weight of the query slot
      if (cc.c == 0 && q == m) {
        // SPEC 5.8: the input (m, ..., m).
        for (int64_t x = 0; x < v; ++x) {
          if (x == m) continue;
          const double L = add_up(add_up(diff_up(t.EU.at(m, x), t.EU.at(m, m)),
                                         diff_up(t.EVOU.at(m, x), t.EVOU.at(m, m))),
                                  PV[static_cast<size_t>(x)]);
          if (!(L < 0)) fail(i, "logit x=" + std::to_string(x), L);
        }
      } else if (cc.c == 0) {
        // SPEC 5.8: the input (m, ..., m, q); Z·(EUc + PV) + W_M·EVc[m] + W_Q·EVc[q] < 0.
        const Interval W_max = mul_pos(u_m, qp.large(k - 1));
        const Interval Z = add(W_max, W_query);
        for (int64_t x = 0; x < v; ++x) {
          if (x == m) continue;
          const double a =
              add_up(diff_up(t.EU.at(q, x), t.EU.at(q, m)), PV[static_cast<size_t>(x)]);
          const double b = diff_up(t.EVOU.at(m, x), t.EVOU.at(m, m));
          const double e = diff_up(t.EVOU.at(q, x), t.EVOU.at(q, m));
          const double L = add_up(add_up(mul_nonneg_upper(Z, a), mul_nonneg_upper(W_max, b)),
                                  mul_nonneg_upper(W_query, e));
          if (!(L < 0)) fail(i, "logit x=" + std::to_string(x), L);
        }
      } else {
        // Lemmas C3-C5: both extreme placements, each certified value n.
        const int64_t j = k - 1 - cc.c;
        const double y_q = add_up(E, Y[static_cast<size_t>(q)]);
        const double y_m = add_up(E, Y[static_cast<size_t>(m)]);
        const Interval nonmax[2] = {qp.large(cc.c), qp.small(cc.c)};
        const double fixed[2] = {add_up(mul_nonneg_upper(W_query, y_q),
                                        mul_nonneg_upper(mul_pos(u_m, qp.small(j)), y_m)),
                                 add_up(mul_nonneg_upper(W_query, y_q),
                                        mul_nonneg_upper(mul_pos(u_m, qp.large(j)), y_m))};
        for (int64_t n = 0; n < m; ++n) {
          if (!cc.contains(n)) continue;
          const double y_n = add_up(E, Y[static_cast<size_t>(n)]);
          const Interval u_n = t.u.at(q, n);
          for (int r = 0; r < 2; ++r) {
            const double F = add_up(fixed[r], mul_nonneg_upper(mul_pos(u_n, nonmax[r]), y_n));
            if (!(F < 0)) fail(i, "value n=" + std::to_string(n), F);
          }
        }
      }
    }
  }
}

// Proof length of verify_rows, by formula from the shapes and the case list (SPEC 5.12).
void count_row_ops(const CubicTables& t, const std::vector<CubicCase>& cases, OpCounts& ops) {
  const auto v = static_cast<uint64_t>(t.v), k = static_cast<uint64_t>(t.k);
  ops.interval_add += v * 4 * (k - 1);       // order-statistic prefix sums
  ops.compare += v * 2 * (k - 1) * (k - 1);  // sorting lo and hi (charged (k-1)^2 each)
  int64_t m_prev = -1, q_prev = -1;
  for (const CubicCase& cc : cases) {
    const auto m = static_cast<uint64_t>(cc.m);
    if (cc.m != m_prev) {
      ops.interval_add += k * v + (m + 1) * (v - 1) * 2;
      ops.compare += k * v + (m + 1) * (v - 1);
      m_prev = cc.m;
      q_prev = -1;
    }
    if (cc.q != q_prev) {
      ops.interval_add += v - 1;
      ops.compare += v - 1;
      q_prev = cc.q;
    }
    ops.interval_mul += 2;  // W_query
    if (cc.c == 0 && cc.q == cc.m) {
      ops.interval_add += (v - 1) * 3;
      ops.compare += v - 1;
    } else if (cc.c == 0) {
      ops.interval_mul += 2;
      ops.interval_add += 2 + (v - 1) * 6;
      ops.interval_mul += (v - 1) * 3;
      ops.compare += v - 1;
    } else {
      const auto s = static_cast<uint64_t>(cc.size);
      ops.interval_add += 4 + s * 3;
      ops.interval_mul += 8 + s * 6;
      ops.compare += s * 2;
    }
  }
}

}  // namespace

CubicTables cubic_tables(const ModelWeights& w, OpCounts& ops, uint64_t& paper_flops, int threads) {
  return attention_tables(w, EqkeOption::Exact, EqkeHints{}, ops, paper_flops, threads);
}

int cubic_threads(const ModelWeights& w, const std::vector<CubicCase>& cases, int threads) {
  // The v·v exps and the rows, each about the same work: threads only where they repay starting.
  return static_cast<int>(parts_for(threads, static_cast<uint64_t>(w.v * w.v) + cases.size(), kMinWorkPerThread));
}

CubicVerdict check_cubic(const ModelWeights& w, const std::vector<CubicCase>& cases,
                         const std::string& where, int threads) {
  CubicVerdict verdict;
  const CubicTables t = cubic_tables(w, verdict.ops, verdict.paper_flops, threads);
  std::vector<QueryPositions> pos;
  {
    UpwardRounding guard;
    pos = query_positions(t.omega);
  }
  // Rows split into `threads` runs of whole max tokens; each thread sets its own rounding mode.
  // A failure is reported for the smallest failing row index whatever the split: each run stops
  // at its first failure and the runs are in row order.
  const size_t parts = static_cast<size_t>(std::max(1, threads));
  std::vector<size_t> bounds{0};
  for (size_t p = 1; p < parts; ++p) {
    size_t b = std::max(bounds.back(), cases.size() * p / parts);
    while (b > 0 && b < cases.size() && cases[b].m == cases[b - 1].m) ++b;
    bounds.push_back(b);
  }
  bounds.push_back(cases.size());
  run_parts(static_cast<int64_t>(parts), [&](int64_t part) {
    UpwardRounding guard;
    verify_rows(t, pos, cases, bounds[static_cast<size_t>(part)],
                bounds[static_cast<size_t>(part) + 1], where);
  });
  OpCounts rows;
  count_row_ops(t, cases, rows);
  verdict.ops += rows;
  verdict.paper_flops += rows.interval_add + rows.interval_mul + rows.compare;
  verdict.count = cubic_count(cases, w.v, w.k);
  verdict.ops.int_op += 2 * cases.size() * static_cast<uint64_t>(w.k);  // counting (big integers)
  return verdict;
}

CubicSteps read_cubic_steps(const Certificate& cert, const ModelWeights& w) {
  {
    FieldReader r(cert.steps[0], cert.step_path(0));
    r.expect_string("kind", "path-tables");
    r.finish();
  }
  FieldReader r(cert.steps[1], cert.step_path(1));
  r.expect_string("kind", "cubic-classes");
  const nlohmann::json& rows = r.array("cases", 0, kMaxCubicRows);
  r.finish();
  const JsonPath where = r.field("cases");
  CubicSteps out;
  out.cases = parse_cubic_cases(rows, w.v, w.k, where);
  out.where = where.file.empty() ? where.path : where.file + ": " + where.path;
  return out;
}

StrategyOutcome check_cubic_strategy(const StrategyInput& input) {
  const Certificate& cert = input.cert;
  const ModelWeights& w = input.model.weights;
  expect_step_kinds(cert, {"path-tables", "cubic-classes"});
  const CubicSteps steps = read_cubic_steps(cert, w);
  CubicVerdict verdict = check_cubic(w, steps.cases, steps.where, cubic_threads(w, steps.cases, input.threads));
  StrategyOutcome out;
  out.certified = std::move(verdict.count);
  out.ops = verdict.ops;
  out.paper_flops = verdict.paper_flops;
  return out;
}

}  // namespace mechcert
