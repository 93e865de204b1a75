// Exact-enumeration accuracy of a Max-of-K model: every one of the v^k inputs, in double
// precision, through the path decomposition (path_tables.hpp).
//
// Why it is fast: for a fixed query q (the last token) the last position's logits are
//   logit_x = N_x / W,  N_x = sum_p w_p (EU[q,x] + EVOU[t_p,x] + PVOU[p,x]),  W = sum_p w_p,
// with w_p = exp(score_p - shift_q) > 0. Precomputing T_q[p][t][x] = w(q,p,t)·(...) per query and
// enumerating the other tokens with running prefix sums costs ~v additions and ~v comparisons per
// input (the argmax of N equals the argmax of N/W). Max-of-4 (16.8M inputs) takes about a second
// on two cores.
//
// Untrusted: a double-precision count that may differ from exact real arithmetic on inputs whose
// logits tie to ~1e-15 relative. The sound number is the brute-force certificate's.
// The result does not depend on the thread count: work items are counted with integers.
#pragma once
#include <cstdint>

#include "format/model_weights.hpp"

namespace mechcert {

struct EvalOptions {
  int threads = 0;        // 0 = hardware concurrency
  bool progress = false;  // progress lines on stderr (only for runs longer than a few seconds)
  // Only the inputs [begin, end) of the query-major order (SPEC 4.6); end == 0: all of them.
  // Both must be multiples of eval_range_unit(w).
  uint64_t begin = 0, end = 0;
};

struct EvalResult {
  uint64_t total = 0;           // v^k inputs (also when a range was counted)
  uint64_t argmax_correct = 0;  // argmax of the logits (first index wins ties) == max token
  uint64_t strict_correct = 0;  // the max token's logit strictly exceeds every other logit
  uint64_t fragile_correct = 0;  // of those, wins by a relative margin <= 1e-9 (rounding-sensitive)
  double seconds = 0.0;         // wall time of the enumeration (tables included)
  int threads = 0;              // threads actually used
};

// Largest v^k `evaluate_exact` accepts.
inline constexpr uint64_t kMaxEvalInputs = uint64_t{1} << 40;

// The granularity of EvalOptions::begin/end: the inputs of one work item (q and the first j tokens
// fixed), a power of v that divides v^k.
uint64_t eval_range_unit(const ModelWeights& w);

// Counts correct inputs of a Max-of-K model (label = largest token). Non-zero biases are handled
// exactly (folded into the tables). Any finite weights work: a query whose attention scores span
// more than 300 (in units of the exp argument) is enumerated band by band, each input shifted by
// its own band's largest score (SPEC §3.8), with scores accurate to ~1e-16 of their differences.
// Throws std::invalid_argument for v_out < v or v^k > 2^40.
EvalResult evaluate_exact(const ModelWeights& w, const EvalOptions& options = {});

}  // namespace mechcert
