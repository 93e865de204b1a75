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

// The last free position (k-2), fused with the test. `up`/`neg` are the rounded-up sums over the
// query position and positions 0..k-3; m_prefix their maximum token (and q).
// PRECONDITION: FE_UPWARD.
__attribute__((noinline)) uint64_t count_last_position_up(const QueryTables& t, int64_t p,
                                                          const double* up, const double* neg,
                                                          int64_t m_prefix) {
  uint64_t count = 0;
  for (int64_t tok = 0; tok < t.v; ++tok)
    count += input_certified_up(t, up, neg, p, tok, tok > m_prefix ? tok : m_prefix);
  return count;
}

// Positions 0..k-2 are free; position k-1 holds q. `up`/`neg` hold the sums so far.
// PRECONDITION: FE_UPWARD.
__attribute__((noinline)) uint64_t enumerate_up(const QueryTables& t, int64_t k, int64_t p, const double* up,
                      const double* neg, int64_t m_prefix, std::vector<std::vector<double>>& scratch) {
  if (p == k - 2) return count_last_position_up(t, p, up, neg, m_prefix);
  const int64_t vo = t.vo;
  std::vector<double>& next = scratch[static_cast<size_t>(p)];
  double* nu = next.data();
  double* nn = next.data() + vo;
  uint64_t count = 0;
  for (int64_t tok = 0; tok < t.v; ++tok) {
    const double* tu = t.up_row(p, tok);
    const double* tn = t.neg_row(p, tok);
    for (int64_t x = 0; x < vo; ++x) {
      nu[x] = up[x] + tu[x];
      nn[x] = neg[x] + tn[x];
    }
    count += enumerate_up(t, k, p + 1, nu, nn, tok > m_prefix ? tok : m_prefix, scratch);
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

uint64_t count_query(const Shared& s, int64_t q) {
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
      count = enumerate_up(t, s.k, 0, t.up_row(s.k - 1, q), t.neg_row(s.k - 1, q), q, scratch);
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

BruteForceCount brute_force_certified_count(const ModelWeights& w, int threads, SimdPath simd) {
  if (w.has_nonzero_bias()) throw std::runtime_error("model has non-zero biases");
  if (w.v_out < w.v) throw std::runtime_error("d_vocab_out < vocab");
  const auto v = static_cast<uint64_t>(w.v);
  uint64_t total = 1;
  for (int64_t i = 0; i < w.k; ++i) {
    if (total > kMaxBruteForceInputs / v)
      throw CertificateRejected("brute-force: vocab^k exceeds 2^40 inputs: brute force is not feasible");
    total *= v;
  }

  BruteForceCount result;
  result.total = total;
  Shared s;
  prepare_shared(s, w, simd, result.ops);

  // Queries are independent; each is done by one thread and counted in its own slot, so the sum
  // does not depend on scheduling.
  std::vector<uint64_t> per_query(static_cast<size_t>(w.v), 0);
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    try {
      for (int64_t q = next++; q < w.v; q = next++) per_query[static_cast<size_t>(q)] = count_query(s, q);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = w.v;
    }
    mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);  // MPFR's per-thread constant caches
  };
  const int n = threads < 1 ? 1 : (threads > w.v ? static_cast<int>(w.v) : threads);
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  for (uint64_t c : per_query) result.certified += c;

  // Op counts by formula (deterministic). kv = k*v rows of per-query tables.
  const uint64_t K = static_cast<uint64_t>(w.k), VO = static_cast<uint64_t>(w.v_out);
  OpCounts& ops = result.ops;
  ops += shared_table_ops(v, K, VO);
  for (uint64_t q = 0; q < v; ++q) ops += query_table_ops(v, K, VO);
  // Enumeration: prefix sums at levels 1..k-2 (2 vectors of v_out each), then per input v_out
  // additions and v_out + 1 comparisons, plus 2 additions for the threshold.
  uint64_t prefix_nodes = 0;
  for (int64_t level = 1; level <= w.k - 2; ++level) prefix_nodes += power(v, level + 1);
  ops.interval_add += prefix_nodes * 2 * VO + total * (VO + 2);
  ops.compare += total * (VO + 1);
  ops.int_op += total * 2;                      // running max token, counter
  result.paper_flops = brute_force_paper_flops(w.v, w.k, w.file_d_model(), w.file_d_head(), w.v_out);
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

bool brute_force_input_certified(const BruteForceQueryTables& t, const double* up,
                                 const double* neg, int64_t p, int64_t tok, int64_t m) {
  return input_certified_up(t, up, neg, p, tok, m);
}

StrategyOutcome check_brute_force(const StrategyInput& in) {
  expect_step_kinds(in.cert, {"brute-force"});
  FieldReader step(in.cert.steps[0], in.cert.step_path(0));
  step.required("kind");
  step.finish();
  const BruteForceCount c = brute_force_certified_count(in.model.weights, in.threads);
  StrategyOutcome out;
  out.certified = c.certified;
  out.ops = c.ops;
  out.paper_flops = c.paper_flops;
  return out;
}

}  // namespace mechcert
