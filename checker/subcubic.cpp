#include "checker/subcubic.hpp"

#include <algorithm>
#include <cmath>

#include "checker/cubic.hpp"
#include "checker/eu_bound.hpp"
#include "checker/fp_environment.hpp"
#include "checker/gap_classes.hpp"
#include "checker/interval.hpp"
#include "checker/order_statistics.hpp"
#include "format/exact_numbers.hpp"

namespace mechcert {
namespace {

constexpr const char* kEqkeOption = "exact_EQKE+max_diff_exact";
constexpr const char* kMeanAttention = "mean_query+diff";
constexpr const char* kDropAttention = "drop_average_query_per_output_logit_reasoning";
const std::vector<std::string> kEuOptions = {"max_diff_exact", "global_max_diff_exact",
                                             "mean_query+max_diff", "max_diff",
                                             "centered_max_exact"};

// Upper bound of exact(a) - exact(b) from enclosures.
inline double diff_up(Interval a, Interval b) { return sub_up(a.hi, b.lo); }
inline double diff_down(Interval a, Interval b) { return sub_down(a.lo, b.hi); }

// Per query row q of u: prefix maxima of the upper ends and prefix minima of the lower ends, so
// that Umax / Umin of S1 over t <= m - g cost O(1). Comparisons only (no rounding).
struct PrefixExtremes {
  int64_t v = 0;
  std::vector<double> max_hi, min_lo;  // [q * v + j]: over t <= j
  explicit PrefixExtremes(const IntervalMatrix& u) : v(u.rows), max_hi(u.hi.size()), min_lo(u.lo.size()) {
    for (int64_t q = 0; q < u.rows; ++q)
      for (int64_t t = 0; t < u.cols; ++t) {
        const auto i = static_cast<size_t>(q * u.cols + t);
        max_hi[i] = t == 0 ? u.hi[i] : std::max(max_hi[i - 1], u.hi[i]);
        min_lo[i] = t == 0 ? u.lo[i] : std::min(min_lo[i - 1], u.lo[i]);
      }
  }
};

// Per row t of EVOU: the largest and second-largest upper ends and where the largest is, so that
// max_{x != m} hi(EVOU[t,x]) costs O(1) per (t, m).
struct RowTop2 {
  std::vector<double> first, second;
  std::vector<int64_t> where;
  explicit RowTop2(const IntervalMatrix& a)
      : first(static_cast<size_t>(a.rows), -HUGE_VAL), second(first), where(first.size(), -1) {
    for (int64_t t = 0; t < a.rows; ++t) {
      const auto T = static_cast<size_t>(t);
      for (int64_t x = 0; x < a.cols; ++x) {
        const double h = a.at(t, x).hi;
        if (h > first[T]) {
          second[T] = first[T];
          first[T] = h;
          where[T] = x;
        } else if (h > second[T]) {
          second[T] = h;
        }
      }
    }
  }
  double max_except(int64_t t, int64_t m) const {
    const auto T = static_cast<size_t>(t);
    return where[T] == m ? second[T] : first[T];
  }
};

struct RowFailure {
  size_t row = 0;
  double bound = 0;
  std::string what;
};

// SPEC 7.7, steps 3-5, for every block. Needs FE_UPWARD. Returns false and fills `failure` at the
// first row (in list order) that is not certified.
__attribute__((noinline)) bool verify_blocks(const CubicTables& t,
                                             const std::vector<QueryPositions>& pos,
                                             const EuBound& eu, const GapClasses& gc,
                                             RowFailure& failure) {
  const int64_t v = t.v, k = t.k;
  const PrefixExtremes ux(t.u);
  const RowTop2 top2(t.EVOU);
  std::vector<double> PV(static_cast<size_t>(v)), B(static_cast<size_t>(v)),
      EVc(static_cast<size_t>(v)), Wpre(static_cast<size_t>(v));
  double R_hi = 0, r_lo = 0;
  int64_t current_m = -1;
  for (const GapBlock& block : gc.blocks) {
    const int64_t m = block.m;
    if (m != current_m) {
      current_m = m;
      // S2: PV[x] = max_p PVc[p,x]; B[x] = Ē[x] - Ē[m] + PV[x]; EVc[m,x]; R, r over x != m.
      R_hi = -HUGE_VAL;
      r_lo = HUGE_VAL;
      for (int64_t x = 0; x < v; ++x) {
        double best = diff_up(t.PVOU.at(0, x), t.PVOU.at(0, m));
        for (int64_t p = 1; p < k; ++p) best = std::max(best, diff_up(t.PVOU.at(p, x), t.PVOU.at(p, m)));
        PV[static_cast<size_t>(x)] = best;
        B[static_cast<size_t>(x)] = add_up(eu.diff_up(x, m), best);
        EVc[static_cast<size_t>(x)] = diff_up(t.EVOU.at(m, x), t.EVOU.at(m, m));
        if (x == m) continue;
        R_hi = std::max(R_hi, EVc[static_cast<size_t>(x)]);
        r_lo = std::min(r_lo, diff_down(t.EVOU.at(m, x), t.EVOU.at(m, m)));
      }
      // W for every gap: Wpre[j] = max_{t <= j} max_{x != m} EVc[t,x] (upper bounds).
      for (int64_t tok = 0; tok < m; ++tok) {
        const double w = sub_up(top2.max_except(tok, m), t.EVOU.at(tok, m).lo);
        Wpre[static_cast<size_t>(tok)] = tok == 0 ? w : std::max(Wpre[static_cast<size_t>(tok - 1)], w);
      }
    }
    // S3: F(ā) <= max_{x != m} (B[x] + ā·EVc[m,x]); ā >= 0, so the upper ends suffice.
    double F = -HUGE_VAL;
    for (int64_t x = 0; x < v; ++x)
      if (x != m) F = std::max(F, add_up(B[static_cast<size_t>(x)], mul_up(block.avg, EVc[static_cast<size_t>(x)])));
    const Interval slope{r_lo, R_hi};  // contains every EVc[m,x], x != m
    for (size_t i = block.first; i < block.end; ++i) {
      const GapRow& row = gc.rows[i];
      const int64_t q = row.q;
      if (row.all_max()) {
        // SPEC 5.8: the input (m, ..., m).
        for (int64_t x = 0; x < v; ++x) {
          if (x == m) continue;
          const double L = add_up(add_up(diff_up(t.EU.at(m, x), t.EU.at(m, m)), EVc[static_cast<size_t>(x)]),
                                  PV[static_cast<size_t>(x)]);
          if (!(L < 0)) {
            failure = {i, L, "logit x=" + std::to_string(x)};
            return false;
          }
        }
        continue;
      }
      // S1: attention on the max tokens.
      const QueryPositions& qp = pos[static_cast<size_t>(q)];
      const int64_t j = k - 1 - row.c, top = m - row.g;
      const auto at = static_cast<size_t>(q * v + top);
      const double Umax = ux.max_hi[at], Umin = ux.min_lo[at];
      const Interval u_m = t.u.at(q, m), wq = qp.omega_query;
      double A_lo, A_hi, B_hi, B_lo;
      if (q == m) {
        A_lo = mul_down(u_m.lo, add_down(qp.small(j).lo, wq.lo));
        A_hi = mul_up(u_m.hi, add_up(qp.large(j).hi, wq.hi));
        B_hi = mul_up(Umax, qp.large(row.c).hi);
        B_lo = mul_down(Umin, qp.small(row.c).lo);
      } else {
        const Interval u_q = t.u.at(q, q);
        A_lo = mul_down(u_m.lo, qp.small(j).lo);
        A_hi = mul_up(u_m.hi, qp.large(j).hi);
        B_hi = add_up(mul_up(wq.hi, u_q.hi), mul_up(Umax, qp.large(row.c).hi));
        B_lo = add_down(mul_down(wq.lo, u_q.lo), mul_down(Umin, qp.small(row.c).lo));
      }
      const double den_lo = add_up(A_lo, B_hi), den_hi = add_down(A_hi, B_lo);
      const double a_ends[2] = {den_lo > 0 ? div_down(A_lo, den_lo) : 0.0,
                                den_hi > 0 ? std::min(1.0, div_up(A_hi, den_hi)) : 1.0};
      // S3: h(a) = F(ā) + max(D·R, D·r) + (1 - a)·W + G[q] at both ends, D = a - ā.
      // S2: W bounds the OV term of every non-max token: the non-query ones are <= m - g, the
      // query (q < m) is its own token.
      double W = row.c == 0 ? -HUGE_VAL : Wpre[static_cast<size_t>(top)];
      if (q < m) W = std::max(W, sub_up(top2.max_except(q, m), t.EVOU.at(q, m).lo));
      const double G = eu.gap_up(q, m);
      for (const double a : a_ends) {
        const Interval D{sub_down(a, block.avg), sub_up(a, block.avg)};
        const Interval rest{sub_down(1.0, a), sub_up(1.0, a)};  // 1 - a >= 0
        const double h = add_up(add_up(add_up(F, mul(D, slope).hi), mul_nonneg_upper(rest, W)), G);
        if (!(h < 0)) {
          failure = {i, h, "class"};
          return false;
        }
      }
    }
  }
  return true;
}

// Proof length of verify_blocks and the prefix tables, by formula (SPEC 7.10).
void count_ops(int64_t v_, int64_t k_, const GapClasses& gc, OpCounts& ops) {
  const auto v = static_cast<uint64_t>(v_), k = static_cast<uint64_t>(k_);
  ops.interval_add += v * 4 * (k - 1);       // order-statistic prefix sums
  ops.compare += v * 2 * (k - 1) * (k - 1);  // sorting lo and hi (charged (k-1)^2 each)
  ops.compare += v * 2 * (v - 1);            // prefix extremes of u
  ops.compare += v * 2 * v;                  // top-2 of each EVOU row
  int64_t m_prev = -1;
  for (const GapBlock& b : gc.blocks) {
    if (b.m != m_prev) {
      m_prev = b.m;
      const auto m = static_cast<uint64_t>(b.m);
      ops.interval_add += k * v + 3 * v + m;  // PV, B, EVc, W
      ops.compare += (k - 1) * v + 2 * v + 2 * m;
    }
    ops.interval_add += v - 1;
    ops.interval_mul += v - 1;
    ops.compare += v - 1;
    for (size_t i = b.first; i < b.end; ++i) {
      if (gc.rows[i].all_max()) {
        ops.interval_add += 3 * (v - 1);
        ops.compare += v - 1;
      } else {
        ops.interval_mul += 4 + 2 * 5;  // A, B ends; per end 4 in mul(D, slope) + 1
        ops.interval_add += 7 + 2 * 7;  // sums, denominators, the query's W; per end D, 1 - a, sums
        ops.compare += 3 + 2 * 4;
      }
    }
  }
}

}  // namespace

std::vector<std::string> subcubic_strategy_names() {
  std::vector<std::string> names;
  for (const std::string& eu : kEuOptions)
    for (const char* att : {kMeanAttention, kDropAttention})
      names.push_back("subcubic/" + eu + "/" + att + "/" + kEqkeOption);
  return names;
}

StrategyOutcome check_subcubic_strategy(const StrategyInput& input) {
  const Certificate& cert = input.cert;
  const ModelWeights& w = input.model.weights;
  expect_step_kinds(cert, {"path-tables", "eu-bound", "gap-classes"});
  {
    FieldReader r(cert.steps[0], cert.step_path(0));
    r.expect_string("kind", "path-tables");
    r.finish();
  }
  // The name's components must be the steps' options (so the name says what was proved).
  const std::string& name = cert.strategy;
  std::string handling, attention;
  {
    FieldReader r(cert.steps[1], cert.step_path(1));
    r.expect_string("kind", "eu-bound");
    handling = r.string("handling", 64);
    if (!is_eu_option(handling)) r.field("handling").fail("unknown EU option \"" + handling + "\"");
    r.finish();
  }
  FieldReader r(cert.steps[2], cert.step_path(2));
  r.expect_string("kind", "gap-classes");
  attention = r.string("attention", 64);
  if (attention != kMeanAttention && attention != kDropAttention)
    r.field("attention").fail("unknown attention option \"" + attention + "\"");
  if (name != "subcubic/" + handling + "/" + attention + "/" + kEqkeOption)
    JsonPath{cert.display_name, "strategy"}.fail("strategy \"" + name + "\" does not match the steps' options (" +
                                                 handling + ", " + attention + ")");
  const nlohmann::json& blocks = r.array("blocks", 0, kMaxGapRows);
  r.finish();
  const JsonPath where = r.field("blocks");
  const GapClasses gc = parse_gap_classes(blocks, w.v, w.k, attention == kDropAttention, where);

  StrategyOutcome out;
  const CubicTables t = cubic_tables(w, out.ops, out.paper_flops, input.threads);  // SPEC 5.2
  const EuBound eu = eu_bound(handling, w, t.EU, out.ops, out.paper_flops);         // SPEC 7.6
  RowFailure failure;
  bool ok;
  {
    UpwardRounding guard;
    const std::vector<QueryPositions> pos = query_positions(t.omega);
    ok = verify_blocks(t, pos, eu, gc, failure);
  }
  if (!ok) {
    const GapRow& row = gc.rows[failure.row];
    size_t b = 0;
    while (gc.blocks[b].end <= failure.row) ++b;
    const JsonPath at = where.index(b).index(3).index(gc.row_index[failure.row]);
    throw CertificateRejected((at.file.empty() ? at.path : at.file + ": " + at.path) + " (m=" +
                              std::to_string(row.m) + ", q=" + std::to_string(row.q) + ", c=" +
                              std::to_string(row.c) + ", g=" + std::to_string(row.g) + "): " +
                              failure.what + " not certified (upper bound " +
                              format_hex_double(failure.bound) + " >= 0)");
  }
  OpCounts rows;
  count_ops(w.v, w.k, gc, rows);
  out.ops += rows;
  out.paper_flops += rows.interval_add + rows.interval_mul + rows.compare;
  out.certified = gap_count(gc.rows, w.v, w.k);
  out.ops.int_op += 2 * gc.rows.size() * static_cast<uint64_t>(w.k);  // counting (big integers)
  return out;
}

}  // namespace mechcert
