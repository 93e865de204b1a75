#include "generator/residue_walk.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <thread>

namespace mechcert {
namespace {

constexpr double kMargin = 1e-9;  // the brute-force prover's rule for a robust strict win

// A cubic row as a bit set over n < m.
struct Row {
  int64_t size = 0;
  std::vector<uint64_t> bits;
  bool contains(int64_t n) const { return (bits[static_cast<size_t>(n >> 6)] >> (n & 63)) & 1u; }
};

Row decode_row(const CubicRow& r) {
  Row out;
  out.size = r.certified;
  if (r.c == 0) return out;
  out.bits.assign(static_cast<size_t>((r.m + 63) / 64), 0);
  const size_t digits = r.mask.size();
  for (size_t d = 0; d < digits; ++d) {
    const char ch = r.mask[digits - 1 - d];
    const unsigned value = static_cast<unsigned>(ch <= '9' ? ch - '0' : ch - 'a' + 10);
    for (unsigned b = 0; b < 4; ++b)
      if ((value >> b) & 1u) {
        const size_t n = 4 * d + b;
        out.bits[n / 64] |= uint64_t{1} << (n % 64);
      }
  }
  return out;
}

struct Top2 {
  double first = -HUGE_VAL, second = -HUGE_VAL;
  int64_t at = -1;
  double except(int64_t m) const { return at == m ? second : first; }
};

// Float tables of one query (evaluate.cpp's): row(p, t)[x] = w(q,p,t)·(EU[q,x] + EVOU[t,x] +
// PVOU[p,x]), shifted by the query's largest score; the query position's row is `base`.
struct FloatQuery {
  int64_t v = 0, vo = 0, k = 0;
  std::vector<double> rows, base;  // [(k-1)·v, vo], [vo]
  std::vector<Top2> top;           // [(k-1)·v]
  std::vector<uint64_t> compares;  // [(k-1)·v]: comparisons of each row's top-2 scan
  uint64_t base_compares = 0;
  Top2 base_top;
  const double* row(int64_t p, int64_t t) const { return &rows[static_cast<size_t>((p * v + t) * vo)]; }
};

Top2 top2(const double* r, int64_t n, uint64_t& compares) {
  Top2 t;
  compares += static_cast<uint64_t>(n);
  for (int64_t x = 0; x < n; ++x) {
    if (!(r[x] > t.first)) ++compares;
    if (r[x] > t.first) {
      t.second = t.first;
      t.first = r[x];
      t.at = x;
    } else if (r[x] > t.second) {
      t.second = r[x];
    }
  }
  return t;
}

// False if the query's scores span more than one band (SPEC 3.8): not walked here.
bool build_float_query(const PathTables& T, int64_t q, FloatQuery& f) {
  const int64_t v = T.v, k = T.k, vo = T.v_out;
  const auto qi = static_cast<Eigen::Index>(q);
  const double self = (T.EQKE(qi, qi) + T.EQKP(qi, k - 1)) / T.scale;
  double shift = self, lowest = self, largest = std::fabs(self);
  for (int64_t p = 0; p + 1 < k; ++p)
    for (int64_t t = 0; t < v; ++t) {
      const double s = (T.EQKE(qi, t) + T.EQKP(qi, p)) / T.scale;
      shift = std::max(shift, s);
      lowest = std::min(lowest, s);
      largest = std::max(largest, std::fabs(s));
    }
  if (!(shift - lowest <= 300.0) || !(largest <= 4096.0)) return false;
  f.v = v, f.vo = vo, f.k = k;
  f.rows.assign(static_cast<size_t>((k - 1) * v * vo), 0.0);
  f.base.assign(static_cast<size_t>(vo), 0.0);
  f.top.resize(static_cast<size_t>((k - 1) * v));
  f.compares.assign(static_cast<size_t>((k - 1) * v), 0);
  f.base_compares = 0;
  const auto fill = [&](double* out, int64_t p, int64_t t) {
    const double wgt = std::exp((T.EQKE(qi, t) + T.EQKP(qi, p)) / T.scale - shift);
    for (int64_t x = 0; x < vo; ++x) out[x] = wgt * (T.EU(qi, x) + T.EVOU(t, x) + T.PVOU(p, x));
  };
  fill(f.base.data(), k - 1, q);
  f.base_top = top2(f.base.data(), vo, f.base_compares);
  for (int64_t p = 0; p + 1 < k; ++p)
    for (int64_t t = 0; t < v; ++t) {
      double* r = &f.rows[static_cast<size_t>((p * v + t) * vo)];
      fill(r, p, t);
      f.top[static_cast<size_t>(p * v + t)] = top2(r, vo, f.compares[static_cast<size_t>(p * v + t)]);
    }
  return true;
}

// checker/hybrid.cpp's LemmaBVisitor in floats: quick bound first, full test on lazily formed sums.
struct FloatVisitor {
  const FloatQuery& f;
  std::vector<double> sums, bound, nm;  // [k, vo], [k], [k]
  std::vector<int64_t> pos, token;
  int64_t depth = 0, materialised = 0, m = 0;
  bool have_level_max = false;
  double level_max = 0;
  ResidueCaseStats* s = nullptr;

