#include "checker/subcubic.hpp"

#include <algorithm>
#include <cmath>

#include "checker/attention_tables.hpp"
#include "checker/eu_bound.hpp"
#include "checker/fp_environment.hpp"
#include "checker/gap_classes.hpp"
#include "checker/interval.hpp"
#include "checker/order_statistics.hpp"
#include "checker/parallel.hpp"
#include "checker/subcubic_options.hpp"
#include "checker/weighted_diff.hpp"
#include "format/exact_numbers.hpp"

namespace mechcert {
namespace {

constexpr size_t kMaxDirection = size_t{1} << 20;  // array limit before the length check

// SPEC 7.11: a hint direction is v (7.18: or d) hex floats, not all tiny, none huge (any such hint is sound;
// the limits keep every product of hints and weights far from overflow).
std::vector<double> parse_direction(const nlohmann::json& a, int64_t v, const JsonPath& where) {  // v: the length
  if (!a.is_array() || a.size() != static_cast<size_t>(v))
    where.fail("expected an array of " + std::to_string(v) + " hex-float strings (a hint direction)");
  std::vector<double> out;
  double largest = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) where.index(i).fail("expected a hex-float string");
    out.push_back(parse_hex_double(a[i].get_ref<const std::string&>(), where.index(i)));
    largest = std::max(largest, std::fabs(out.back()));
  }
  if (largest == 0) where.fail("hint direction is zero");
  if (largest < 0x1p-30) where.fail("hint direction too small (largest |entry| < 2^-30)");
  if (largest > 0x1p+10) where.fail("hint direction too large (an |entry| > 2^10)");
  return out;
}

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

// SPEC 7.25 (Lemma S16): the attention side of one row's WeightedDiffRow (not the all-max input)
// from the tables; the caller sets the slopes and K. Wpre[t'] bounds every w_t, t <= t', for the
// row's max token. Needs FE_UPWARD.
WeightedDiffRow weighted_row(const AttentionTables& t, const QueryPositions& qp, const PrefixExtremes& ux,
                             const RowTop2& top2, const std::vector<double>& Wpre, const GapRow& row,
                             int64_t k) {
  const int64_t v = t.v, m = row.m, q = row.q, j = k - 1 - row.c, top = m - row.g;
  WeightedDiffRow wr;
  wr.u_m = t.u.at(q, m);
  wr.omega_q = qp.omega_query;
  wr.u_q = t.u.at(q, q);
  wr.query_is_max = q == m;
  wr.sigma[0] = qp.small(j);
  wr.sigma[1] = qp.large(j);
  wr.s_N[0] = qp.large(row.c);
  wr.s_N[1] = qp.small(row.c);
  wr.has_non_max = row.c >= 1;
  if (wr.has_non_max) {
    const auto at = static_cast<size_t>(q * v + top);
    wr.U_lo = ux.min_lo[at];
    wr.U_hi = ux.max_hi[at];
    // V >= max_{t <= top} u[q,t]·w_t: the two tokens nearest the gap exactly, the rest by their
    // prefix extremes (u >= 0).
    double V = -HUGE_VAL;
    for (int64_t tok = top; tok >= 0 && tok >= top - 1; --tok)
      V = std::max(V, mul_nonneg_upper(t.u.at(q, tok), sub_up(top2.max_except(tok, m), t.EVOU.at(tok, m).lo)));
    if (top >= 2) {
      const auto below = static_cast<size_t>(q * v + top - 2);
      V = std::max(V, mul_nonneg_upper(Interval{ux.min_lo[below], ux.max_hi[below]}, Wpre[static_cast<size_t>(top - 2)]));
    }
    wr.V_hi = V;
  }
  if (q < m) wr.Wq_hi = sub_up(top2.max_except(q, m), t.EVOU.at(q, m).lo);
  return wr;
}

struct RowFailure {
  size_t row = 0;
  double bound = 0;
  std::string what;
};

