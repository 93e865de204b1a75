#include "generator/evaluate.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MECHCERT_X86 1
#endif

#include "generator/path_tables.hpp"
#include "generator/precise_scores.hpp"

namespace mechcert {
namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

struct Counts {
  uint64_t argmax = 0;
  uint64_t strict = 0;
  uint64_t fragile = 0;  // strictly correct, but by a relative margin below kFragileMargin
};

// A strict win by less than this relative margin may be an artefact of double rounding; the
// brute-force prover leaves such inputs out of its claim so the checker never has to reject it.
constexpr double kFragileMargin = 1e-9;

// The innermost level: for every token t of the last free position, the numerators are
// N = S + rows[t] and the label is max(m, t). Counts N[label] > max_{x<label} N[x] together with
// N[label] >= (argmax, first index wins) or > (strict) max_{x>label} N[x].
// Every variant computes the same IEEE sums and exact maxima, so they count identically.
using InnermostFn = void (*)(const double* S, const double* rows, int64_t v, int64_t vo, int64_t m,
                             Counts& counts);

inline void judge(double correct, double below, double above, Counts& counts) {
  if (correct > below) {
    counts.argmax += correct >= above ? 1 : 0;
    counts.strict += correct > above ? 1 : 0;
    const double runner_up = std::max(below, above);
    counts.fragile += correct > runner_up &&
                              correct - runner_up <= kFragileMargin * (std::fabs(correct) + std::fabs(runner_up))
                          ? 1
                          : 0;
  }
}

double range_max_scalar(const double* S, const double* R, int64_t begin, int64_t end) {
  double best = kMinusInf;
  for (int64_t x = begin; x < end; ++x) best = std::max(best, S[x] + R[x]);
  return best;
}

[[maybe_unused]] void innermost_scalar(const double* S, const double* rows, int64_t v, int64_t vo, int64_t m,
                      Counts& counts) {
  for (int64_t t = 0; t < v; ++t) {
    const double* R = rows + t * vo;
    const int64_t label = std::max(m, t);
    judge(S[label] + R[label], range_max_scalar(S, R, 0, label),
          range_max_scalar(S, R, label + 1, vo), counts);
  }
}

#ifdef MECHCERT_X86
// SSE2 is part of x86-64, so this variant needs no run-time check.
double range_max_sse2(const double* S, const double* R, int64_t begin, int64_t end) {
  __m128d acc0 = _mm_set1_pd(kMinusInf);
  __m128d acc1 = acc0;
  int64_t x = begin;
  for (; x + 4 <= end; x += 4) {
    acc0 = _mm_max_pd(acc0, _mm_add_pd(_mm_loadu_pd(S + x), _mm_loadu_pd(R + x)));
    acc1 = _mm_max_pd(acc1, _mm_add_pd(_mm_loadu_pd(S + x + 2), _mm_loadu_pd(R + x + 2)));
  }
  alignas(16) double lanes[2];
  _mm_store_pd(lanes, _mm_max_pd(acc0, acc1));
  double best = std::max(lanes[0], lanes[1]);
  for (; x < end; ++x) best = std::max(best, S[x] + R[x]);
  return best;
}

void innermost_sse2(const double* S, const double* rows, int64_t v, int64_t vo, int64_t m,
                    Counts& counts) {
  for (int64_t t = 0; t < v; ++t) {
    const double* R = rows + t * vo;
    const int64_t label = std::max(m, t);
    judge(S[label] + R[label], range_max_sse2(S, R, 0, label), range_max_sse2(S, R, label + 1, vo),
          counts);
  }
}

__attribute__((target("avx2"))) double range_max_avx2(const double* S, const double* R,
                                                      int64_t begin, int64_t end) {
  __m256d acc0 = _mm256_set1_pd(kMinusInf);
  __m256d acc1 = acc0;
  int64_t x = begin;
  for (; x + 8 <= end; x += 8) {
    acc0 = _mm256_max_pd(acc0, _mm256_add_pd(_mm256_loadu_pd(S + x), _mm256_loadu_pd(R + x)));
    acc1 = _mm256_max_pd(acc1,
                         _mm256_add_pd(_mm256_loadu_pd(S + x + 4), _mm256_loadu_pd(R + x + 4)));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_max_pd(acc0, acc1));
  double best = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
  for (; x < end; ++x) best = std::max(best, S[x] + R[x]);
  return best;
}

__attribute__((target("avx2"))) void innermost_avx2(const double* S, const double* rows, int64_t v,
                                                    int64_t vo, int64_t m, Counts& counts) {
  for (int64_t t = 0; t < v; ++t) {
    const double* R = rows + t * vo;
    const int64_t label = std::max(m, t);
    judge(S[label] + R[label], range_max_avx2(S, R, 0, label), range_max_avx2(S, R, label + 1, vo),
          counts);
  }
}
#endif

InnermostFn pick_innermost() {
#ifdef MECHCERT_X86
  if (__builtin_cpu_supports("avx2")) return innermost_avx2;
  return innermost_sse2;
#else
  return innermost_scalar;
#endif
}

// Everything the workers share (read-only once built).
struct Problem {
  const PathTables* tables = nullptr;
  int64_t v = 0;
  int64_t k = 0;
  int64_t vo = 0;
  int64_t prefix_len = 0;       // j: a work item fixes q and t_0..t_{j-1}
  uint64_t items = 0;           // v^(j+1)
  uint64_t inputs_per_item = 0; // v^(k-1-j)
  std::vector<double> shift;    // per query: max score over every (position, token)
  InnermostFn innermost = nullptr;
  // Sharp queries (SPEC §3.8): scores spanning more than a band, enumerated band by band.
  std::vector<uint8_t> sharp;              // per query
  struct SharpQuery {
    int64_t q = 0;
    std::vector<DoubleDouble> score;       // per cell p*v + t (cells of position k-1: only t = q)
    std::vector<int> band;                 // per cell: band index (0 = largest), -1 = no input
    std::vector<size_t> top;               // per band: the cell with its largest score
    int query_band = 0;
  };
  std::vector<SharpQuery> sharp_queries;
  std::vector<std::pair<size_t, int>> sharp_items;  // (index into sharp_queries, band)
  uint64_t item_begin = 0, item_end = 0;  // the range's work items (query-major, SPEC 4.6)
};

// Width of a band of scores, in units of the exp argument: the largest weight of every input
// tested with its band's shift is >= e^-300, far from underflow.
constexpr double kBandWidth = 300.0;

// Per-thread tables for one query q:
//   rows[(p·v + t)·vo + x] = w(q,p,t)·(EU[q,x] + EVOU[t,x] + PVOU[p,x])   for p < k-1,
//   base[x]                = w(q,k-1,q)·(EU[q,x] + EVOU[q,x] + PVOU[k-1,x])  (the query itself),
// with w(q,p,t) = exp((EQKE[q,t] + EQKP[q,p]) / scale - shift[q]).
struct QueryTables {
  int64_t q = -1;
  std::vector<double> base;
  std::vector<double> rows;
};

void build_query_tables(const Problem& pr, int64_t q, QueryTables& qt) {
  const PathTables& t = *pr.tables;
  const auto qi = static_cast<Eigen::Index>(q);
  qt.q = q;
  qt.base.assign(static_cast<size_t>(pr.vo), 0.0);
  qt.rows.assign(static_cast<size_t>((pr.k - 1) * pr.v * pr.vo), 0.0);
  const auto fill = [&](double* out, int64_t p, int64_t token) {
    const auto pi = static_cast<Eigen::Index>(p);
    const auto ti = static_cast<Eigen::Index>(token);
    const double weight = std::exp((t.EQKE(qi, ti) + t.EQKP(qi, pi)) / t.scale - pr.shift[q]);
    for (Eigen::Index x = 0; x < static_cast<Eigen::Index>(pr.vo); ++x) {
      out[x] = weight * (t.EU(qi, x) + t.EVOU(ti, x) + t.PVOU(pi, x));
    }
  };
  fill(qt.base.data(), pr.k - 1, q);
  for (int64_t p = 0; p + 1 < pr.k; ++p) {
    for (int64_t token = 0; token < pr.v; ++token) {
      fill(qt.rows.data() + (p * pr.v + token) * pr.vo, p, token);
    }
  }
}

struct Worker {
  const Problem* pr;
  QueryTables qt;
  std::vector<std::vector<double>> sums;  // sums[p]: prefix through position p
  Counts counts;

