#include "generator/subcubic_search.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

#include "generator/conservative_weights.hpp"
#include "generator/query_weights.hpp"

namespace mechcert {

std::string subcubic_attention_name(SubcubicAttention option) {
  switch (option) {
    case SubcubicAttention::MeanQueryDiff: return "mean_query+diff";
    case SubcubicAttention::DropAverage: return "drop_average_query_per_output_logit_reasoning";
    case SubcubicAttention::MeanQueryWeightedDiff: return "mean_query+weighted_diff";
  }
  return "?";
}

std::optional<SubcubicAttention> parse_subcubic_attention(const std::string& name) {
  for (const SubcubicAttention option :
       {SubcubicAttention::MeanQueryDiff, SubcubicAttention::DropAverage,
        SubcubicAttention::MeanQueryWeightedDiff}) {
    if (subcubic_attention_name(option) == name) return option;
  }
  return std::nullopt;
}

namespace {

using boost::multiprecision::cpp_int;
constexpr double kInf = std::numeric_limits<double>::infinity();

cpp_int binomial(int64_t n, int64_t r) {
  cpp_int b = 1;
  for (int64_t i = 1; i <= r; ++i) b = b * (n - r + i) / i;
  return b;
}

// Everything of one max token m that the rows share (SPEC 7.2, 7.7 step 3).
struct MaxTables {
  int64_t m = 0;
  std::vector<double> B;     // [v_out] Ē[x] - Ē[m] + PV[x]
  std::vector<double> EVm;   // [v_out] EVc[m,x]
  std::vector<double> W;     // [m+1]   W[t'] = max_{t <= t'} max_{x != m} EVc[t,x]
  std::vector<double> Wtok;  // [m+1]   max_{x != m} EVc[t,x] (the query's own term)
  double R = -kInf, r = kInf;  // max / min over x != m of EVc[m,x]
  bool all_m = false;        // the all-m row (m,...,m) is certified (SPEC 5.8)
};

struct RowAttention {
  double lo = 0, hi = 1;  // a_lo, a_hi of Lemma S1
};

class MaxSearch {
 public:
  // The conservative re-check (conservative_weights.hpp): enclosures of the checker's weights and
  // ratios; a row must also bound below `threshold` with the attention interval they give.
  struct Recheck {
    const std::vector<ConservativeWeights>* cw = nullptr;  // null: no re-check
    std::vector<double> ratio_lo, ratio_hi;                // contain the checker's ρ enclosures
    double threshold = 0;
  };

  MaxSearch(const PathTables& t, const std::vector<QueryWeights>& qw, const SubcubicEUBound& eu,
            int64_t m, double threshold, SubcubicAttention attention,
            const std::vector<double>& ratio_lo, const std::vector<double>& ratio_hi,
            const Recheck& recheck)
      : t_(t), qw_(qw), eu_(eu), threshold_(threshold), attention_(attention),
        ratio_lo_(ratio_lo), ratio_hi_(ratio_hi), re_(recheck) {
    build_tables(m);
  }

  // Blocks (m, c) for c = 0..k-1 that certify at least one row.
  std::vector<SubcubicBlock> run() {
    std::vector<SubcubicBlock> blocks;
    for (int64_t c = 0; c < t_.k; ++c) {
      SubcubicBlock block = best_block(c);
      if (c == 0 && mt_.all_m) block.rows.push_back(SubcubicRow{mt_.m, 1});
      if (!block.rows.empty()) blocks.push_back(std::move(block));
    }
    return blocks;
  }

 private:
  const PathTables& t_;
  const std::vector<QueryWeights>& qw_;
  const SubcubicEUBound& eu_;
  double threshold_;  // a row is proposed iff its bound < threshold_ (= -margin · scale)
  SubcubicAttention attention_;
  const std::vector<double>& ratio_lo_;  // per query exp(-b[q]/s), exp(b[q]/s) (Lemma S1′)
  const std::vector<double>& ratio_hi_;
  const Recheck& re_;
  MaxTables mt_;