  explicit FloatVisitor(const FloatQuery& fq)
      : f(fq), sums(static_cast<size_t>(fq.k * fq.vo)), bound(static_cast<size_t>(fq.k)),
        nm(static_cast<size_t>(fq.k)), pos(static_cast<size_t>(fq.k)), token(static_cast<size_t>(fq.k)) {
    std::copy(f.base.begin(), f.base.end(), sums.begin());
  }
  double* level(int64_t j) { return &sums[static_cast<size_t>(j * f.vo)]; }
  void begin_max(int64_t max_token, ResidueCaseStats* stats) {
    m = max_token;
    s = stats;
    depth = materialised = 0;
    have_level_max = false;
    bound[0] = f.base_top.except(m);
    nm[0] = f.base[static_cast<size_t>(m)];
  }
  void push(int64_t p, int64_t tok) {
    const auto j = static_cast<size_t>(depth);
    bound[j + 1] = bound[j] + f.top[static_cast<size_t>(p * f.v + tok)].except(m);
    nm[j + 1] = nm[j] + f.row(p, tok)[m];
    pos[j] = p;
    token[j] = tok;
    ++depth;
    if (materialised > depth - 1) materialised = depth - 1;
    have_level_max = false;
    ++s->prefixes;
  }
  void pop() {
    --depth;
    if (materialised > depth) materialised = depth;
    have_level_max = false;
  }
  void leaf(int64_t p, int64_t tok) {
    ++s->inputs;
    const auto j = static_cast<size_t>(depth);
    const double* r = f.row(p, tok);
    const double correct = nm[j] + r[m];
    const double above = bound[j] + f.top[static_cast<size_t>(p * f.v + tok)].except(m);
    if (correct - above > kMargin * (std::fabs(correct) + std::fabs(above))) {
      ++s->correct;
      return;
    }
    for (; materialised < depth; ++materialised) {
      const auto i = static_cast<size_t>(materialised);
      const double* cur = level(materialised);
      double* nxt = level(materialised + 1);
      const double* ru = f.row(pos[i], token[i]);
      for (int64_t x = 0; x < f.vo; ++x) nxt[x] = cur[x] + ru[x];
      ++s->sum_vectors;
    }
    const double* cur = level(depth);
    if (!have_level_max) {  // the checker's Lemma H3
      level_max = -HUGE_VAL;
      for (int64_t x = 0; x < f.vo; ++x)
        if (x != m) level_max = std::max(level_max, cur[x]);
      have_level_max = true;
      ++s->max_vectors;
    }
    ++s->second_tests;
    const double second = level_max + f.top[static_cast<size_t>(p * f.v + tok)].except(m);
    if (correct - second > kMargin * (std::fabs(correct) + std::fabs(second))) {
      ++s->correct;
      return;
    }
    ++s->full_tests;
    double runner_up = -HUGE_VAL;
    for (int64_t x = 0; x < f.vo; ++x)
      if (x != m) runner_up = std::max(runner_up, cur[x] + r[x]);
    const double win = cur[m] + r[m];
    if (win > runner_up && win - runner_up > kMargin * (std::fabs(win) + std::fabs(runner_up)))
      ++s->correct;
  }
};

// checker/hybrid.cpp's ResidueWalk (SPEC 10.3), same pruning and the same step counts.
class Walk {
 public:
  Walk(const std::vector<const Row*>& index, int64_t v, int64_t k, int64_t q, FloatVisitor& visit)
      : index_(index), v_(v), k_(k), q_(q), visit_(visit), row_(static_cast<size_t>(k)),
        in_(static_cast<size_t>(k * k)) {}