  explicit Worker(const Problem& problem)
      : pr(&problem),
        sums(static_cast<size_t>(std::max<int64_t>(problem.k, 1)),
             std::vector<double>(static_cast<size_t>(problem.vo))) {}

  const double* row(int64_t p, int64_t token) const {
    return qt.rows.data() + (p * pr->v + token) * pr->vo;
  }

  // S = numerators through position p-1; m = largest token so far; p = next free position.
  void enumerate(int64_t p, const double* S, int64_t m) {
    if (p == pr->k - 2) {
      pr->innermost(S, row(p, 0), pr->v, pr->vo, m, counts);
      return;
    }
    double* next = sums[static_cast<size_t>(p)].data();
    for (int64_t token = 0; token < pr->v; ++token) {
      const double* R = row(p, token);
      for (int64_t x = 0; x < pr->vo; ++x) next[x] = S[x] + R[x];
      enumerate(p + 1, next, std::max(m, token));
    }
  }

  // Band b of a sharp query (SPEC §3.8): tables shifted by the band's largest score; cells of
  // higher bands are never used here. Weights of far lower cells underflow to 0 harmlessly.
  void build_band_tables(const Problem::SharpQuery& sq, int b) {
    const PathTables& t = *pr->tables;
    const auto qi = static_cast<Eigen::Index>(sq.q);
    qt.q = -1;  // the regular tables of this worker are overwritten
    qt.base.assign(static_cast<size_t>(pr->vo), 0.0);
    qt.rows.assign(static_cast<size_t>((pr->k - 1) * pr->v * pr->vo), 0.0);
    const DoubleDouble sigma = sq.score[sq.top[static_cast<size_t>(b)]];
    const auto fill = [&](double* out, int64_t p, int64_t token) {
      const size_t cell = static_cast<size_t>(p * pr->v + token);
      if (sq.band[cell] < b) return;
      const double weight = std::exp(dd_difference(sq.score[cell], sigma) / t.scale);
      const auto pi = static_cast<Eigen::Index>(p);
      const auto ti = static_cast<Eigen::Index>(token);
      for (Eigen::Index x = 0; x < static_cast<Eigen::Index>(pr->vo); ++x)
        out[x] = weight * (t.EU(qi, x) + t.EVOU(ti, x) + t.PVOU(pi, x));
    };
    fill(qt.base.data(), pr->k - 1, sq.q);
    for (int64_t p = 0; p + 1 < pr->k; ++p)
      for (int64_t token = 0; token < pr->v; ++token)
        fill(qt.rows.data() + (p * pr->v + token) * pr->vo, p, token);
  }