// SPEC 7.7, steps 3-5, for every block. Needs FE_UPWARD. Returns false and fills `failure` at the
// first row (in list order) that is not certified.
__attribute__((noinline)) bool verify_blocks(const AttentionTables& t,
                                             const std::vector<QueryPositions>& pos,
                                             const EuBound& eu, const GapClasses& gc,
                                             bool weighted, bool joint, RowFailure& failure) {
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
    // SPEC 7.25: F(ā) - ā·s for s = R_hi, r_lo (upper bounds), shared by the block's rows.
    double K_block[2] = {0, 0};
    if (weighted && !joint) {
      K_block[0] = sub_up(F, mul_down(block.avg, R_hi));
      K_block[1] = sub_up(F, mul_down(block.avg, r_lo));
    }
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
      const QueryPositions& qp = pos[static_cast<size_t>(q)];
      const int64_t j = k - 1 - row.c, top = m - row.g;
      const auto at = static_cast<size_t>(q * v + top);
      if (weighted) {  // SPEC 7.25 (Lemma S16) instead of S1-S3
        WeightedDiffRow wr = weighted_row(t, qp, ux, top2, Wpre, row, k);
        wr.slope[0] = R_hi;
        wr.slope[1] = r_lo;
        if (joint) {  // joint_exact: F_q(ā) = max_{x != m} (EUc[q,x] + PV[x] + ā·EVc[m,x]), no G
          double Fq = -HUGE_VAL;
          for (int64_t x = 0; x < v; ++x)
            if (x != m)
              Fq = std::max(Fq, add_up(add_up(diff_up(t.EU.at(q, x), t.EU.at(q, m)), PV[static_cast<size_t>(x)]),
                                       mul_up(block.avg, EVc[static_cast<size_t>(x)])));
          wr.K[0] = sub_up(Fq, mul_down(block.avg, R_hi));
          wr.K[1] = sub_up(Fq, mul_down(block.avg, r_lo));
        } else {
          const double G = eu.gap_up(q, m);
          wr.K[0] = add_up(K_block[0], G);
          wr.K[1] = add_up(K_block[1], G);
        }
        const double psi = weighted_diff_row_upper(wr);
        if (!(psi < 0)) {
          failure = {i, psi, "class"};
          return false;
        }
        continue;
      }
      // S1: attention on the max tokens.
      const double Umax = ux.max_hi[at], Umin = ux.min_lo[at];
      const Interval u_m = t.u.at(q, m), wq = qp.omega_query;
      const Interval ratio = t.ratio[static_cast<size_t>(q)];  // S1′: exp(±b[q]/s); {1, 1} exact
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
      // B >= 0 and ratio > 0; multiplying by exactly 1 (the exact option) changes nothing.
      B_hi = mul_up(B_hi, ratio.hi);
      B_lo = mul_down(B_lo, ratio.lo);
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
void count_ops(int64_t v_, int64_t k_, const GapClasses& gc, bool approx, bool weighted, bool joint,
               OpCounts& ops) {
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
    ops.interval_add += v - 1 + (weighted ? 2 : 0);  // F(ā); SPEC 7.25: F(ā) - ā·s
    ops.interval_mul += v - 1 + (weighted ? 2 : 0);
    ops.compare += v - 1;
    for (size_t i = b.first; i < b.end; ++i) {
      if (gc.rows[i].all_max()) {
        ops.interval_add += 3 * (v - 1);
        ops.compare += v - 1;
      } else if (weighted) {  // SPEC 7.25: V, Q, Q·w_q, then two placements and four vertices
        ops.interval_mul += 3 + 2 + 1 + 2 * 3 + 4 * 6;  // V; Q; Q·w_q; per side A, s_N·V; per vertex N, 2 per slope
        ops.interval_add += 2 + 1 + 4 + 2 * 2 + 4 * 6;  // w_t; w_q; K + G, K + s; per side mass; per vertex Q + N, sums
        ops.compare += 2 + 4 * 2;                       // V's maximum; per vertex the slopes' and vertices' maxima
        if (joint) {  // joint_exact: F_q(ā) per row, then K_s (2 products) instead of K + G
          ops.interval_add += 3 * (v - 1);
          ops.interval_mul += (v - 1) + 2;
          ops.compare += v - 1;
        }
      } else {
        ops.interval_mul += 4 + 2 * 5 + (approx ? 2 : 0);  // A, B ends (S1′ ratio); per end 4 in mul(D, slope) + 1
        ops.interval_add += 7 + 2 * 7;  // sums, denominators, the query's W; per end D, 1 - a, sums
        ops.compare += 3 + 2 * 4;
      }
    }
  }
}

}  // namespace

