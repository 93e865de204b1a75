#include "checker/brute_force.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <stdexcept>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "checker/exp_bounds.hpp"
#include "checker/fp_environment.hpp"
#include "checker/interval.hpp"
#include "checker/parallel.hpp"
#include "checker/path_terms.hpp"
#include "format/exact_numbers.hpp"
#include "format/json_fields.hpp"

namespace mechcert {

namespace {

// Everything the per-query work needs, shared read-only by all threads.
struct Shared {
  int64_t v, k, vo, d_head;
  SimdPath simd;
  IntervalMatrix eu;       // [v, vo]     enclosure of EU
  IntervalMatrix ovpv;     // [k*v, vo]   enclosure of EVOU[t,x] + PVOU[p,x], row p*v + t
  ExactMatrix scores;      // [v, k*v]    EQKE[q,t] + EQKP[q,p], column p*v + t (exact)
};

// Per query q: the tables of SPEC 4.3 step 4 (checker/brute_force.hpp).
using QueryTables = BruteForceQueryTables;

// Enclosures of the attention weights w_{p,t} for query q, shifted by the exact maximum score of
// the row so every weight is <= 1 (no overflow). Runs in round-to-nearest (MPFR only).
std::vector<Interval> attention_weights(const Shared& s, int64_t q) {
  const int64_t n = s.k * s.v;
  ExactMatrix row = select_rows(s.scores, {q});
  BigInt shift = row.data[0];
  for (int64_t j = 1; j < n; ++j)
    if (row.data[static_cast<size_t>(j)] > shift) shift = row.data[static_cast<size_t>(j)];
  for (auto& x : row.data) x -= shift;
  const IntervalMatrix w = exp_div_sqrt_enclose(row, s.d_head);
  std::vector<Interval> out(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) out[static_cast<size_t>(j)] = w.at(0, j);
  return out;
}

// PRECONDITION: FE_UPWARD (UpwardRounding alive in this thread).
__attribute__((noinline)) void build_tables_up(const Shared& s, int64_t q,
                                               const std::vector<Interval>& w, QueryTables& t) {
  t.v = s.v;
  t.vo = s.vo;
  t.simd = s.simd;
  t.up.resize(static_cast<size_t>(s.k * s.v * s.vo));
  t.neg.resize(t.up.size());
  for (int64_t row = 0; row < s.k * s.v; ++row) {
    const Interval wr = w[static_cast<size_t>(row)];
    for (int64_t x = 0; x < s.vo; ++x) {
      const Interval c = add(s.eu.at(q, x), s.ovpv.at(row, x));
      const size_t i = static_cast<size_t>(row * s.vo + x);
      t.up[i] = mul_nonneg_upper(wr, c.hi);
      t.neg[i] = mul_nonneg_upper(wr, -c.lo);
    }
  }
}

// True iff up[x] + tu[x] < threshold (sum rounded up) for every x in [0, n) other than m.
// Written with SIMD intrinsics because GCC does not vectorise this loop under -frounding-math /
// -fsignaling-nans; every lane performs exactly the scalar IEEE add and compare, so the result is
// the same on every path. "Not below" (cmpnlt) also fails on NaN, which is conservative.
// PRECONDITION: FE_UPWARD.
inline bool all_below_scalar(const double* up, const double* tu, int64_t begin, int64_t end, int64_t m,
                             double threshold) {
  for (int64_t x = begin; x < end; ++x)
    if (x != m && !(up[x] + tu[x] < threshold)) return false;
  return true;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) bool all_below_avx2(const double* up, const double* tu, int64_t n,
                                                    int64_t m, double threshold) {
  const __m256d thr = _mm256_set1_pd(threshold);
  __m256d fail = _mm256_setzero_pd();
  int64_t x = 0;
  for (; x + 4 <= n; x += 4) {
    if (m >= x && m < x + 4) {
      if (!all_below_scalar(up, tu, x, x + 4, m, threshold)) return false;
      continue;
    }
    const __m256d sum = _mm256_add_pd(_mm256_loadu_pd(up + x), _mm256_loadu_pd(tu + x));
    fail = _mm256_or_pd(fail, _mm256_cmp_pd(sum, thr, _CMP_NLT_UQ));
  }
  return _mm256_movemask_pd(fail) == 0 && all_below_scalar(up, tu, x, n, m, threshold);
}

bool all_below_sse2(const double* up, const double* tu, int64_t n, int64_t m, double threshold) {
  const __m128d thr = _mm_set1_pd(threshold);
  __m128d fail = _mm_setzero_pd();
  int64_t x = 0;
  for (; x + 2 <= n; x += 2) {
    if (m >= x && m < x + 2) {
      if (!all_below_scalar(up, tu, x, x + 2, m, threshold)) return false;
      continue;
    }
    const __m128d sum = _mm_add_pd(_mm_loadu_pd(up + x), _mm_loadu_pd(tu + x));
    fail = _mm_or_pd(fail, _mm_cmpnlt_pd(sum, thr));
  }
  return _mm_movemask_pd(fail) == 0 && all_below_scalar(up, tu, x, n, m, threshold);
}

#endif

inline bool all_below(SimdPath path, const double* up, const double* tu, int64_t n, int64_t m,
                      double threshold) {
#if defined(__x86_64__)
  if (path == SimdPath::avx2) return all_below_avx2(up, tu, n, m, threshold);
  if (path == SimdPath::sse2) return all_below_sse2(up, tu, n, m, threshold);
#endif
  return all_below_scalar(up, tu, 0, n, m, threshold);
}

SimdPath resolve(SimdPath path) {
  if (path != SimdPath::automatic) return path;
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") ? SimdPath::avx2 : SimdPath::sse2;
#else
  return SimdPath::scalar;
#endif
}

// Lemma B for one input: position p holds tok, `up`/`neg` the sums of the other positions.
// PRECONDITION: FE_UPWARD.
inline bool input_certified_up(const QueryTables& t, const double* up, const double* neg, int64_t p,
                               int64_t tok, int64_t m) {
  // threshold <= W * logit_m: the exact negation of an upper bound of -W * logit_m.
  const double threshold = -(neg[m] + t.neg_row(p, tok)[m]);
  return all_below(t.simd, up, t.up_row(p, tok), t.vo, m, threshold);
}

// The inputs of one query inside an input range (SPEC 4.6): the prefixes P = (t_0..t_{k-2}),
// read as k-1 base-v digits with t_0 most significant, with lo <= P <= hi (inclusive).
struct PrefixBounds {
  std::vector<int64_t> lo, hi;  // k-1 digits each
};

// The last free position (k-2), fused with the test, for tokens [tok_begin, tok_end). `up`/`neg`
// are the rounded-up sums over the query position and positions 0..k-3; m_prefix their maximum
// token (and q).
// PRECONDITION: FE_UPWARD.
__attribute__((noinline)) uint64_t count_last_position_up(const QueryTables& t, int64_t p,
                                                          const double* up, const double* neg,
                                                          int64_t m_prefix, int64_t tok_begin,
                                                          int64_t tok_end) {
  uint64_t count = 0;
  for (int64_t tok = tok_begin; tok < tok_end; ++tok)
    count += input_certified_up(t, up, neg, p, tok, tok > m_prefix ? tok : m_prefix);
  return count;
}

// Positions 0..k-2 are free; position k-1 holds q. `up`/`neg` hold the sums so far. Only the
// prefixes within `b` are enumerated: while the digits so far equal b.lo's (tight_lo) position p
// starts at b.lo[p], while they equal b.hi's (tight_hi) it stops at b.hi[p].
// PRECONDITION: FE_UPWARD.
__attribute__((noinline)) uint64_t enumerate_up(const QueryTables& t, int64_t k, int64_t p, const double* up,
                      const double* neg, int64_t m_prefix, std::vector<std::vector<double>>& scratch,
                      const PrefixBounds& b, bool tight_lo, bool tight_hi) {
  const int64_t first = tight_lo ? b.lo[static_cast<size_t>(p)] : 0;
  const int64_t last = tight_hi ? b.hi[static_cast<size_t>(p)] : t.v - 1;
  if (p == k - 2) return count_last_position_up(t, p, up, neg, m_prefix, first, last + 1);
  const int64_t vo = t.vo;
  std::vector<double>& next = scratch[static_cast<size_t>(p)];
  double* nu = next.data();
  double* nn = next.data() + vo;
  uint64_t count = 0;
  for (int64_t tok = first; tok <= last; ++tok) {
    const double* tu = t.up_row(p, tok);
    const double* tn = t.neg_row(p, tok);
    for (int64_t x = 0; x < vo; ++x) {
      nu[x] = up[x] + tu[x];
      nn[x] = neg[x] + tn[x];
    }
    count += enumerate_up(t, k, p + 1, nu, nn, tok > m_prefix ? tok : m_prefix, scratch, b,
                          tight_lo && tok == first, tight_hi && tok == last);
  }
  return count;
}

// k == 1: the single input (q); the test without any free position. PRECONDITION: FE_UPWARD.
__attribute__((noinline)) uint64_t count_single_up(const QueryTables& t, int64_t q) {
  const double* tu = t.up_row(0, q);
  const double threshold = -t.neg_row(0, q)[q];
  for (int64_t x = 0; x < t.vo; ++x)
    if (x != q && !(tu[x] < threshold)) return 0;
  return 1;
}

// ---- SPEC §3.8 Lemma B′ (shifted scores): sharp attention -------------------------------------
// Lemma B holds for any shift σ, also one chosen per input. When the scores of one query span
// more than a band (300·sqrt(d_head)), the one shift per query of §4.3 would make every weight of
// an input whose scores are all far below the row maximum underflow (then nothing is certified).
// Instead the query's scores are split into bands (sorted, greedy: a band holds the scores within
// 300·floor(sqrt(d_head)) of its largest one); an input belongs to the band of its largest score
// and is tested with the tables shifted by that band's largest score σ_b. Cells of lower bands
// have exponents <= 0 and may underflow: a weight whose argument is <= -745 is enclosed as
// [0, 2^-1074] without MPFR (sound: exp(-745) < 2^-1074). Every input is enumerated in exactly
// one band (its band = the smallest band index among its cells), so counts add up.
struct ScoreBands {
  bool one_shift = true;      // the single per-query shift of §4.3 is within one band of every cell
  ExactMatrix row;            // the query's scores, [1, k*v], column p*v + t
  std::vector<int> band;      // per cell: its band (0 = the largest scores); -1: no input has it
  std::vector<size_t> top;    // per band: the cell holding its largest score (σ_b)
  BigInt far;                 // σ_b - S >= far (data units) implies (S - σ_b)/sqrt(d) <= -745
  int query_band = 0;         // band of the query's own cell (k-1, q): every input contains it
};

// floor(x · 2^-e) or ceil(x · 2^-e) for a non-negative integer x: a real threshold in the units
// of an exact matrix whose entries are data · 2^e.
BigInt in_data_units(unsigned long x, long e, bool round_up) {
  BigInt r = x;
  if (e <= 0) {
    mpz_mul_2exp(r.backend().data(), r.backend().data(), static_cast<mp_bitcnt_t>(-e));
  } else if (round_up) {
    mpz_cdiv_q_2exp(r.backend().data(), r.backend().data(), static_cast<mp_bitcnt_t>(e));
  } else {
    mpz_fdiv_q_2exp(r.backend().data(), r.backend().data(), static_cast<mp_bitcnt_t>(e));
  }
  return r;
}

ScoreBands score_bands(const Shared& s, int64_t q, OpCounts& ops) {
  ScoreBands b;
  const int64_t n = s.k * s.v;
  b.row = select_rows(s.scores, {q});
  unsigned long fs = 1;  // floor(sqrt(d_head)) and ceil(sqrt(d_head))
  while ((fs + 1) * (fs + 1) <= static_cast<unsigned long>(s.d_head)) ++fs;
  const unsigned long cs = fs * fs == static_cast<unsigned long>(s.d_head) ? fs : fs + 1;
  const BigInt width = in_data_units(300 * fs, b.row.exponent, false);
  b.far = in_data_units(745 * cs, b.row.exponent, true);
  const auto& x = b.row.data;
  // Cells an input with query q can hold: every (p, t) with p < k-1, and (k-1, q).
  std::vector<size_t> cells;
  for (int64_t j = 0; j < (s.k - 1) * s.v; ++j) cells.push_back(static_cast<size_t>(j));
  const size_t self = static_cast<size_t>((s.k - 1) * s.v + q);
  cells.push_back(self);
  // §4.3 shifts by the maximum over all k*v cells; it serves every cell if that maximum is within
  // one band of the smallest score an input can hold. (The comparisons are those §4.5 charges for
  // the maximum; nothing else is charged on this path, so proof lengths are unchanged.)
  const BigInt& row_max = *std::max_element(x.begin(), x.end());
  const BigInt& lowest = x[*std::min_element(cells.begin(), cells.end(),
                                             [&](size_t i, size_t j) { return x[i] < x[j]; })];
  b.one_shift = row_max - lowest <= width;
  if (b.one_shift) return b;
  std::stable_sort(cells.begin(), cells.end(), [&](size_t i, size_t j) { return x[i] > x[j]; });
  b.band.assign(static_cast<size_t>(n), -1);
  for (const size_t c : cells) {
    if (b.top.empty() || x[b.top.back()] - x[c] > width) b.top.push_back(c);
    b.band[c] = static_cast<int>(b.top.size()) - 1;
  }
  b.query_band = b.band[self];
  uint64_t log_n = 1;
  while ((uint64_t{1} << log_n) < static_cast<uint64_t>(n)) ++log_n;
  ops.exact_add += static_cast<uint64_t>(n) * (log_n + 2);  // minimum, sort, bands
  return b;
}

// Enclosures of exp((S - σ_b)/sqrt(d_head)) for every cell of band >= b; cells of smaller bands
// (scores above σ_b) are never used with band b and are left [0, 0]. Round-to-nearest (MPFR).
std::vector<Interval> band_weights(const Shared& s, const ScoreBands& bands, int b, OpCounts& ops) {
  const size_t n = bands.band.size();
  std::vector<Interval> w(n, Interval{0, 0});
  const BigInt& sigma = bands.row.data[bands.top[static_cast<size_t>(b)]];
  for (size_t j = 0; j < n; ++j) {
    if (bands.band[j] < b) continue;
    const BigInt below = sigma - bands.row.data[j];  // >= 0
    if (below >= bands.far) {
      w[j] = Interval{0.0, 0x1p-1074};  // exp(argument <= -745) < 2^-1074
    } else {
      const BigInt z = -below;
      w[j] = exp_div_sqrt_enclose(z, bands.row.exponent, s.d_head);
      ++ops.exp;
    }
    ops.exact_add += 2;
  }
  return w;
}

// Inputs of band b: positions 0..k-2 hold cells of band >= b, and some cell (the query's or a
// free position's) is in band b. `hit`: the prefix already holds a band-b cell.
// PRECONDITION: FE_UPWARD.
struct BandEnumeration {
  const QueryTables& t;
  const ScoreBands& bands;
  int b;
  int64_t k;
  std::vector<std::vector<int64_t>> any, in;  // per position: tokens of band >= b, == b
  std::vector<uint8_t> in_later;              // per position p: some p' >= p has a band-b token
  std::vector<std::vector<double>>& scratch;
  const PrefixBounds& range;                  // only prefixes within it (SPEC 4.6), as enumerate_up
  uint64_t nodes = 0;                         // prefix sums formed (proof length)