  // Inputs of band b: every free cell in band >= b, some cell (query's or free) in band b.
  // `item`: q and t_0..t_{p-1} as a work-item index while p <= prefix_len; inputs whose item is
  // outside the range are skipped.
  void enumerate_band(const Problem::SharpQuery& sq, int b, int64_t p, const double* S, int64_t m,
                      bool hit, uint64_t item) {
    if (p == pr->prefix_len && !(item >= pr->item_begin && item < pr->item_end)) return;
    bool later = hit;
    for (int64_t r = p; r + 1 < pr->k && !later; ++r)
      for (int64_t token = 0; token < pr->v && !later; ++token)
        later = sq.band[static_cast<size_t>(r * pr->v + token)] == b;
    if (!later) return;
    double* next = sums[static_cast<size_t>(p)].data();
    for (int64_t token = 0; token < pr->v; ++token) {
      const int cb = sq.band[static_cast<size_t>(p * pr->v + token)];
      if (cb < b) continue;
      const bool now = hit || cb == b;
      const double* R = row(p, token);
      if (p == pr->k - 2) {
        if (!now) continue;
        const int64_t label = std::max(m, token);
        judge(S[label] + R[label], range_max_scalar(S, R, 0, label),
              range_max_scalar(S, R, label + 1, pr->vo), counts);
        continue;
      }
      for (int64_t x = 0; x < pr->vo; ++x) next[x] = S[x] + R[x];
      enumerate_band(sq, b, p + 1, next, std::max(m, token), now,
                     p < pr->prefix_len ? item * static_cast<uint64_t>(pr->v) + static_cast<uint64_t>(token)
                                        : item);
    }
  }

