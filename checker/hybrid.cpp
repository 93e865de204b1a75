#include "checker/hybrid.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "checker/brute_force.hpp"
#include "checker/counting.hpp"
#include "checker/cubic.hpp"
#include "checker/fp_environment.hpp"
#include "checker/parallel.hpp"
#include "format/exact_numbers.hpp"
#include "format/json_fields.hpp"

namespace mechcert {

ClassIndex::ClassIndex(const std::vector<CubicCase>& cases, int64_t v, int64_t k)
    : cases_(&cases), v_(v), k_(k), row_(static_cast<size_t>(v * v * k), -1) {
  if (cases.size() > static_cast<size_t>(INT32_MAX)) throw std::logic_error("hybrid: too many rows");
  for (size_t i = 0; i < cases.size(); ++i) {
    const CubicCase& cc = cases[i];
    int32_t& slot = row_[static_cast<size_t>((cc.m * v + cc.q) * k + cc.c)];
    if (slot >= 0) throw std::logic_error("hybrid: class listed twice");  // parse_cubic_cases forbids it
    slot = static_cast<int32_t>(i);
  }
}

namespace {

// SPEC 10.2: the residue of one query q, walked max token by max token. Within max m an input is
// (t_0, ..., t_{k-2}, q) with every t_p <= m; its class index is c = #{p < k-1 : t_p < m}
// (c <= cmax: k-1 if q = m, else k-2, which is "some t_p = m"), and it lies in a listed class iff
// the row (m, q, c) exists and every t_p < m is in its set S (c = 0: the row exists). A prefix
// t_0..t_{j-1} is entered only if some completion lies in the residue (`residue_below`), and a
// leaf is visited only if it lies in the residue: every residue input exactly once, no class
// input ever. `Visitor` gets push(p, tok) / pop() around each entered prefix and leaf(p, tok, m).
template <class Visitor>
class ResidueWalk {
 public:
  // `selected` ([m * v + q], SPEC 10.7): walk only the cases (m, q) it marks; nullptr: all.
  ResidueWalk(const ClassIndex& classes, int64_t q, Visitor& visit,
              const std::vector<uint8_t>* selected = nullptr)
      : cls_(classes), k_(classes.k()), q_(q), visit_(visit), selected_(selected),
        row_(static_cast<size_t>(k_)), in_(static_cast<size_t>(k_ * k_)) {}

  // The largest selected max token m >= q with a residue input, or -1. (Cheap: O(v·k).)
  int64_t max_token() {
    for (int64_t m = cls_.v() - 1; m >= q_; --m)
      if (start(m) && residue_below(0, 0, in_.data(), root_tests)) return m;
    return -1;
  }
  void run() {
    for (int64_t m = q_; m < cls_.v(); ++m)
      if (start(m) && residue_below(0, 0, in_.data(), root_tests)) {
        visit_.begin_max(m);
        walk(0, 0);
      }
  }
  // The integer work charged (SPEC 10.5): O(1) steps at the last position (a token, or a mask
  // word), O(k) steps above it (a child's class flags and its residue test).
  uint64_t leaf_steps = 0, inner_steps = 0;
  uint64_t root_tests = 0;  // the tests at the root of every m (charged per query as v·k)

