// Step kind "brute-force" (SPEC.md "Brute force").
//
// Lemma. For every input t in {0..v-1}^k with m = max(t), q = t_{k-1}, and every upper bound
// U_x >= W * logit_x (x != m) and lower bound L_m <= W * logit_m, where W = sum_p w_p > 0 is the
// softmax denominator scaled by any positive constant: if L_m > U_x for all x != m then
// logit_m > logit_x for all x != m, i.e. the model answers m strictly.
// The checker computes such bounds for all v^k inputs and counts the inputs where the test holds;
// that count is a lower bound on the number of inputs the model gets right (ties never count).
//
// Cost: exact path terms (GMP), v^2 k exp enclosures (MPFR), then per input about v_out rounded-up
// additions and v_out comparisons (prefix sums over positions, query outermost). About 1 s for
// v = 64, k = 4 on two cores. The count and the op counts do not depend on the thread count.
// Sharp attention (a query's scores spanning more than 300·sqrt(d_head)) is done band by band,
// each input shifted by its own band's largest score (SPEC 3.8, Lemma B′): up to k·v table builds
// per query instead of one, about 2-3x the time for v = 64, k = 4.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "checker/check.hpp"
#include "checker/proof_length.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

// Refuses more inputs than this (the check would run for hours).
inline constexpr uint64_t kMaxBruteForceInputs = uint64_t{1} << 40;

// A half-open range [begin, end) of input indices in the query-major order of SPEC 4.6:
// index(t) = t_{k-1} v^{k-1} + sum_{p<k-1} t_p v^{k-2-p}. end == 0 means "every input".
struct InputRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct BruteForceCount {
  uint64_t certified = 0;    // inputs of the range whose correct logit provably exceeds every wrong logit
  uint64_t total = 0;        // v^k
  InputRange range;          // the inputs enumerated (the whole space unless a range was given)
  OpCounts ops;
  uint64_t paper_flops = 0;  // the paper's brute-force FLOP convention
};

// Which instruction set runs the per-input test. Every path performs the same IEEE operations in
// the same order per output, so all give the same count; tests run each one.
enum class SimdPath { automatic, scalar, sse2, avx2 };

// Certified count of a zero-bias model over the inputs of `range` (default: all v^k). Throws
// std::runtime_error if the model has non-zero biases, v_out < v, or the range is empty or beyond
// v^k, and CertificateRejected if v^k > kMaxBruteForceInputs.
BruteForceCount brute_force_certified_count(const ModelWeights& w, int threads,
                                            SimdPath simd = SimdPath::automatic,
                                            InputRange range = {});

// The paper's FLOP count for brute force: v^k * (one forward pass on k positions + last-position
// log-softmax loss + argmax accuracy), charged by the rules of reference-algorithms.md 7.1.
uint64_t brute_force_paper_flops(int64_t v, int64_t k, int64_t d, int64_t d_head, int64_t v_out);

// The input range a brute-force step covers (SPEC 4.6): its optional "inputs" {"begin", "end"}
// (decimal strings, 0 <= begin < end <= v^k), else the whole space. Throws FormatError naming
// the field.
InputRange brute_force_step_range(const Certificate& cert, uint64_t total);

// The checker function for strategy "brute-force": steps = [{"kind": "brute-force"}], or with
// "inputs" a part of a composition (SPEC 9) certifying only the inputs of its range.
StrategyOutcome check_brute_force(const StrategyInput& in);

// --- Lemma B on inputs chosen by the caller (the hybrid strategies, SPEC 10) ---

// Per query q, for position p and key token t: up_row(p, t)[x] >= w_{p,t} * c_{p,t,x} and
// neg_row(p, t)[x] >= -w_{p,t} * c_{p,t,x} (SPEC 4.3 step 4).
struct BruteForceQueryTables {
  int64_t v = 0, vo = 0;
  SimdPath simd = SimdPath::scalar;
  std::vector<double> up, neg;  // [k*v, vo]
  const double* up_row(int64_t p, int64_t t) const { return &up[static_cast<size_t>((p * v + t) * vo)]; }
  const double* neg_row(int64_t p, int64_t t) const { return &neg[static_cast<size_t>((p * v + t) * vo)]; }
};

struct BruteForceShared;  // SPEC 4.3 steps 1 and 3 (defined in brute_force.cpp)

// The query-independent tables of SPEC 4.3 (exact path terms, enclosures, scores), and the
// per-query tables on demand. Throws like brute_force_certified_count (biases, v_out < v).
class BruteForceTables {
 public:
  explicit BruteForceTables(const ModelWeights& w, SimdPath simd = SimdPath::automatic);
  ~BruteForceTables();
  BruteForceTables(const BruteForceTables&) = delete;
  BruteForceTables& operator=(const BruteForceTables&) = delete;
  // SPEC 4.3 steps 2 and 4 for query q; sets the rounding mode itself (call in round-to-nearest).
  BruteForceQueryTables query(int64_t q) const;
  // The same for inputs whose every token is <= max_token (q <= max_token < v): only the
  // query_rows(max_token) rows such inputs read are built, and of their neg rows only the entries
  // q..max_token (the labels Lemma B reads); everything else is NaN (SPEC 10.4).
  BruteForceQueryTables query(int64_t q, int64_t max_token) const;
  int64_t query_rows(int64_t max_token) const;
  OpCounts restricted_query_ops(int64_t q, int64_t max_token) const;  // of query(q, max_token)
  OpCounts shared_ops;  // steps 1 and 3, incl. the exact path terms
  OpCounts query_ops;   // steps 2 and 4, charged once per query() call

 private:
  std::unique_ptr<BruteForceShared> s_;
};

// Lemma B (SPEC 4.2) for one input with max token m: `up`/`neg` are rounded-up sums of the rows
// of every position except p, position p holds `tok`. True iff the input is certified.
// Costs vo + 2 interval_add and vo + 1 compare. PRECONDITION: FE_UPWARD.
bool brute_force_input_certified(const BruteForceQueryTables& t, const double* up,
                                 const double* neg, int64_t p, int64_t tok, int64_t m);

}  // namespace mechcert