  void run_sharp_item(size_t index) {
    const auto [which, b] = pr->sharp_items[index];
    const Problem::SharpQuery& sq = pr->sharp_queries[which];
    build_band_tables(sq, b);
    const bool hit = sq.query_band == b;
    const double* S = qt.base.data();
    if (pr->k == 1) {
      if (!hit) return;
      double below = kMinusInf, above = kMinusInf;
      for (int64_t x = 0; x < sq.q; ++x) below = std::max(below, S[x]);
      for (int64_t x = sq.q + 1; x < pr->vo; ++x) above = std::max(above, S[x]);
      judge(S[sq.q], below, above, counts);
      return;
    }
    enumerate_band(sq, b, 0, S, sq.q, hit, static_cast<uint64_t>(sq.q));
  }

  void run_item(uint64_t item) {
    if (item >= pr->items) {
      run_sharp_item(static_cast<size_t>(item - pr->items));
      return;
    }
    // Decode: q is the most significant digit, then t_0 .. t_{j-1}.
    std::vector<int64_t> digits(static_cast<size_t>(pr->prefix_len + 1));
    for (int64_t i = pr->prefix_len; i >= 0; --i) {
      digits[static_cast<size_t>(i)] = static_cast<int64_t>(item % static_cast<uint64_t>(pr->v));
      item /= static_cast<uint64_t>(pr->v);
    }
    const int64_t q = digits[0];
    if (pr->sharp[static_cast<size_t>(q)]) return;  // enumerated band by band (run_sharp_item)
    if (qt.q != q) build_query_tables(*pr, q, qt);
    if (pr->k == 1) {  // the input is just (q)
      const double* S = qt.base.data();
      double below = kMinusInf, above = kMinusInf;
      for (int64_t x = 0; x < q; ++x) below = std::max(below, S[x]);
      for (int64_t x = q + 1; x < pr->vo; ++x) above = std::max(above, S[x]);
      judge(S[q], below, above, counts);
      return;
    }
    const double* S = qt.base.data();
    int64_t m = q;
    for (int64_t p = 0; p < pr->prefix_len; ++p) {
      const int64_t token = digits[static_cast<size_t>(p + 1)];
      double* next = sums[static_cast<size_t>(p)].data();
      const double* R = row(p, token);
      for (int64_t x = 0; x < pr->vo; ++x) next[x] = S[x] + R[x];
      S = next;
      m = std::max(m, token);
    }
    enumerate(pr->prefix_len, S, m);
  }
};

uint64_t checked_power(int64_t base, int64_t exponent, uint64_t limit, bool& over) {
  uint64_t result = 1;
  over = false;
  for (int64_t i = 0; i < exponent; ++i) {
    if (result > limit / static_cast<uint64_t>(base)) {
      over = true;
      return 0;
    }
    result *= static_cast<uint64_t>(base);
  }
  return result;
}

// Work items fix q and the first j tokens; at least one free position stays for the kernel,
// and at most 2^16 items keep the per-item overhead small.
int64_t work_item_prefix_len(const ModelWeights& w) {
  int64_t prefix_len = 0;
  while (prefix_len + 2 <= w.k - 1) {
    bool too_many = false;
    checked_power(w.v, prefix_len + 2, uint64_t{1} << 16, too_many);
    if (too_many) break;
    ++prefix_len;
  }
  return prefix_len;
}

}  // namespace