 private:
  bool start(int64_t m) {
    if (selected_ && !(*selected_)[static_cast<size_t>(m * cls_.v() + q_)]) return false;
    m_ = m;
    cmax_ = q_ == m ? k_ - 1 : k_ - 2;
    for (int64_t c = 0; c < k_; ++c) {
      row_[static_cast<size_t>(c)] = c <= cmax_ ? cls_.find(m, q_, c) : nullptr;
      in_[static_cast<size_t>(c)] = 1;  // no non-max value yet: vacuously in every S
    }
    return true;
  }
  // Positions j..k-2 free, a non-max values so far, in[c] = all of them lie in S_c. True iff some
  // completion is a residue input: for b more non-max values (c = a + b <= cmax), the class row
  // is missing, or an earlier value is outside S_c, or (b >= 1) some value < m is outside S_c.
  // `tests` counts the completions b examined (SPEC 10.5).
  bool residue_below(int64_t j, int64_t a, const uint8_t* in, uint64_t& tests) const {
    const int64_t free = k_ - 1 - j;
    for (int64_t b = 0; b <= free; ++b) {
      ++tests;
      const int64_t c = a + b;
      if (c > cmax_ || (b >= 1 && m_ == 0)) break;  // no value < 0 exists
      const CubicCase* row = row_[static_cast<size_t>(c)];
      if (!row || !in[c] || (b >= 1 && row->size < m_)) return true;
    }
    return false;
  }
  void walk(int64_t j, int64_t a) {
    const uint8_t* in = &in_[static_cast<size_t>(j * k_)];
    if (j == k_ - 2) {  // last free position: the leaves
      ++leaf_steps;  // tok = m: the class of c = a
      const CubicCase* row_m = row_[static_cast<size_t>(a)];
      if (!(row_m && in[a])) visit_.leaf(j, m_, m_);
      const int64_t c = a + 1;  // tok < m
      if (c > cmax_ || m_ == 0) return;
      const CubicCase* row = row_[static_cast<size_t>(c)];
      if (!row || !in[c]) {  // no value < m completes a class input
        leaf_steps += static_cast<uint64_t>(m_);
        for (int64_t tok = 0; tok < m_; ++tok) visit_.leaf(j, tok, m_);
        return;
      }
      for (size_t word = 0; word < row->bits.size(); ++word) {  // the values outside S
        ++leaf_steps;
        uint64_t out = ~row->bits[word];
        const int64_t base = static_cast<int64_t>(word) * 64;
        if (m_ - base < 64) out &= (uint64_t{1} << (m_ - base)) - 1;  // only values < m
        for (; out != 0; out &= out - 1) {
          ++leaf_steps;
          visit_.leaf(j, base + __builtin_ctzll(out), m_);
        }
      }
      return;
    }
    uint8_t* next = &in_[static_cast<size_t>((j + 1) * k_)];
    auto enter = [&](int64_t tok, int64_t a2) {
      // Only the flags c >= a2 are read below (c counts the non-max values so far): the walk
      // reads in[c] at a level only for c >= its own count a.
      for (int64_t c = a2; c <= cmax_; ++c) {
        const CubicCase* row = row_[static_cast<size_t>(c)];
        next[c] = tok == m_ ? in[c] : (row && in[c] && row->contains(tok));
      }
      inner_steps += static_cast<uint64_t>(cmax_ - a2 + 1);
      if (!residue_below(j + 1, a2, next, inner_steps)) return;
      visit_.push(j, tok);
      walk(j + 1, a2);
      visit_.pop();
    };
    enter(m_, a);  // tok = m: same a
    const int64_t a2 = a + 1;  // tok < m
    if (a2 > cmax_ || m_ == 0) return;
    // Which tok < m can have a residue completion? If for some b >= 0 (c = a2 + b <= cmax) the row
    // is missing, an earlier value is outside S_c, or (b >= 1) S_c is not full, every tok may
    // (residue_below decides); otherwise exactly the tok outside S_{a2} (the b = 0 completion).
    const int64_t free = k_ - 2 - j;  // positions after j
    bool every = false;
    for (int64_t b = 0; b <= free && a2 + b <= cmax_ && !every; ++b) {
      ++inner_steps;
      const CubicCase* row = row_[static_cast<size_t>(a2 + b)];
      every = !row || !in[a2 + b] || (b >= 1 && row->size < m_);
    }
    if (every) {
      for (int64_t tok = 0; tok < m_; ++tok) enter(tok, a2);
      return;
    }
    const CubicCase* row = row_[static_cast<size_t>(a2)];
    for (size_t word = 0; word < row->bits.size(); ++word) {  // the values outside S_{a2}
      ++leaf_steps;
      uint64_t out = ~row->bits[word];
      const int64_t base = static_cast<int64_t>(word) * 64;
      if (m_ - base < 64) out &= (uint64_t{1} << (m_ - base)) - 1;
      for (; out != 0; out &= out - 1) enter(base + __builtin_ctzll(out), a2);
    }
  }