  void build_tables(int64_t m) {
    const int64_t v_out = t_.v_out, k = t_.k;
    mt_.m = m;
    std::vector<double> PV(static_cast<size_t>(v_out));
    for (int64_t x = 0; x < v_out; ++x) {
      double best = -kInf;
      for (int64_t p = 0; p < k; ++p) best = std::max(best, t_.PVOU(p, x) - t_.PVOU(p, m));
      PV[static_cast<size_t>(x)] = best;
    }
    mt_.B.resize(static_cast<size_t>(v_out));
    mt_.EVm.resize(static_cast<size_t>(v_out));
    const double Ebar_m = eu_.Ebar[static_cast<size_t>(m)];
    for (int64_t x = 0; x < v_out; ++x) {
      const auto i = static_cast<size_t>(x);
      mt_.B[i] = (eu_.Ebar[i] - Ebar_m) + PV[i];
      mt_.EVm[i] = t_.EVOU(m, x) - t_.EVOU(m, m);
      if (x != m) {
        mt_.R = std::max(mt_.R, mt_.EVm[i]);
        mt_.r = std::min(mt_.r, mt_.EVm[i]);
      }
    }
    mt_.W.resize(static_cast<size_t>(m + 1));
    mt_.Wtok.resize(static_cast<size_t>(m + 1));
    for (int64_t tok = 0; tok <= m; ++tok) {
      double best = -kInf;
      for (int64_t x = 0; x < v_out; ++x) {
        if (x != m) best = std::max(best, t_.EVOU(tok, x) - t_.EVOU(tok, m));
      }
      const auto i = static_cast<size_t>(tok);
      mt_.Wtok[i] = best;
      mt_.W[i] = tok == 0 ? best : std::max(mt_.W[i - 1], best);
    }
    // All-m row: exact EU, all slots hold m (SPEC 5.8).
    mt_.all_m = true;
    for (int64_t x = 0; x < v_out && mt_.all_m; ++x) {
      if (x == m) continue;
      const double L = (t_.EU(m, x) - t_.EU(m, m)) + mt_.EVm[static_cast<size_t>(x)] +
                       PV[static_cast<size_t>(x)];
      mt_.all_m = L < threshold_;
    }
  }

  // joint_exact (SPEC 7.25): F_q(ā) = max_{x != m} (EUc[q,x] + B[x] + ā·EVc[m,x]).
  double F_query(int64_t q, double avg) const {
    double best = -kInf;
    for (int64_t x = 0; x < t_.v_out; ++x) {
      const auto i = static_cast<size_t>(x);
      if (x != mt_.m) best = std::max(best, (t_.EU(q, x) - t_.EU(q, mt_.m)) + mt_.B[i] + avg * mt_.EVm[i]);
    }
    return best;
  }

  // F(ā) = max_{x != m} (B[x] + ā·EVc[m,x]) (Lemma S3).
  double F(double avg) const {
    double best = -kInf;
    for (int64_t x = 0; x < t_.v_out; ++x) {
      const auto i = static_cast<size_t>(x);
      if (x != mt_.m) best = std::max(best, mt_.B[i] + avg * mt_.EVm[i]);
    }
    return best;
  }

  // Lemma S1 for a row other than the all-m one.
  RowAttention attention(int64_t q, int64_t c, int64_t g) const {
    const int64_t m = mt_.m, j = t_.k - 1 - c;
    const QueryWeights& w = qw_[static_cast<size_t>(q)];
    const auto cj = static_cast<size_t>(j), cc = static_cast<size_t>(c);
    const double um = w.u[static_cast<size_t>(m)];
    const double Umax = w.umax[static_cast<size_t>(m - g)];
    const double Umin = w.umin[static_cast<size_t>(m - g)];
    double A_lo, A_hi, B_hi, B_lo;
    if (q == m) {
      A_lo = um * (w.small[cj] + w.w_query);
      A_hi = um * (w.large[cj] + w.w_query);
      B_hi = Umax * w.large[cc];
      B_lo = Umin * w.small[cc];
    } else {
      const double query = w.w_query * w.u[static_cast<size_t>(q)];
      A_lo = um * w.small[cj];
      A_hi = um * w.large[cj];
      B_hi = query + Umax * w.large[cc];
      B_lo = query + Umin * w.small[cc];
    }
    B_hi *= ratio_hi_[static_cast<size_t>(q)];
    B_lo *= ratio_lo_[static_cast<size_t>(q)];
    RowAttention a;
    a.lo = A_lo + B_hi > 0 ? A_lo / (A_lo + B_hi) : 0.0;
    a.hi = A_hi + B_lo > 0 ? A_hi / (A_hi + B_lo) : 1.0;
    return a;
  }