uint64_t eval_range_unit(const ModelWeights& w) {
  bool over = false;
  return checked_power(w.v, w.k - 1 - work_item_prefix_len(w), kMaxEvalInputs, over);
}

EvalResult evaluate_exact(const ModelWeights& w, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_shapes(w);
  if (w.task != "max-of-k") {
    throw std::invalid_argument("eval: task '" + w.task + "' is not supported (only max-of-k)");
  }
  if (w.v_out < w.v) {
    throw std::invalid_argument("eval: max-of-k needs v_out >= v (v=" + std::to_string(w.v) +
                                ", v_out=" + std::to_string(w.v_out) + ")");
  }
  bool over = false;
  const uint64_t total = checked_power(w.v, w.k, kMaxEvalInputs, over);
  if (over) {
    throw std::invalid_argument("eval: v^k = " + std::to_string(w.v) + "^" + std::to_string(w.k) +
                                " inputs is more than 2^40; exact enumeration refused");
  }

  const PathTables tables = compute_path_tables(w, BiasPolicy::Fold);
  Problem pr;
  pr.tables = &tables;
  pr.v = w.v;
  pr.k = w.k;
  pr.vo = w.v_out;
  pr.innermost = pick_innermost();
  pr.prefix_len = work_item_prefix_len(w);
  pr.items = checked_power(w.v, pr.prefix_len + 1, kMaxEvalInputs, over);
  pr.inputs_per_item = total / pr.items;
  // Item i holds the inputs [i, i+1) * inputs_per_item of the query-major order (q most significant).
  const uint64_t range_end = options.end == 0 ? total : options.end;
  if (!(options.begin < range_end && range_end <= total) || options.begin % pr.inputs_per_item != 0 ||
      range_end % pr.inputs_per_item != 0)
    throw std::invalid_argument("eval: input range [" + std::to_string(options.begin) + ", " +
                                std::to_string(range_end) + ") is empty, beyond v^k or not a multiple of " +
                                std::to_string(pr.inputs_per_item));
  const uint64_t item_begin = options.begin / pr.inputs_per_item;
  const uint64_t item_end = range_end / pr.inputs_per_item;
  pr.item_begin = item_begin;
  pr.item_end = item_end;

  // Per-query shift = largest score, so every weight is <= 1. A query whose scores span more
  // than a band, or are so large that double products lose units of the exp argument, is sharp:
  // it is enumerated band by band with scores accurate to ~1e-16 of their differences (§3.8).
  pr.shift.resize(static_cast<size_t>(w.v));
  pr.sharp.assign(static_cast<size_t>(w.v), 0);
  bool any_sharp = false;
  for (Eigen::Index q = 0; q < static_cast<Eigen::Index>(w.v); ++q) {
    const double self = (tables.EQKE(q, q) + tables.EQKP(q, w.k - 1)) / tables.scale;
    double shift = self, lowest = self, largest = std::fabs(self);
    for (Eigen::Index p = 0; p + 1 < static_cast<Eigen::Index>(w.k); ++p) {
      for (Eigen::Index t = 0; t < static_cast<Eigen::Index>(w.v); ++t) {
        const double score = (tables.EQKE(q, t) + tables.EQKP(q, p)) / tables.scale;
        shift = std::max(shift, score);
        lowest = std::min(lowest, score);
        largest = std::max(largest, std::fabs(score));
      }
    }
    pr.shift[static_cast<size_t>(q)] = shift;
    const bool sharp = !(shift - lowest <= kBandWidth) || !(largest <= 4096.0);
    pr.sharp[static_cast<size_t>(q)] = sharp;
    any_sharp = any_sharp || sharp;
  }
  if (any_sharp) {
    const PreciseScores precise = precise_scores(w);
    for (int64_t q = 0; q < w.v; ++q) {
      if (!pr.sharp[static_cast<size_t>(q)]) continue;
      Problem::SharpQuery sq;
      sq.q = q;
      const int64_t n = w.k * w.v;
      sq.score.resize(static_cast<size_t>(n));
      sq.band.assign(static_cast<size_t>(n), -1);
      std::vector<size_t> cells;
      for (int64_t p = 0; p < w.k; ++p)
        for (int64_t t = 0; t < w.v; ++t) {
          if (p == w.k - 1 && t != q) continue;
          const size_t cell = static_cast<size_t>(p * w.v + t);
          sq.score[cell] = precise.cell(q, p, t);
          cells.push_back(cell);
        }
      std::stable_sort(cells.begin(), cells.end(), [&](size_t a, size_t b) {
        return dd_difference(sq.score[a], sq.score[b]) > 0;
      });
      for (const size_t c : cells) {
        if (sq.top.empty() ||
            dd_difference(sq.score[sq.top.back()], sq.score[c]) / tables.scale > kBandWidth)
          sq.top.push_back(c);
        sq.band[c] = static_cast<int>(sq.top.size()) - 1;
      }
      sq.query_band = sq.band[static_cast<size_t>((w.k - 1) * w.v + q)];
      const uint64_t items_per_query = pr.items / static_cast<uint64_t>(w.v);
      const auto qq = static_cast<uint64_t>(q);
      if (qq >= item_begin / items_per_query && qq <= (item_end - 1) / items_per_query)
        for (int b = 0; b <= sq.query_band; ++b)
          pr.sharp_items.emplace_back(pr.sharp_queries.size(), b);
      pr.sharp_queries.push_back(std::move(sq));
    }
  }
  // Work: the range's items, then the bands of its sharp queries (restricted to the range's items).
  const uint64_t work_items = (item_end - item_begin) + pr.sharp_items.size();

  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(std::min<uint64_t>(work_items, 1024))));

  std::atomic<uint64_t> next_item{0};
  std::atomic<uint64_t> items_done{0};
  std::vector<Counts> per_thread(static_cast<size_t>(threads));
  std::mutex mutex;
  std::condition_variable finished;
  int running = threads;

  auto work = [&](size_t index) {
    Worker worker(pr);
    for (uint64_t i = next_item.fetch_add(1); i < work_items; i = next_item.fetch_add(1)) {
      const uint64_t range_items = item_end - item_begin;
      const uint64_t item = i < range_items ? item_begin + i : pr.items + (i - range_items);
      worker.run_item(item);
      items_done.fetch_add(1, std::memory_order_relaxed);
    }
    per_thread[index] = worker.counts;
    std::lock_guard<std::mutex> lock(mutex);
    if (--running == 0) finished.notify_all();
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(work, static_cast<size_t>(i));

  {
    std::unique_lock<std::mutex> lock(mutex);
    double last_print = 0.0;
    while (!finished.wait_for(lock, std::chrono::milliseconds(200), [&] { return running == 0; })) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!options.progress || elapsed < 3.0 || elapsed - last_print < 5.0) continue;
      last_print = elapsed;
      const double fraction =
          static_cast<double>(items_done.load()) / static_cast<double>(work_items);
      std::fprintf(stderr, "eval: %5.1f%% of %llu inputs, %.1f s elapsed, ~%.0f s left\n",
                   100.0 * fraction, static_cast<unsigned long long>(total), elapsed,
                   fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0);
    }
  }
  for (auto& thread : pool) thread.join();

  EvalResult result;
  result.total = total;
  for (const Counts& c : per_thread) {
    result.argmax_correct += c.argmax;
    result.strict_correct += c.strict;
    result.fragile_correct += c.fragile;
  }
  result.threads = threads;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace mechcert