  const ClassIndex& cls_;
  const int64_t k_, q_;
  Visitor& visit_;
  const std::vector<uint8_t>* selected_;
  int64_t m_ = 0, cmax_ = 0;
  std::vector<const CubicCase*> row_;  // [k]: the row of (m, q, c) or nullptr
  std::vector<uint8_t> in_;            // [k, k]: in_[j*k + c] for the prefix of length j
};

// Largest and second largest entry of a row and where the largest is: max_{x != m} in O(1).
struct Top2 {
  double first = -HUGE_VAL, second = -HUGE_VAL;
  int64_t at = -1;
  double except(int64_t m) const { return at == m ? second : first; }
};
// `compares` counts the comparisons made (1 or 2 per entry). A NaN entry (a row that was not
// built, SPEC 10.4 step 3) makes both +inf, so no quick bound certifies anything with it.
Top2 top2(const double* row, int64_t n, uint64_t& compares) {
  Top2 t;
  compares += static_cast<uint64_t>(n);
  for (int64_t x = 0; x < n; ++x) {
    if (std::isnan(row[x])) return Top2{HUGE_VAL, HUGE_VAL, -1};
    if (!(row[x] > t.first)) ++compares;
    if (row[x] > t.first) {
      t.second = t.first;
      t.first = row[x];
      t.at = x;
    } else if (row[x] > t.second) {
      t.second = row[x];
    }
  }
  return t;
}

// Leaves decided by Lemma B on prefix sums (SPEC 4.3 step 5, 10.4): level j holds the rounded-up
// sums of the query position's rows and positions 0..j-1 -- materialised only when a leaf below
// needs them -- and, always, bound[j] >= max_{x != m} of those sums and neg[j] (entry m of the
// neg sums). A leaf whose quick bound up(bound + max_{x != m} row) is below the threshold is
// certified without its sums (Lemma H2); the others get the full test of Lemma B, on exactly the
// sums the eager computation would have formed. PRECONDITION: FE_UPWARD.
struct LemmaBVisitor {
  const BruteForceQueryTables& t;
  int64_t k, q;
  std::vector<Top2> rows;     // [k*v]: top2 of every up row
  std::vector<double> sums;   // [k, vo]: up sums per level (valid up to `materialised`)
  std::vector<double> bound, neg_m;  // [k]
  std::vector<double> neg_buffer;    // [vo]: only entry m is meaningful
  std::vector<int64_t> pos, token;   // [k]: what level j+1 added
  int64_t depth = 0, materialised = 0, m = 0;
  bool have_level_max = false;  // level_max holds max_{x != m} of level(depth)
  double level_max = 0;
  uint64_t prefixes = 0, leaves = 0, certified = 0, full_tests = 0, sum_vectors = 0, max_vectors = 0,
           second_tests = 0, top2_compares = 0;