  // Lemma S1 (S1′) from the enclosures of the checker's weights, with the checker's choice of ends
  // (SPEC 7.7 step 5): an interval that contains the checker's [a_lo, a_hi].
  RowAttention conservative_attention(int64_t q, int64_t c, int64_t g) const {
    constexpr double kRel = 0x1p-40;
    const int64_t m = mt_.m, j = t_.k - 1 - c;
    const ConservativeWeights& w = (*re_.cw)[static_cast<size_t>(q)];
    const auto cj = static_cast<size_t>(j), cc = static_cast<size_t>(c), mi = static_cast<size_t>(m);
    const double Umax = w.umax_hi[static_cast<size_t>(m - g)];
    const double Umin = w.umin_lo[static_cast<size_t>(m - g)];
    double A_lo, A_hi, B_hi, B_lo;
    if (q == m) {
      A_lo = w.u_lo[mi] * (w.small_lo[cj] + w.wq_lo);
      A_hi = w.u_hi[mi] * (w.large_hi[cj] + w.wq_hi);
      B_hi = Umax * w.large_hi[cc];
      B_lo = Umin * w.small_lo[cc];
    } else {
      const auto qi = static_cast<size_t>(q);
      A_lo = w.u_lo[mi] * w.small_lo[cj];
      A_hi = w.u_hi[mi] * w.large_hi[cj];
      B_hi = w.wq_hi * w.u_hi[qi] + Umax * w.large_hi[cc];
      B_lo = w.wq_lo * w.u_lo[qi] + Umin * w.small_lo[cc];
    }
    A_lo *= 1 - kRel;
    B_lo *= re_.ratio_lo[static_cast<size_t>(q)] * (1 - kRel);
    A_hi *= 1 + kRel;
    B_hi *= re_.ratio_hi[static_cast<size_t>(q)] * (1 + kRel);
    RowAttention a;
    a.lo = A_lo + B_hi > 0 ? A_lo / (A_lo + B_hi) * (1 - kRel) : 0.0;
    a.hi = A_hi + B_lo > 0 ? std::min(1.0, A_hi / (A_hi + B_lo) * (1 + kRel)) : 1.0;
    if (!(a.lo >= 0x1p-1000)) a.lo = 0;
    return a;
  }

  // max(h(a_lo), h(a_hi)) of Lemma S3 for row (q, g) of block (m, c) with F(ā) = Favg.
  double bound(int64_t q, int64_t c, int64_t g, double avg, double Favg) const {
    return bound_with(attention(q, c, g), q, c, g, avg, Favg);
  }