StrategyOutcome check_subcubic_strategy(const StrategyInput& input) {
  const Certificate& cert = input.cert;
  const ModelWeights& w = input.model.weights;
  expect_step_kinds(cert, {"path-tables", "eu-bound", "gap-classes"});
  // The name is parsed once (find_strategy_check only dispatches names it lists); the steps'
  // option fields must repeat its components, so the steps say what was proved.
  const std::string& name = cert.strategy;
  const std::optional<SubcubicOptions> parsed = parse_subcubic_name(name);
  if (!parsed) JsonPath{cert.display_name, "strategy"}.fail("unknown strategy \"" + name + "\"");
  const SubcubicOptions opt = *parsed;
  auto mismatch = [&](const JsonPath& at, const std::string& found, const std::string& expected) {
    at.fail("\"" + found + "\" does not match the strategy name's option \"" + expected + "\"");
  };
  EqkeHints hints;
  {
    FieldReader r(cert.steps[0], cert.step_path(0));
    r.expect_string("kind", "path-tables");
    if (opt.eqke != EqkeOption::Exact) {  // SPEC 7.11: the EQKE option and its two (7.18: six) hints
      const std::string eqke = r.string("eqke", 64);
      if (eqke != option_name(opt.eqke)) mismatch(r.field("eqke"), eqke, option_name(opt.eqke));
      auto direction = [&](const char* field, int64_t n) {
        return parse_direction(r.array(field, 0, kMaxDirection), n, r.field(field));
      };
      hints.query_dir = direction("query_direction", w.v);
      hints.key_dir = direction("key_direction", w.v);
      if (is_peeling(opt.eqke)) {
        hints.query_dir2 = direction("query_direction_2", w.v);
        hints.key_dir2 = direction("key_direction_2", w.v);
        hints.query_weight_dir = direction("query_weight_direction", w.d);
        hints.key_weight_dir = direction("key_weight_direction", w.d);
      }
    }
    r.finish();
  }
  std::vector<double> eu_direction;
  {
    FieldReader r(cert.steps[1], cert.step_path(1));
    r.expect_string("kind", "eu-bound");
    const std::string handling = r.string("handling", 64);
    if (!parse_eu_option(handling)) r.field("handling").fail("unknown EU option \"" + handling + "\"");
    if (handling != option_name(opt.eu)) mismatch(r.field("handling"), handling, option_name(opt.eu));
    if (opt.eu == EuOption::SvdQueryMaxDiff)
      eu_direction = parse_direction(r.array("direction", 0, kMaxDirection), w.v, r.field("direction"));
    r.finish();
  }
  FieldReader r(cert.steps[2], cert.step_path(2));
  r.expect_string("kind", "gap-classes");
  const std::string attention = r.string("attention", 64);
  if (!parse_attention_option(attention))
    r.field("attention").fail("unknown attention option \"" + attention + "\"");
  if (attention != option_name(opt.attention)) mismatch(r.field("attention"), attention, option_name(opt.attention));
  const nlohmann::json& blocks = r.array("blocks", 0, kMaxGapRows);
  r.finish();
  const JsonPath where = r.field("blocks");
  const GapClasses gc = parse_gap_classes(blocks, w.v, w.k, opt.attention == AttentionOption::DropAverage, where);

  StrategyOutcome out;
  // Threads only for tables big enough to repay starting them (parallel.hpp: parts_for).
  const int table_threads = static_cast<int>(parts_for(input.threads, static_cast<uint64_t>(w.v * w.v), kMinWorkPerThread));
  const AttentionTables t = attention_tables(w, opt.eqke, hints, out.ops, out.paper_flops, table_threads);  // SPEC 5.2, 7.11
  const EuBound eu = eu_bound(opt.eu, w, t.EU, eu_direction, out.ops, out.paper_flops);                     // SPEC 7.6
  RowFailure failure;
  bool ok;
  {
    UpwardRounding guard;
    const std::vector<QueryPositions> pos = query_positions(t.omega);
    ok = verify_blocks(t, pos, eu, gc, opt.attention == AttentionOption::MeanQueryWeightedDiff,
                       opt.eu == EuOption::JointExact, failure);
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
  count_ops(w.v, w.k, gc, opt.eqke != EqkeOption::Exact,
            opt.attention == AttentionOption::MeanQueryWeightedDiff, opt.eu == EuOption::JointExact, rows);
  out.ops += rows;
  out.paper_flops += rows.interval_add + rows.interval_mul + rows.compare;
  out.certified = gap_count(gc.rows, w.v, w.k);
  out.ops.int_op += 2 * gc.rows.size() * static_cast<uint64_t>(w.k);  // counting (big integers)
  out.unexplained_dimension = unexplained_dimension(opt, static_cast<uint64_t>(w.v), static_cast<uint64_t>(w.d));
  return out;
}

}  // namespace mechcert