  // Tables built for the inputs whose tokens are all <= max_token (BruteForceTables::query).
  LemmaBVisitor(const BruteForceQueryTables& tables, int64_t k_, int64_t q_, int64_t max_token)
      : t(tables), k(k_), q(q_), rows(static_cast<size_t>(k_ * tables.v)),
        sums(static_cast<size_t>(k_ * tables.vo)), bound(static_cast<size_t>(k_)),
        neg_m(static_cast<size_t>(k_)), neg_buffer(static_cast<size_t>(tables.vo)), pos(static_cast<size_t>(k_)), token(static_cast<size_t>(k_)) {
    for (int64_t p = 0; p + 1 < k; ++p)
      for (int64_t tok = 0; tok <= max_token; ++tok)
        rows[static_cast<size_t>(p * t.v + tok)] = top2(t.up_row(p, tok), t.vo, top2_compares);
    rows[static_cast<size_t>((k - 1) * t.v + q)] = top2(t.up_row(k - 1, q), t.vo, top2_compares);
    const double* up = t.up_row(k - 1, q);
    for (int64_t x = 0; x < t.vo; ++x) sums[static_cast<size_t>(x)] = up[x];
  }
  double* level(int64_t j) { return &sums[static_cast<size_t>(j * t.vo)]; }
  const Top2& row_top(int64_t p, int64_t tok) const { return rows[static_cast<size_t>(p * t.v + tok)]; }
  void begin_max(int64_t max_token) {
    m = max_token;
    depth = 0;
    materialised = 0;
    have_level_max = false;
    bound[0] = row_top(k - 1, q).except(m);
    neg_m[0] = t.neg_row(k - 1, q)[m];
  }
  void push(int64_t p, int64_t tok) {
    const auto j = static_cast<size_t>(depth);
    bound[j + 1] = bound[j] + row_top(p, tok).except(m);  // rounded up: monotone
    neg_m[j + 1] = neg_m[j] + t.neg_row(p, tok)[m];
    pos[j] = p;
    token[j] = tok;
    ++depth;
    if (materialised > depth - 1) materialised = depth - 1;  // level `depth` is new
    have_level_max = false;
    ++prefixes;
  }
  void pop() {
    --depth;
    if (materialised > depth) materialised = depth;
    have_level_max = false;
  }
  void materialise() {
    for (; materialised < depth; ++materialised) {
      const auto j = static_cast<size_t>(materialised);
      const double* cur = level(materialised);
      double* nxt = level(materialised + 1);
      const double* ru = t.up_row(pos[j], token[j]);
      for (int64_t x = 0; x < t.vo; ++x) nxt[x] = cur[x] + ru[x];
      ++sum_vectors;
    }
  }
  void leaf(int64_t p, int64_t tok, int64_t max_token) {
    ++leaves;
    const auto j = static_cast<size_t>(depth);
    // SPEC 10.4 Lemma H2: every U_x <= up(bound + max_{x != m} row) < threshold.
    const double threshold = -(neg_m[j] + t.neg_row(p, tok)[max_token]);
    if (bound[j] + row_top(p, tok).except(max_token) < threshold) {
      ++certified;
      return;
    }
    // SPEC 10.4 Lemma H3: every U_x <= up(max_{x != m} sums + max_{x != m} row) < threshold.
    materialise();
    double* cur = level(depth);
    if (!have_level_max) {
      level_max = -HUGE_VAL;
      for (int64_t x = 0; x < t.vo; ++x)  // "not below" so that a NaN gives +inf
        if (x != max_token && !(cur[x] <= level_max)) level_max = std::isnan(cur[x]) ? HUGE_VAL : cur[x];
      have_level_max = true;
      ++max_vectors;
    }
    ++second_tests;
    if (level_max + row_top(p, tok).except(max_token) < threshold) {
      ++certified;
      return;
    }
    ++full_tests;
    // Lemma B reads entry m of the neg sums only.
    neg_buffer[static_cast<size_t>(max_token)] = neg_m[j];
    certified += brute_force_input_certified(t, cur, neg_buffer.data(), p, tok, max_token);
  }
};

struct QuerySlot {
  int64_t max_token = -1;  // the query's tables were built for tokens <= max_token (-1: none)
  uint64_t top2_compares = 0;
  uint64_t prefixes = 0, leaves = 0, certified = 0, leaf_steps = 0, inner_steps = 0, full_tests = 0,
           sum_vectors = 0, max_vectors = 0, second_tests = 0;
};

__attribute__((noinline)) void walk_query_up(const ClassIndex& classes, int64_t q, int64_t max_token,
                                             const BruteForceQueryTables& t, QuerySlot& slot,
                                             const std::vector<uint8_t>* selected) {
  LemmaBVisitor visit(t, classes.k(), q, max_token);
  ResidueWalk<LemmaBVisitor> walk(classes, q, visit, selected);
  walk.run();
  slot.prefixes = visit.prefixes;
  slot.leaves = visit.leaves;
  slot.certified = visit.certified;
  slot.leaf_steps = walk.leaf_steps;
  slot.inner_steps = walk.inner_steps;
  slot.full_tests = visit.full_tests;
  slot.sum_vectors = visit.sum_vectors;
  slot.max_vectors = visit.max_vectors;
  slot.top2_compares = visit.top2_compares;
  slot.second_tests = visit.second_tests;
}

// For the tests: the inputs themselves.
struct RecordingVisitor {
  std::vector<int64_t> t;
  const std::function<void(const std::vector<int64_t>&)>& visit;
  void begin_max(int64_t) {}
  void push(int64_t p, int64_t tok) { t[static_cast<size_t>(p)] = tok; }
  void pop() {}
  void leaf(int64_t p, int64_t tok, int64_t) {
    t[static_cast<size_t>(p)] = tok;
    visit(t);
  }
};

}  // namespace

void for_each_residue_input(const ClassIndex& classes, int64_t q,
                            const std::function<void(const std::vector<int64_t>&)>& visit,
                            const std::vector<uint8_t>* selected) {
  RecordingVisitor rec{std::vector<int64_t>(static_cast<size_t>(classes.k()), q), visit};
  ResidueWalk<RecordingVisitor> walk(classes, q, rec, selected);
  walk.run();
}

BigInt residue_size(const std::vector<CubicCase>& cases, int64_t v, int64_t k,
                    const std::vector<uint8_t>* selected) {
  if (!selected) return int_power(BigInt(v), k) - cubic_count(cases, v, k);
  // SPEC 10.7: |Case(m, q)| less the inputs of its classes, summed over the selected cases.
  std::vector<CubicCase> listed;
  BigInt cases_size = 0;
  for (int64_t m = 0; m < v; ++m)
    for (int64_t q = 0; q <= m; ++q)
      if ((*selected)[static_cast<size_t>(m * v + q)])
        cases_size += int_power(BigInt(m + 1), k - 1) - (q < m ? int_power(BigInt(m), k - 1) : BigInt(0));
  for (const CubicCase& cc : cases)
    if ((*selected)[static_cast<size_t>(cc.m * v + cc.q)]) listed.push_back(cc);
  return cases_size - cubic_count(listed, v, k);
}

// SPEC 10.3 Lemma H1 (10.7 for a selection): the residue, enumerated, each input decided by
// Lemma B.
HybridResidue check_residue(const ModelWeights& w, const std::vector<CubicCase>& cases,
                            int threads, const std::vector<uint8_t>* selected) {
  const int64_t v = w.v, k = w.k;
  if (k < 2) throw CertificateRejected("hybrid: needs k >= 2");
  if (selected && selected->size() != static_cast<size_t>(v * v))
    throw std::logic_error("hybrid: selection of the wrong size");
  const BigInt residue = residue_size(cases, v, k, selected);
  if (residue > BigInt(kMaxResidueInputs))
    throw CertificateRejected("hybrid: the residue has " + residue.str() +
                              " inputs, more than 2^40: not feasible");
  const ClassIndex classes(cases, v, k);
  const BruteForceTables tables(w);
  std::vector<QuerySlot> slots(static_cast<size_t>(v));
  std::atomic<int64_t> next{0};
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, v));
  run_parts(parts, [&](int64_t) {
    for (int64_t q = next++; q < v; q = next++) {
      QuerySlot& slot = slots[static_cast<size_t>(q)];
      struct NoVisit {
        void begin_max(int64_t) {}
        void push(int64_t, int64_t) {}
        void pop() {}
        void leaf(int64_t, int64_t, int64_t) {}
      } none;
      // Only the rows of inputs with every token <= the largest max token walked are built.
      const int64_t max_token = ResidueWalk<NoVisit>(classes, q, none, selected).max_token();
      if (max_token < 0) continue;
      const BruteForceQueryTables t = tables.query(q, max_token);  // round-to-nearest inside (MPFR)
      slot.max_token = max_token;
      UpwardRounding upward;
      walk_query_up(classes, q, max_token, t, slot, selected);
    }
  });

  HybridResidue out;
  const auto VO = static_cast<uint64_t>(w.v_out), K = static_cast<uint64_t>(k);
  bool any = false;
  for (size_t q = 0; q < slots.size(); ++q) {
    const QuerySlot& s = slots[q];
    out.inputs += s.leaves;
    out.certified += s.certified;
    if (s.max_token >= 0) {  // the tables and the top2 of their rows
      out.ops += tables.restricted_query_ops(static_cast<int64_t>(q), s.max_token);
      out.ops.compare += s.top2_compares;
      any = true;
    }
    // Per prefix two bounds; per leaf the quick test; per full test Lemma B's own cost; per
    // materialised prefix one vector of sums.
    out.ops.interval_add += s.prefixes * 2 + s.leaves * 2 + s.second_tests + s.full_tests * (VO + 2) +
                            s.sum_vectors * VO;
    out.ops.compare += s.leaves + s.max_vectors * VO + s.second_tests + s.full_tests * (VO + 1);
    out.ops.int_op += s.leaf_steps + s.inner_steps + s.leaves;  // walk; counter
  }
  if (any) out.ops += tables.shared_ops;
  out.ops.int_op += static_cast<uint64_t>(v) * v * K + cases.size() + slots.size() * v * K;  // index, max_token()
  if (selected) out.ops.int_op += static_cast<uint64_t>(v) * v;  // the selection's flags
  if (BigInt(out.inputs) != residue)
    throw std::logic_error("hybrid: enumerated " + std::to_string(out.inputs) +
                           " residue inputs, the classes leave " + residue.str());
  // The paper charges brute force as forward passes (SPEC 4.5): one per residue input.
  out.paper_flops = out.inputs * brute_force_paper_flops(1, k, w.file_d_model(), w.file_d_head(), w.v_out);
  return out;
}