  // An interval [lo, hi] in round-to-nearest, widened by 2^-40 relative per operation (the re-check
  // only needs to contain the checker's outward-rounded values).
  struct Iv {
    double lo, hi;
  };
  static Iv widen(double lo, double hi) {
    constexpr double kRel = 0x1p-40;
    return {lo - std::fabs(lo) * kRel - 0x1p-1000, hi + std::fabs(hi) * kRel + 0x1p-1000};
  }
  static Iv add(Iv a, Iv b) { return widen(a.lo + b.lo, a.hi + b.hi); }
  static Iv mul(Iv a, Iv b) {
    const double p[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
    return widen(*std::min_element(p, p + 4), *std::max_element(p, p + 4));
  }

  // SPEC 7.25 (Lemma S16): the largest over the four vertices of Ψ / Z (an upper bound of the
  // row's largest wrong-logit difference). `cw` null: our own weights as points; otherwise the
  // enclosures of the checker's weights.
  double weighted_bound(int64_t q, int64_t c, int64_t g, double avg, double Favg,
                        const ConservativeWeights* cw) const {
    const int64_t m = mt_.m, j = t_.k - 1 - c, top = m - g;
    const auto cj = static_cast<size_t>(j), cc = static_cast<size_t>(c);
    const QueryWeights& w = qw_[static_cast<size_t>(q)];
    auto pt = [](double x) { return Iv{x, x}; };
    auto u_of = [&](int64_t tok) {
      const auto i = static_cast<size_t>(tok);
      return cw ? Iv{cw->u_lo[i], cw->u_hi[i]} : pt(w.u[i]);
    };
    const Iv u_m = u_of(m), wq = cw ? Iv{cw->wq_lo, cw->wq_hi} : pt(w.w_query);
    const Iv sigma[2] = {cw ? Iv{cw->small_lo[cj], cw->small_hi[cj]} : pt(w.small[cj]),
                         cw ? Iv{cw->large_lo[cj], cw->large_hi[cj]} : pt(w.large[cj])};
    const Iv sN[2] = {cw ? Iv{cw->large_lo[cc], cw->large_hi[cc]} : pt(w.large[cc]),
                      cw ? Iv{cw->small_lo[cc], cw->small_hi[cc]} : pt(w.small[cc])};
    double U_lo = 0, U_hi = 0, V = 0;
    if (c >= 1) {
      const auto T = static_cast<size_t>(top);
      U_lo = cw ? cw->umin_lo[T] : w.umin[T];
      U_hi = cw ? cw->umax_hi[T] : w.umax[T];
      V = -kInf;
      for (int64_t tok = top; tok >= 0 && tok >= top - 1; --tok) {
        const Iv u = u_of(tok);
        const double wt = mt_.Wtok[static_cast<size_t>(tok)];
        V = std::max(V, mul(u, pt(wt)).hi);
      }
      if (top >= 2) {
        const auto B = static_cast<size_t>(top - 2);
        const Iv ub = cw ? Iv{cw->umin_lo[B], cw->umax_hi[B]} : Iv{w.umin[B], w.umax[B]};
        V = std::max(V, mul(ub, pt(mt_.W[B])).hi);
      }
    }
    const Iv Q = q == m ? pt(0) : mul(wq, u_of(q));
    const double Wq = q < m ? mt_.Wtok[static_cast<size_t>(q)] : 0;
    const double Qw = q < m ? mul(Q, pt(Wq)).hi : 0;
    const double G = eu_.joint ? 0.0 : eu_.gap(q, m);  // joint_exact: Favg is F_q(ā), EU included
    const double slope[2] = {mt_.R, mt_.r};
    double worst = -kInf;
    for (int side = 0; side < 2; ++side) {
      const Iv mass = q == m ? add(sigma[side], wq) : sigma[side];
      const Iv A = mul(u_m, mass);
      const double YV = c >= 1 ? mul(sN[side], pt(V)).hi : 0;
      for (const double U : {U_lo, U_hi}) {
        const Iv N = c >= 1 ? mul(pt(U), sN[side]) : pt(0);
        const Iv QN = add(Q, N);
        double best = -kInf;
        for (int i = 0; i < 2; ++i) {
          const double K = Favg + G - avg * slope[i];
          best = std::max(best, add(mul(A, pt(K + slope[i])), mul(QN, pt(K))).hi);
        }
        const double psi = best + Qw + YV;
        const Iv Z = add(A, QN);
        // Ψ < 0 is the test; Ψ / Z (Z's upper end: conservative for Ψ < 0) puts the margin in
        // logit units, as for the other options.
        worst = std::max(worst, psi < 0 && Z.hi > 0 ? psi / Z.hi : psi);
      }
    }
    return worst;
  }

  // True if the row passes both our own test and (if enabled) the conservative re-check.
  bool certifies(int64_t q, int64_t c, int64_t g, double avg, double Favg) const {
    if (attention_ == SubcubicAttention::MeanQueryWeightedDiff) {
      if (!(weighted_bound(q, c, g, avg, Favg, nullptr) < threshold_)) return false;
      return re_.cw == nullptr ||
             weighted_bound(q, c, g, avg, Favg, &(*re_.cw)[static_cast<size_t>(q)]) < re_.threshold;
    }
    if (!(bound(q, c, g, avg, Favg) < threshold_)) return false;
    return re_.cw == nullptr ||
           bound_with(conservative_attention(q, c, g), q, c, g, avg, Favg) < re_.threshold;
  }

  double bound_with(const RowAttention a, int64_t q, int64_t c, int64_t g, double avg,
                    double Favg) const {
    // S2: non-query non-max tokens are <= m - g; the query (q < m) is its own token.
    double W = c == 0 ? -kInf : mt_.W[static_cast<size_t>(mt_.m - g)];
    if (q < mt_.m) W = std::max(W, mt_.Wtok[static_cast<size_t>(q)]);
    const double G = eu_.gap(q, mt_.m);
    auto h = [&](double x) {
      const double D = x - avg;
      return Favg + std::max(D * mt_.R, D * mt_.r) + (1 - x) * W + G;
    };
    return std::max(h(a.lo), h(a.hi));
  }

  // Smallest certifying gap of row q in block (m, c), 0 if none. c = 0 (q < m) is the single
  // input (m,...,m,q): its gap is 1 by SPEC 7.1 and plays no part in the bound.
  int64_t smallest_gap(int64_t q, int64_t c, double avg, double Favg) const {
    const int64_t m = mt_.m;
    auto certified = [&](int64_t g) { return certifies(q, c, g, avg, Favg); };
    if (c == 0) return certified(1) ? 1 : 0;
    const int64_t g_max = m;
    if (g_max < 1) return 0;
    if (!certified(g_max)) return 0;
    int64_t lo = 0, hi = g_max;  // invariant: hi certifies; lo == 0 or lo fails
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      (certified(mid) ? hi : lo) = mid;
    }
    return hi;
  }