  __attribute__((noinline)) uint64_t run(int64_t p, const double* up, const double* neg,
                                         int64_t m_prefix, bool hit, bool tight_lo, bool tight_hi) {
    if (!hit && !in_later[static_cast<size_t>(p)]) return 0;
    const std::vector<int64_t>& tokens = (p == k - 2 && !hit) ? in[static_cast<size_t>(p)]
                                                               : any[static_cast<size_t>(p)];
    const int64_t first = tight_lo ? range.lo[static_cast<size_t>(p)] : 0;
    const int64_t last = tight_hi ? range.hi[static_cast<size_t>(p)] : t.v - 1;
    uint64_t count = 0;
    if (p == k - 2) {
      for (const int64_t tok : tokens) {
        if (tok < first || tok > last) continue;
        const int64_t m = tok > m_prefix ? tok : m_prefix;
        const double threshold = -(neg[m] + t.neg_row(p, tok)[m]);
        count += all_below(t.simd, up, t.up_row(p, tok), t.vo, m, threshold);
      }
      return count;
    }
    std::vector<double>& next = scratch[static_cast<size_t>(p)];
    double* nu = next.data();
    double* nn = next.data() + t.vo;
    for (const int64_t tok : tokens) {
      if (tok < first || tok > last) continue;
      const double* tu = t.up_row(p, tok);
      const double* tn = t.neg_row(p, tok);
      for (int64_t x = 0; x < t.vo; ++x) {
        nu[x] = up[x] + tu[x];
        nn[x] = neg[x] + tn[x];
      }
      ++nodes;
      const bool now = hit || bands.band[static_cast<size_t>(p * t.v + tok)] == b;
      count += run(p + 1, nu, nn, tok > m_prefix ? tok : m_prefix, now, tight_lo && tok == first,
                   tight_hi && tok == last);
    }
    return count;
  }
};

uint64_t count_query_banded(const Shared& s, int64_t q, const ScoreBands& bands,
                            const PrefixBounds& range, OpCounts& ops) {
  std::vector<std::vector<double>> scratch(static_cast<size_t>(s.k),
                                           std::vector<double>(static_cast<size_t>(2 * s.vo)));
  uint64_t count = 0;
  // An input's band is at most the query cell's band (it always holds that cell).
  for (int b = 0; b <= bands.query_band; ++b) {
    const std::vector<Interval> w = band_weights(s, bands, b, ops);  // round-to-nearest (MPFR)
    QueryTables t;
    UpwardRounding upward;
    build_tables_up(s, q, w, t);
    const bool hit = bands.query_band == b;
    if (s.k == 1) {
      count += hit ? count_single_up(t, q) : 0;
      continue;
    }
    BandEnumeration e{t, bands, b, s.k, {}, {}, {}, scratch, range};
    e.any.resize(static_cast<size_t>(s.k - 1));
    e.in.resize(static_cast<size_t>(s.k - 1));
    e.in_later.assign(static_cast<size_t>(s.k), 0);
    for (int64_t p = 0; p + 1 < s.k; ++p)
      for (int64_t tok = 0; tok < s.v; ++tok) {
        const int cb = bands.band[static_cast<size_t>(p * s.v + tok)];
        if (cb >= b) e.any[static_cast<size_t>(p)].push_back(tok);
        if (cb == b) e.in[static_cast<size_t>(p)].push_back(tok);
      }
    for (int64_t p = s.k - 2; p >= 0; --p)
      e.in_later[static_cast<size_t>(p)] =
          !e.in[static_cast<size_t>(p)].empty() || e.in_later[static_cast<size_t>(p + 1)];
    count += e.run(0, t.up_row(s.k - 1, q), t.neg_row(s.k - 1, q), q, hit, true, true);
    // Tables of one band beyond the one the formula of §4.5 charges per query, and the prefix sums.
    const auto rows = static_cast<uint64_t>(s.k * s.v), vo = static_cast<uint64_t>(s.vo);
    if (b > 0) {
      ops.interval_add += rows * vo * 2;
      ops.interval_mul += rows * vo * 2;
      ops.compare += rows * vo * 2;
    }
    ops.interval_add += e.nodes * 2 * vo;
  }
  return count;
}

// Query q's inputs within `b` (SPEC 4.6).
uint64_t count_query(const Shared& s, int64_t q, const PrefixBounds& b, OpCounts& extra_ops) {
  const ScoreBands bands = score_bands(s, q, extra_ops);  // SPEC §3.8 Lemma B′
  if (!bands.one_shift) return count_query_banded(s, q, bands, b, extra_ops);
  const std::vector<Interval> w = attention_weights(s, q);  // round-to-nearest (MPFR)
  QueryTables t;
  std::vector<std::vector<double>> scratch(static_cast<size_t>(s.k),
                                           std::vector<double>(static_cast<size_t>(2 * s.vo)));
  uint64_t count = 0;
  {
    UpwardRounding upward;
    build_tables_up(s, q, w, t);
    if (s.k == 1) {
      count = count_single_up(t, q);
    } else {
      // Start from the query position's own terms (position k-1, token q).
      count = enumerate_up(t, s.k, 0, t.up_row(s.k - 1, q), t.neg_row(s.k - 1, q), q, scratch, b,
                           true, true);
    }
  }
  return count;
}

// SPEC 4.3 steps 1 and 3: exact path terms, the enclosed value terms and the exact scores.
void prepare_shared(Shared& s, const ModelWeights& w, SimdPath simd, OpCounts& ops) {
  uint64_t paper_flops = 0;  // the paper charges brute force as forward passes only
  s.v = w.v;
  s.k = w.k;
  s.vo = w.v_out;
  s.d_head = w.file_d_head();  // the attention scale of the file (SPEC 3.6)
  s.simd = resolve(simd);
  const ExactPathTerms terms = compute_path_terms(w, ops, paper_flops);
  s.eu = enclose(terms.EU);
  // EVOU[t,x] + PVOU[p,x] for every (p, t): exact, then enclosed.
  {
    std::vector<int64_t> rows_t, rows_p;
    for (int64_t p = 0; p < w.k; ++p)
      for (int64_t t = 0; t < w.v; ++t) {
        rows_t.push_back(t);
        rows_p.push_back(p);
      }
    s.ovpv = enclose(add(select_rows(terms.EVOU, rows_t), select_rows(terms.PVOU, rows_p)));
    // scores[q, p*v + t] = EQKE[q, t] + EQKP[q, p]
    s.scores = add(select_cols(terms.EQKE, rows_t), select_cols(terms.EQKP, rows_p));
  }
}

// Op counts of prepare_shared beyond the path terms, and of one query's tables (count_query
// before the enumeration), by formula. kv = k*v rows of per-query tables.
OpCounts shared_table_ops(uint64_t v, uint64_t K, uint64_t VO) {
  OpCounts ops;
  ops.exact_add += K * v * VO + v * K * v;  // EVOU + PVOU rows; scores
  ops.enclose += v * VO + K * v * VO;       // EU, EVOU + PVOU
  return ops;
}
OpCounts query_table_ops(uint64_t v, uint64_t K, uint64_t VO) {
  const uint64_t kv = K * v;
  OpCounts ops;
  ops.exact_add += kv + kv;             // max (compares), subtract shift
  ops.exp += kv;                        // attention weights, all (p, t)
  ops.interval_add += kv * VO * 2;      // c = EU + (EVOU + PVOU): both endpoints
  ops.interval_mul += kv * VO * 2;      // upper and negated-lower tables
  ops.compare += kv * VO * 2;           // sign tests choosing w.lo or w.hi
  return ops;
}

uint64_t power(uint64_t base, int64_t exp) {
  uint64_t r = 1;
  for (int64_t i = 0; i < exp; ++i) r *= base;
  return r;
}

// The k-1 base-v digits of a prefix index, t_0 first.
std::vector<int64_t> prefix_digits(uint64_t index, int64_t v, int64_t k) {
  std::vector<int64_t> d(static_cast<size_t>(k > 1 ? k - 1 : 0));
  for (size_t i = d.size(); i-- > 0;) {
    d[i] = static_cast<int64_t>(index % static_cast<uint64_t>(v));
    index /= static_cast<uint64_t>(v);
  }
  return d;
}

// Query q's prefixes inside the range [begin, end) of query-major indices q*V1 + P.
PrefixBounds query_bounds(uint64_t q, InputRange r, uint64_t V1, int64_t v, int64_t k) {
  const uint64_t lo = q == r.begin / V1 ? r.begin % V1 : 0;
  const uint64_t hi = q == (r.end - 1) / V1 ? (r.end - 1) % V1 : V1 - 1;
  return PrefixBounds{prefix_digits(lo, v, k), prefix_digits(hi, v, k)};
}

}  // namespace

uint64_t brute_force_paper_flops(int64_t v, int64_t k, int64_t d, int64_t d_head, int64_t v_out) {
  const auto K = static_cast<uint64_t>(k), D = static_cast<uint64_t>(d),
             H = static_cast<uint64_t>(d_head), V = static_cast<uint64_t>(v_out);
  uint64_t f = 0;
  f += K * D;                                            // residual = embed + pos_embed
  f += 3 * (paper_matmul_flops(K, D, H) + K * H);        // q, k, v and their biases
  f += paper_matmul_flops(K, H, K) + 2 * K * K;          // scores, scale, causal mask
  f += paper_reduce_flops(K, K) + K * K + K * K + paper_reduce_flops(K, K) + K * K;  // softmax
  f += paper_matmul_flops(K, K, H);                      // z = pattern v
  f += paper_matmul_flops(K, H, D) + K * D;              // out = z W_O + b_O
  f += K * D;                                            // resid + out
  f += paper_matmul_flops(K, D, V) + K * V;              // logits = resid W_U + b_U
  f += paper_reduce_flops(V, 1) + V + V + paper_reduce_flops(V, 1) + 1 + V;  // last-position log_softmax
  f += paper_reduce_flops(V, 1) + 1;                     // argmax == label
  return f * power(static_cast<uint64_t>(v), k);
}

BruteForceCount brute_force_certified_count(const ModelWeights& w, int threads, SimdPath simd,
                                            InputRange range) {
  if (w.has_nonzero_bias()) throw std::runtime_error("model has non-zero biases");
  if (w.v_out < w.v) throw std::runtime_error("d_vocab_out < vocab");
  const auto v = static_cast<uint64_t>(w.v);
  uint64_t total = 1;
  for (int64_t i = 0; i < w.k; ++i) {
    if (total > kMaxBruteForceInputs / v)
      throw CertificateRejected("brute-force: vocab^k exceeds 2^40 inputs: brute force is not feasible");
    total *= v;
  }

  if (range.end == 0) range = InputRange{0, total};
  if (!(range.begin < range.end && range.end <= total))
    throw std::runtime_error("brute-force: input range [" + std::to_string(range.begin) + ", " +
                             std::to_string(range.end) + ") is empty or beyond vocab^k");
  const uint64_t V1 = total / v;  // inputs per query
  const uint64_t q_first = range.begin / V1, q_last = (range.end - 1) / V1;

  BruteForceCount result;
  result.total = total;
  result.range = range;
  Shared s;
  prepare_shared(s, w, simd, result.ops);

  // Queries are independent; each is done by one thread and counted in its own slot, so the sum
  // does not depend on scheduling. Only the queries the range touches are visited.
  const auto nq = static_cast<int64_t>(q_last - q_first + 1);
  std::vector<uint64_t> per_query(static_cast<size_t>(nq), 0);
  std::vector<OpCounts> per_query_ops(static_cast<size_t>(nq));  // sharp queries (SPEC 3.8)
  // Threads take the next query as they finish one (queries differ in cost); checker/parallel.hpp
  // starts and joins them and rethrows a failure.
  std::atomic<int64_t> next{0};
  const int n = threads < 1 ? 1 : (threads > nq ? static_cast<int>(nq) : threads);
  run_parts(n, [&](int64_t) {
    try {
      for (int64_t i = next++; i < nq; i = next++) {
        const uint64_t q = q_first + static_cast<uint64_t>(i);
        per_query[static_cast<size_t>(i)] =
            count_query(s, static_cast<int64_t>(q), query_bounds(q, range, V1, w.v, w.k),
                        per_query_ops[static_cast<size_t>(i)]);
      }
    } catch (...) {
      next = nq;  // the other threads stop after their current query
      throw;
    }
  });
  for (uint64_t c : per_query) result.certified += c;
  for (const OpCounts& o : per_query_ops) result.ops += o;

  // Op counts by formula (deterministic). kv = k*v rows of per-query tables; Q = the queries the
  // range touches (v for the whole space), T = its inputs.
  const uint64_t K = static_cast<uint64_t>(w.k), VO = static_cast<uint64_t>(w.v_out);
  const uint64_t Q = static_cast<uint64_t>(nq), T = range.end - range.begin;
  OpCounts& ops = result.ops;
  ops += shared_table_ops(v, K, VO);
  for (uint64_t q = 0; q < Q; ++q) ops += query_table_ops(v, K, VO);
  // Enumeration: prefix sums at levels 1..k-2 (2 vectors of v_out each), then per input v_out
  // additions and v_out + 1 comparisons, plus 2 additions for the threshold. The prefixes
  // (t_0..t_p), p <= k-3, of query q's range [lo, hi] are lo/u .. hi/u with u = v^(k-2-p)
  // (v^(p+1) of them for a whole query).
  uint64_t prefix_nodes = 0;
  for (uint64_t q = q_first; q <= q_last; ++q) {
    const uint64_t lo = q == q_first ? range.begin % V1 : 0;
    const uint64_t hi = q == q_last ? (range.end - 1) % V1 : V1 - 1;
    for (int64_t p = 0; p <= w.k - 3; ++p) {
      const uint64_t u = power(v, w.k - 2 - p);
      prefix_nodes += hi / u - lo / u + 1;
    }
  }
  ops.interval_add += prefix_nodes * 2 * VO + T * (VO + 2);
  ops.compare += T * (VO + 1);
  ops.int_op += T * 2;                          // running max token, counter
  // The paper's forward passes, for the range's inputs only (v = 1 gives the per-input count).
  result.paper_flops = brute_force_paper_flops(1, w.k, w.file_d_model(), w.file_d_head(), w.v_out) * T;
  return result;
}

// --- Lemma B on chosen inputs (checker/brute_force.hpp; SPEC 10) ---

struct BruteForceShared : Shared {};

BruteForceTables::BruteForceTables(const ModelWeights& w, SimdPath simd)
    : s_(std::make_unique<BruteForceShared>()) {
  if (w.has_nonzero_bias()) throw std::runtime_error("model has non-zero biases");
  if (w.v_out < w.v) throw std::runtime_error("d_vocab_out < vocab");
  prepare_shared(*s_, w, simd, shared_ops);
  const auto v = static_cast<uint64_t>(w.v), K = static_cast<uint64_t>(w.k),
             VO = static_cast<uint64_t>(w.v_out);
  shared_ops += shared_table_ops(v, K, VO);
  query_ops = query_table_ops(v, K, VO);
}

BruteForceTables::~BruteForceTables() = default;

BruteForceQueryTables BruteForceTables::query(int64_t q) const {
  const std::vector<Interval> w = attention_weights(*s_, q);  // round-to-nearest (MPFR)
  QueryTables t;
  UpwardRounding upward;
  build_tables_up(*s_, q, w, t);
  return t;
}

int64_t BruteForceTables::query_rows(int64_t max_token) const {
  return (s_->k - 1) * (max_token + 1) + 1;
}

// The rows of an input whose every token is <= M (SPEC 10.4): positions 0..k-2 with tokens
// 0..M and the query cell (k-1, q). Any common shift of the scores is a positive factor of every
// weight (Lemma B holds for W scaled by any positive constant); the largest score among these rows
// keeps every weight <= 1. Lemma B reads the neg rows only at the label m in [q, M], so only those
// entries are built. Everything else is NaN: a test reading it fails (conservative).
BruteForceQueryTables BruteForceTables::query(int64_t q, int64_t max_token) const {
  const Shared& s = *s_;
  if (max_token < q || max_token >= s.v) throw std::logic_error("brute force: max token out of range");
  std::vector<int64_t> cells;
  for (int64_t p = 0; p + 1 < s.k; ++p)
    for (int64_t t = 0; t <= max_token; ++t) cells.push_back(p * s.v + t);
  cells.push_back((s.k - 1) * s.v + q);
  ExactMatrix row(1, static_cast<int64_t>(cells.size()), s.scores.exponent);
  for (size_t j = 0; j < cells.size(); ++j) row.data[j] = s.scores.at(q, cells[j]);
  BigInt shift = row.data[0];
  for (const BigInt& x : row.data)
    if (x > shift) shift = x;
  for (BigInt& x : row.data) x -= shift;
  const IntervalMatrix w = exp_div_sqrt_enclose(row, s.d_head);  // round-to-nearest (MPFR)
  QueryTables t;
  t.v = s.v;
  t.vo = s.vo;
  t.simd = s.simd;
  t.up.assign(static_cast<size_t>(s.k * s.v * s.vo), std::numeric_limits<double>::quiet_NaN());
  t.neg.assign(t.up.size(), std::numeric_limits<double>::quiet_NaN());
  UpwardRounding upward;
  for (size_t j = 0; j < cells.size(); ++j) {
    const Interval wr = w.at(0, static_cast<int64_t>(j));
    const int64_t r = cells[j];
    for (int64_t x = 0; x < s.vo; ++x) {
      const size_t i = static_cast<size_t>(r * s.vo + x);
      t.up[i] = mul_nonneg_upper(wr, add_up(s.eu.at(q, x).hi, s.ovpv.at(r, x).hi));
      if (x >= q && x <= max_token)
        t.neg[i] = mul_nonneg_upper(wr, -add_down(s.eu.at(q, x).lo, s.ovpv.at(r, x).lo));
    }
  }
  return t;
}

OpCounts BruteForceTables::restricted_query_ops(int64_t q, int64_t max_token) const {
  const uint64_t n = static_cast<uint64_t>(query_rows(max_token));
  // Entries per row: v_out of the up table, M - q + 1 of the neg table.
  const uint64_t e = static_cast<uint64_t>(s_->vo) + static_cast<uint64_t>(max_token - q + 1);
  OpCounts ops;
  ops.exact_add += n + n;     // max (compares), subtract shift
  ops.exp += n;               // attention weights of the rows
  ops.interval_add += n * e;  // the endpoint of c = EU + (EVOU + PVOU) each entry needs
  ops.interval_mul += n * e;  // the product with w.lo or w.hi
  ops.compare += n * e;       // sign test choosing w.lo or w.hi
  return ops;
}

bool brute_force_input_certified(const BruteForceQueryTables& t, const double* up,
                                 const double* neg, int64_t p, int64_t tok, int64_t m) {
  return input_certified_up(t, up, neg, p, tok, m);
}

InputRange brute_force_step_range(const Certificate& cert, uint64_t total) {
  expect_step_kinds(cert, {"brute-force"});
  FieldReader step(cert.steps[0], cert.step_path(0));
  step.required("kind");
  InputRange range{0, total};
  if (step.optional("inputs")) {
    FieldReader r(step.object("inputs"), step.field("inputs"));
    const BigInt begin = parse_decimal_integer(r.string("begin", kMaxNumberDigits), r.field("begin"));
    const BigInt end = parse_decimal_integer(r.string("end", kMaxNumberDigits), r.field("end"));
    r.finish();
    if (!(begin < end) || end > total)
      r.path().fail("input range [" + begin.str() + ", " + end.str() +
                    ") is empty or outside the input space [0, " + std::to_string(total) + ")");
    range = InputRange{begin.convert_to<uint64_t>(), end.convert_to<uint64_t>()};
  }
  step.finish();
  return range;
}

StrategyOutcome check_brute_force(const StrategyInput& in) {
  const ModelWeights& w = in.model.weights;
  uint64_t total = 1;  // refused by brute_force_certified_count beyond 2^40; capped here
  for (int64_t i = 0; i < w.k && total <= kMaxBruteForceInputs; ++i) total *= static_cast<uint64_t>(w.v);
  if (total > kMaxBruteForceInputs)
    throw CertificateRejected("brute-force: vocab^k exceeds 2^40 inputs: brute force is not feasible");
  const InputRange range = brute_force_step_range(in.cert, total);
  const BruteForceCount c = brute_force_certified_count(w, in.threads, SimdPath::automatic, range);
  StrategyOutcome out;
  out.certified = c.certified;
  out.ops = c.ops;
  out.paper_flops = c.paper_flops;
  return out;
}

}  // namespace mechcert