namespace {
// The classes' count and cost plus the residue's (both hybrid strategies).
StrategyOutcome hybrid_outcome(const ModelWeights& w, const CubicVerdict& classes,
                               const HybridResidue& residue) {
  StrategyOutcome out;
  out.certified = classes.count + residue.certified;
  out.ops = classes.ops;
  out.ops += residue.ops;
  out.paper_flops = classes.paper_flops + residue.paper_flops;
  // reference-algorithms.md 7.2: the cubic tables plus v logits per enumerated input.
  const auto v = static_cast<uint64_t>(w.v), k = static_cast<uint64_t>(w.k);
  out.unexplained_dimension = 3 * v * v + 2 * k * v + residue.inputs * v;
  return out;
}

}  // namespace

std::optional<InputRange> hybrid_step_range(const Certificate& cert, int64_t v, int64_t k) {
  FieldReader r(cert.steps[2], cert.step_path(2));
  r.expect_string("kind", "brute-force-residue");
  std::optional<InputRange> range;
  if (r.optional("inputs")) {
    FieldReader in(r.object("inputs"), r.field("inputs"));
    const BigInt begin = parse_decimal_integer(in.string("begin", kMaxNumberDigits), in.field("begin"));
    const BigInt end = parse_decimal_integer(in.string("end", kMaxNumberDigits), in.field("end"));
    in.finish();
    const BigInt per_query = int_power(BigInt(v), k - 1);
    if (!(begin < end) || end > per_query * v)
      in.path().fail("input range [" + begin.str() + ", " + end.str() +
                     ") is empty or outside the input space [0, " + BigInt(per_query * v).str() + ")");
    if (begin % per_query != 0 || end % per_query != 0)
      in.path().fail("input range [" + begin.str() + ", " + end.str() +
                     ") does not consist of whole queries (multiples of vocab^(k-1) = " + per_query.str() + ")");
    range = InputRange{BigInt(begin / per_query).convert_to<uint64_t>(), BigInt(end / per_query).convert_to<uint64_t>()};
  }
  r.finish();
  return range;  // as queries [begin, end) when present
}