  struct Candidate {
    double avg = 0;
    double objective = -1;  // Σ_rows (m - g + 1)^c: the block's count up to C(k-1, c)
    std::vector<SubcubicRow> rows;
  };

  // The rows of block (m, c) for a given ā (the all-m row excepted).
  Candidate evaluate(int64_t c, double avg) const {
    const int64_t m = mt_.m;
    Candidate out;
    out.avg = avg;
    out.objective = 0;
    const double Favg = F(avg);
    // q < m needs c <= k-2 (some non-query position holds m), so c = k-1 has q = m only.
    for (int64_t q = c == t_.k - 1 ? m : 0; q <= m; ++q) {
      if (q == m && c == 0) continue;  // the all-m row does not depend on ā
      const int64_t g = smallest_gap(q, c, avg, eu_.joint ? F_query(q, avg) : Favg);
      if (g == 0) continue;
      out.rows.push_back(SubcubicRow{q, g});
      double size = 1;
      for (int64_t i = 0; i < c; ++i) size *= static_cast<double>(m - g + 1);
      out.objective += size;
    }
    return out;
  }

  // Mean of the attention intervals' midpoints over a candidate's rows (the reference's ā is a
  // mean attention over the block's queries; the midpoint centres the deviation term of S3).
  double mean_attention(int64_t c, const Candidate& cand) const {
    double sum = 0;
    for (const SubcubicRow& row : cand.rows) {
      const RowAttention a = attention(row.q, c, row.g);
      sum += 0.5 * (a.lo + a.hi);
    }
    return sum / static_cast<double>(cand.rows.size());
  }