  void run(int64_t m, ResidueCaseStats& s) {
    s_ = &s;
    m_ = m;
    cmax_ = q_ == m ? k_ - 1 : k_ - 2;
    for (int64_t c = 0; c < k_; ++c) {
      row_[static_cast<size_t>(c)] = c <= cmax_ ? index_[static_cast<size_t>((m * v_ + q_) * k_ + c)] : nullptr;
      in_[static_cast<size_t>(c)] = 1;
    }
    uint64_t root = 0;  // charged per query (SPEC 10.5)
    if (!residue_below(0, 0, in_.data(), root)) return;
    visit_.begin_max(m, &s);
    walk(0, 0);
  }

 private:
  // `tests` counts the completions b examined (SPEC 10.5).
  bool residue_below(int64_t j, int64_t a, const uint8_t* in, uint64_t& tests) const {
    const int64_t free = k_ - 1 - j;
    for (int64_t b = 0; b <= free; ++b) {
      ++tests;
      const int64_t c = a + b;
      if (c > cmax_ || (b >= 1 && m_ == 0)) break;
      const Row* row = row_[static_cast<size_t>(c)];
      if (!row || !in[c] || (b >= 1 && row->size < m_)) return true;
    }
    return false;
  }
  void outside(const Row* row, int64_t j, bool leaves, int64_t a2) {
    for (size_t word = 0; word < row->bits.size(); ++word) {
      ++s_->leaf_steps;
      uint64_t out = ~row->bits[word];
      const int64_t base = static_cast<int64_t>(word) * 64;
      if (m_ - base < 64) out &= (uint64_t{1} << (m_ - base)) - 1;
      for (; out != 0; out &= out - 1) {
        const int64_t tok = base + __builtin_ctzll(out);
        if (leaves) {
          ++s_->leaf_steps;
          visit_.leaf(j, tok);
        } else {
          enter(j, tok, a2);
        }
      }
    }
  }
  void enter(int64_t j, int64_t tok, int64_t a2) {
    const uint8_t* in = &in_[static_cast<size_t>(j * k_)];
    uint8_t* next = &in_[static_cast<size_t>((j + 1) * k_)];
    // Only the flags c >= a2 are read below (c counts the non-max values so far).
    for (int64_t c = a2; c <= cmax_; ++c) {
      const Row* row = row_[static_cast<size_t>(c)];
      next[c] = tok == m_ ? in[c] : (row && in[c] && row->contains(tok));
    }
    s_->inner_steps += static_cast<uint64_t>(cmax_ - a2 + 1);
    if (!residue_below(j + 1, a2, next, s_->inner_steps)) return;
    visit_.push(j, tok);
    walk(j + 1, a2);
    visit_.pop();
  }
  void walk(int64_t j, int64_t a) {
    const uint8_t* in = &in_[static_cast<size_t>(j * k_)];
    if (j == k_ - 2) {
      ++s_->leaf_steps;
      const Row* row_m = row_[static_cast<size_t>(a)];
      if (!(row_m && in[a])) visit_.leaf(j, m_);
      const int64_t c = a + 1;
      if (c > cmax_ || m_ == 0) return;
      const Row* row = row_[static_cast<size_t>(c)];
      if (!row || !in[c]) {
        s_->leaf_steps += static_cast<uint64_t>(m_);
        for (int64_t tok = 0; tok < m_; ++tok) visit_.leaf(j, tok);
        return;
      }
      outside(row, j, true, 0);
      return;
    }
    enter(j, m_, a);
    const int64_t a2 = a + 1;
    if (a2 > cmax_ || m_ == 0) return;
    const int64_t free = k_ - 2 - j;
    bool every = false;
    for (int64_t b = 0; b <= free && a2 + b <= cmax_ && !every; ++b) {
      ++s_->inner_steps;
      const Row* row = row_[static_cast<size_t>(a2 + b)];
      every = !row || !in[a2 + b] || (b >= 1 && row->size < m_);
    }
    if (every) {
      for (int64_t tok = 0; tok < m_; ++tok) enter(j, tok, a2);
      return;
    }
    outside(row_[static_cast<size_t>(a2)], j, false, a2);
  }

