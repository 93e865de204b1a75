// Attention scores of every query, accurate to far below one unit of the exp argument even when
// the weights make them huge (W_Q scaled by 2^60 gives scores of 10^18, where a double product
// is off by hundreds). Used where the scores of one query span more than a double exp can take
// (sharp attention, SPEC §3.8): `mechcert eval`'s shifted enumeration and the cubic and subcubic
// searches' conservative re-checks.
//
// Each score is computed in MPFR at 256 bits (the float32 products are exact at that precision
// and the sums lose at most 2^-250 relative) and kept as a double-double hi + lo, so differences
// of scores are accurate to ~1e-16 of the difference itself. Biases are folded as in
// path_tables.hpp (b_Q adds to the query; b_K is constant per query and dropped). Untrusted.
// Cost: O(v·d·d_head + v·(v + k)·d_head) MPFR operations, ~50 ms for v = 64, d = 32.
#pragma once
#include <cstdint>
#include <vector>

#include "format/model_weights.hpp"

namespace mechcert {

struct DoubleDouble {
  double hi = 0, lo = 0;  // the value is hi + lo, |lo| <= ulp(hi)/2
};

// (a - b) rounded to double, for double-double a and b (accurate to ~2 ulps of the difference).
double dd_difference(DoubleDouble a, DoubleDouble b);

struct PreciseScores {
  int64_t v = 0, k = 0;
  std::vector<DoubleDouble> EQKE;  // [v, v]  query(q)·(E[t] K), row-major
  std::vector<DoubleDouble> EQKP;  // [v, k]  query(q)·(P[p] K)
  // Score of query q at position p holding token t (unscaled, b_K dropped).
  DoubleDouble cell(int64_t q, int64_t p, int64_t t) const;
};

PreciseScores precise_scores(const ModelWeights& w);

}  // namespace mechcert