  SubcubicBlock best_block(int64_t c) const {
    Candidate best;
    if (attention_ == SubcubicAttention::DropAverage) {
      best = evaluate(c, 0.0);
    } else {
      // Short hex strings and no dependence on the last bits of a mean: ā on a 2^-20 grid.
      auto consider = [&](double avg) {
        avg = std::ldexp(std::round(std::ldexp(std::clamp(avg, 0.0, 1.0), 20)), -20);
        Candidate cand = evaluate(c, avg);
        if (cand.objective > best.objective) best = std::move(cand);  // first wins ties
      };
      constexpr int kCoarse = 64, kFine = 16;
      for (int i = 0; i <= kCoarse; ++i) consider(static_cast<double>(i) / kCoarse);
      for (int iter = 0; iter < 3 && !best.rows.empty(); ++iter) consider(mean_attention(c, best));
      const double centre = best.avg;
      for (int i = -kFine; i <= kFine; ++i)
        consider(centre + static_cast<double>(i) / (kCoarse * kFine));
    }
    SubcubicBlock block;
    block.m = mt_.m;
    block.c = c;
    block.avg = best.avg;
    block.rows = std::move(best.rows);
    return block;
  }
};

}  // namespace

SubcubicSearchResult subcubic_search(const PathTables& t, const ModelWeights& w,
                                     const SubcubicSearchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (t.v_out != t.v) throw std::invalid_argument("subcubic: needs d_vocab_out == d_vocab");
  if (t.k < 2) throw std::invalid_argument("subcubic: needs k >= 2");
  const std::vector<QueryWeights> qw = query_weights(t);
  const SubcubicEUBound eu = subcubic_eu_bound(options.eu, t, w);
  const int64_t v = t.v;
  std::vector<double> ratio_lo(static_cast<size_t>(v), 1.0), ratio_hi(ratio_lo);
  if (!options.eqke_residual.empty()) {
    if (options.eqke_residual.size() != static_cast<size_t>(v))
      throw std::invalid_argument("subcubic: eqke_residual must have one entry per query");
    for (size_t q = 0; q < ratio_lo.size(); ++q) {
      ratio_lo[q] = std::exp(-options.eqke_residual[q] / t.scale);
      ratio_hi[q] = std::exp(options.eqke_residual[q] / t.scale);
    }
  }
  // Magnitude of a logit difference: the margin is relative to it (as in cubic_search).
  const double scale = 2 * (t.EU.cwiseAbs().maxCoeff() + t.EVOU.cwiseAbs().maxCoeff() +
                            2 * t.PVOU.cwiseAbs().maxCoeff());
  const double threshold = -options.margin * scale;
  // Conservative re-check (sharp attention, SPEC 3.8): enclosures of the checker's weights; with
  // an EQKE approximation, Ehat's own rounding is covered by an extra radius and the ratios
  // exp(±b/s) by a relative slack of 2^-36 on b (the generator computes b as the checker does, up to rounding). A b the checker cannot exponentiate rejects every
  // certificate of the strategy, so the search refuses instead of writing one.
  MaxSearch::Recheck recheck;
  std::vector<ConservativeWeights> cw;
  if (options.recheck) {
    std::vector<double> extra;
    recheck.ratio_lo.assign(static_cast<size_t>(v), 1.0);
    recheck.ratio_hi.assign(static_cast<size_t>(v), 1.0);
    if (!options.eqke_residual.empty()) {
      for (int64_t q = 0; q < v; ++q) {
        const double b = options.eqke_residual[static_cast<size_t>(q)] * (1 + 0x1p-36) + 0x1p-1000;
        if (!(b / t.scale <= 600))
          throw std::runtime_error(
              "subcubic: the EQKE approximation's residual bound b[" + std::to_string(q) +
              "] / sqrt(d_head) exceeds 600 (sharp attention): mechcert-check would reject every "
              "certificate of this strategy; use an exact_EQKE option");
        recheck.ratio_lo[static_cast<size_t>(q)] = std::exp(-b / t.scale) * (1 - 0x1p-40);
        recheck.ratio_hi[static_cast<size_t>(q)] = std::exp(b / t.scale) * (1 + 0x1p-40);
        extra.push_back(0x1p-40 * t.EQKE.row(static_cast<Eigen::Index>(q)).cwiseAbs().maxCoeff());
      }
    }
    cw = conservative_weights(t, w, extra);
    recheck.cw = &cw;
    recheck.threshold = -0x1p-34 * scale;
  }
  std::vector<std::vector<SubcubicBlock>> per_m(static_cast<size_t>(v));
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<int64_t>(threads, v));
  std::atomic<int64_t> next{v - 1};  // heaviest (largest m) first
  auto work = [&] {
    for (int64_t m; (m = next.fetch_sub(1)) >= 0;) {
      per_m[static_cast<size_t>(m)] =
          MaxSearch(t, qw, eu, m, threshold, options.attention, ratio_lo, ratio_hi, recheck).run();
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();

  SubcubicSearchResult result;
  std::vector<cpp_int> binom(static_cast<size_t>(t.k));
  for (int64_t c = 0; c < t.k; ++c) binom[static_cast<size_t>(c)] = binomial(t.k - 1, c);
  for (auto& blocks : per_m) {
    for (auto& block : blocks) {
      for (const SubcubicRow& row : block.rows) {
        const bool all_m = row.q == block.m && block.c == 0;
        const cpp_int values = all_m ? cpp_int(1) : cpp_int(block.m - row.g + 1);
        result.count += binom[static_cast<size_t>(block.c)] *
                        boost::multiprecision::pow(values, static_cast<unsigned>(block.c));
      }
      result.rows += block.rows.size();
      result.blocks.push_back(std::move(block));
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace mechcert