  const std::vector<const Row*>& index_;
  const int64_t v_, k_, q_;
  FloatVisitor& visit_;
  ResidueCaseStats* s_ = nullptr;
  int64_t m_ = 0, cmax_ = 0;
  std::vector<const Row*> row_;
  std::vector<uint8_t> in_;
};

}  // namespace

uint64_t residue_query_table_ops(const ResidueWalkResult& w, int64_t q, int64_t max_token) {
  if (max_token < 0) return 0;
  // checker BruteForceTables::restricted_query_ops: n rows, each v_out up entries and
  // max_token - q + 1 neg entries (an add, a compare and a mul each); 2n exact_add, n exp.
  const auto n = static_cast<uint64_t>((w.k - 1) * (max_token + 1) + 1);
  const auto e = static_cast<uint64_t>(w.v_out + max_token - q + 1);
  return 3 * n + 3 * n * e + w.top2_compares[static_cast<size_t>(q * w.v + max_token)];
}

uint64_t residue_case_ops(const ResidueCaseStats& s, int64_t k, int64_t v_out) {
  const auto VO = static_cast<uint64_t>(v_out);
  (void)k;
  return s.prefixes * 2 + s.inputs * 2 + s.second_tests + s.full_tests * (VO + 2) +
         s.sum_vectors * VO                                                        // interval_add
         + s.inputs + s.max_vectors * VO + s.second_tests + s.full_tests * (VO + 1)  // compare
         + s.leaf_steps + s.inner_steps + s.inputs;                                      // int_op
}

ResidueWalkResult walk_residue(const PathTables& T, const std::vector<CubicRow>& rows,
                               const std::vector<uint8_t>* selected, int threads) {
  const int64_t v = T.v, k = T.k;
  if (k < 2) throw std::invalid_argument("residue walk: needs k >= 2");
  ResidueWalkResult out;
  out.v = v, out.k = k, out.v_out = T.v_out;
  out.cases.assign(static_cast<size_t>(v * v), {});
  out.sharp.assign(static_cast<size_t>(v), 0);
  out.top2_compares.assign(static_cast<size_t>(v * v), 0);
  std::vector<Row> decoded;
  decoded.reserve(rows.size());
  for (const CubicRow& r : rows) decoded.push_back(decode_row(r));
  std::vector<const Row*> index(static_cast<size_t>(v * v * k), nullptr);
  for (size_t i = 0; i < rows.size(); ++i)
    index[static_cast<size_t>((rows[i].m * v + rows[i].q) * k + rows[i].c)] = &decoded[i];

  auto wanted = [&](int64_t m, int64_t q) {
    return !selected || (*selected)[static_cast<size_t>(m * v + q)] != 0;
  };
  std::atomic<int64_t> next{0};
  auto work = [&] {
    FloatQuery f;
    for (int64_t q = next++; q < v; q = next++) {
      bool any = false;
      for (int64_t m = q; m < v && !any; ++m) any = wanted(m, q);
      if (!any) continue;
      if (!build_float_query(T, q, f)) {
        out.sharp[static_cast<size_t>(q)] = 1;
        continue;
      }
      uint64_t scan = f.base_compares;  // the query cell, then tokens 0..M at every position
      for (int64_t M = 0; M < v; ++M) {
        for (int64_t p = 0; p + 1 < k; ++p) scan += f.compares[static_cast<size_t>(p * v + M)];
        out.top2_compares[static_cast<size_t>(q * v + M)] = scan;
      }
      FloatVisitor visit(f);
      Walk walk(index, v, k, q, visit);
      for (int64_t m = q; m < v; ++m)
        if (wanted(m, q)) walk.run(m, out.cases[static_cast<size_t>(m * v + q)]);
    }
  };
  const int n = std::max(1, std::min<int>(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()),
                                          static_cast<int>(v)));
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return out;
}

}  // namespace mechcert
