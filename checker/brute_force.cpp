#include "checker/brute_force.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <mpfr.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "checker/exp_bounds.hpp"
#include "checker/fp_environment.hpp"
#include "checker/interval.hpp"
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

// Per query q, for position p and key token t (row p*v + t), x = 0..vo-1:
//   up[x]  >= w_{p,t} * c_{p,t,x}     and   neg[x] >= -w_{p,t} * c_{p,t,x}
// where w_{p,t} = exp((score - shift_q) / sqrt(d_head)) and c = EU[q,x] + EVOU[t,x] + PVOU[p,x].
struct QueryTables {
  int64_t v = 0, vo = 0;
  SimdPath simd = SimdPath::scalar;
  std::vector<double> up, neg;  // [k*v, vo]
  const double* up_row(int64_t p, int64_t t) const { return &up[static_cast<size_t>((p * v + t) * vo)]; }
  const double* neg_row(int64_t p, int64_t t) const { return &neg[static_cast<size_t>((p * v + t) * vo)]; }
};

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
  for (int64_t tok = tok_begin; tok < tok_end; ++tok) {
    const int64_t m = tok > m_prefix ? tok : m_prefix;
    // threshold <= W * logit_m: the exact negation of an upper bound of -W * logit_m.
    const double threshold = -(neg[m] + t.neg_row(p, tok)[m]);
    count += all_below(t.simd, up, t.up_row(p, tok), t.vo, m, threshold);
  }
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

uint64_t count_query(const Shared& s, int64_t q, const PrefixBounds& b) {
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
  s.v = w.v;
  s.k = w.k;
  s.vo = w.v_out;
  s.d_head = w.file_d_head();  // the attention scale of the file (SPEC 3.6)
  s.simd = resolve(simd);
  const ExactPathTerms terms = compute_path_terms(w, result.ops, result.paper_flops);
  result.paper_flops = 0;  // the paper charges brute force as forward passes only (below)
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

  // Queries are independent; each is done by one thread and counted in its own slot, so the sum
  // does not depend on scheduling. Only the queries the range touches are visited.
  const auto nq = static_cast<int64_t>(q_last - q_first + 1);
  std::vector<uint64_t> per_query(static_cast<size_t>(nq), 0);
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    try {
      for (int64_t i = next++; i < nq; i = next++) {
        const uint64_t q = q_first + static_cast<uint64_t>(i);
        per_query[static_cast<size_t>(i)] =
            count_query(s, static_cast<int64_t>(q), query_bounds(q, range, V1, w.v, w.k));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = nq;
    }
    mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);  // MPFR's per-thread constant caches
  };
  const int n = threads < 1 ? 1 : (threads > nq ? static_cast<int>(nq) : threads);
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  for (uint64_t c : per_query) result.certified += c;

  // Op counts by formula (deterministic). kv = k*v rows of per-query tables; Q = the queries the
  // range touches (v for the whole space), T = its inputs.
  const uint64_t K = static_cast<uint64_t>(w.k), VO = static_cast<uint64_t>(w.v_out);
  const uint64_t kv = K * v, Q = static_cast<uint64_t>(nq), T = range.end - range.begin;
  OpCounts& ops = result.ops;
  ops.exact_add += kv * VO + v * kv;            // EVOU + PVOU rows; scores
  ops.exact_add += Q * kv + Q * kv;             // per query: max (compares), subtract shift
  ops.enclose += v * VO + kv * VO;              // EU, EVOU + PVOU
  ops.exp += Q * kv;                            // attention weights, all (q, p, t)
  ops.interval_add += Q * kv * VO * 2;          // c = EU + (EVOU + PVOU): both endpoints
  ops.interval_mul += Q * kv * VO * 2;          // upper and negated-lower tables
  ops.compare += Q * kv * VO * 2;               // sign tests choosing w.lo or w.hi
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