StrategyOutcome check_hybrid_cubic_strategy(const StrategyInput& input) {
  const Certificate& cert = input.cert;
  const ModelWeights& w = input.model.weights;
  expect_step_kinds(cert, {"path-tables", "cubic-classes", "brute-force-residue"});
  const CubicSteps steps = read_cubic_steps(cert, w);
  // SPEC 10.8: a part of a composition covers the whole queries [q_begin, q_end): its classes
  // lie there and its residue is walked there only.
  const std::optional<InputRange> queries = hybrid_step_range(cert, w.v, w.k);
  std::vector<uint8_t> in_part;
  if (queries) {
    for (size_t i = 0; i < steps.cases.size(); ++i) {
      const auto q = static_cast<uint64_t>(steps.cases[i].q);
      if (q < queries->begin || q >= queries->end)
        cert.step_path(1).field("cases").index(i).fail(
            "q = " + std::to_string(q) + " outside the part's queries [" + std::to_string(queries->begin) +
            ", " + std::to_string(queries->end) + ")");
    }
    in_part.assign(static_cast<size_t>(w.v * w.v), 0);
    for (int64_t m = 0; m < w.v; ++m)
      for (auto q = static_cast<int64_t>(queries->begin); q < static_cast<int64_t>(queries->end) && q <= m; ++q)
        in_part[static_cast<size_t>(m * w.v + q)] = 1;
  }
  const CubicVerdict classes = check_cubic(w, steps.cases, steps.where, cubic_threads(w, steps.cases, input.threads));  // SPEC 5
  const HybridResidue residue =
      check_residue(w, steps.cases, input.threads, queries ? &in_part : nullptr);  // SPEC 10
  // Lemma H1 as code: the classes and the residue together are the whole input space (the part's
  // queries: v^(k-1) inputs each).
  const BigInt total = queries ? BigInt(int_power(BigInt(w.v), w.k - 1) * BigInt(queries->end - queries->begin))
                               : int_power(BigInt(w.v), w.k);
  if (classes.count + residue.inputs != total)
    throw std::logic_error("hybrid: classes and residue do not add up to the inputs covered");
  return hybrid_outcome(w, classes, residue);
}

std::vector<uint8_t> parse_residue_selection(const nlohmann::json& rows, int64_t v,
                                             const JsonPath& where) {
  if (!rows.is_array()) where.fail("expected an array of [m, q] rows");
  std::vector<uint8_t> selected(static_cast<size_t>(v * v), 0);
  int64_t prev_m = -1, prev_q = -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& row = rows[i];
    const JsonPath name = where.index(i);
    if (!row.is_array() || row.size() != 2) name.fail("expected [m, q]");
    const int64_t m = json_integer(row[0], name.index(0), 0, v - 1);
    const int64_t q = json_integer(row[1], name.index(1), 0, v - 1);
    if (q > m) name.fail("q = " + std::to_string(q) + " > m = " + std::to_string(m) + ": no such case");
    if (m == prev_m && q == prev_q) name.fail("case (m, q) = (" + std::to_string(m) + ", " + std::to_string(q) + ") listed twice");
    if (std::make_pair(m, q) < std::make_pair(prev_m, prev_q)) name.fail("rows not sorted by (m, q)");
    selected[static_cast<size_t>(m * v + q)] = 1;
    prev_m = m, prev_q = q;
  }
  return selected;
}

StrategyOutcome check_hybrid_partial_strategy(const StrategyInput& input) {
  const Certificate& cert = input.cert;
  const ModelWeights& w = input.model.weights;
  expect_step_kinds(cert, {"path-tables", "cubic-classes", "brute-force-residue"});
  const CubicSteps steps = read_cubic_steps(cert, w);
  std::vector<uint8_t> selected;
  {
    FieldReader r(cert.steps[2], cert.step_path(2));
    r.expect_string("kind", "brute-force-residue");
    const auto max_rows = static_cast<size_t>(w.v * (w.v + 1) / 2);
    selected = parse_residue_selection(r.array("select", 0, max_rows), w.v, r.field("select"));
    r.finish();
  }
  const CubicVerdict classes = check_cubic(w, steps.cases, steps.where, cubic_threads(w, steps.cases, input.threads));         // SPEC 5
  const HybridResidue residue = check_residue(w, steps.cases, input.threads, &selected);  // SPEC 10.7
  return hybrid_outcome(w, classes, residue);
}

}  // namespace mechcert
