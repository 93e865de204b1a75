// Conservative enclosures, in the generator, of the attention weights the checker will use in the
// cubic and subcubic strategies (SPEC 5.2: u[q,t] = exp((EQKE[q,t] - R_q)/s) with R_q the row's
// largest upper end, ω[q,p] likewise from EQKP; order statistics of ω by Lemma C6).
//
// Why: the searches decide in double precision, which is fine when the scores are moderate; with
// sharp attention (scores of 10^6 or 10^18) the checker's outward-rounded score enclosures are
// wide in units of the exp argument and its weights near underflow are [0, tiny], so a row that
// the double computation certifies may be one the checker rejects. The searches propose a row
// only if it also passes a re-check with these enclosures (and their own margin), so they never
// write a row the checker rejects; for moderate scores the enclosures are within ~1e-12 of the
// double weights and change no decision.
//
// How: every checker endpoint is within (2d + d_head + 8)·2^-50·M of the exact score (Lemma A1:
// one rounding of at most 2^-52 relative per operation along the chain, M = |Eq|·|Q|·|K|ᵀ·|E|ᵀ the
// product of absolute values, with a factor 4 of slack), so the checker's R_q is within the row's
// largest such radius of ours; the exp arguments then move by at most (radius + R radius)/s plus
// MPFR's argument rounding (2^-60 relative), and the results by 2^-40 relative; anything below
// 2^-1000 may be 0 (lower ends) or up to 2^-1000 (upper ends). Untrusted, but written to contain
// the checker's values. Cost O(v·d·(d_head + v)).
#pragma once
#include <vector>

#include "generator/path_tables.hpp"

namespace mechcert {

struct ConservativeWeights {
  std::vector<double> u_lo, u_hi;          // [t]: encloses the checker's u[q,t] enclosure
  std::vector<double> umax_hi, umin_lo;    // [t]: prefix max of u_hi, prefix min of u_lo (t' <= t)
  double wq_lo = 0, wq_hi = 0;             // ω[q,k-1]
  std::vector<double> small_lo, small_hi;  // [j]: sums of the j smallest ω[q,p], p < k-1
  std::vector<double> large_lo, large_hi;  // [j]: sums of the j largest
};

// `token_scores` is the EQKE the checker exponentiates (the tables' EQKE, or Ehat for an EQKE
// approximation, whose extra radius `extra_radius[q]` the caller supplies; empty = none).
std::vector<ConservativeWeights> conservative_weights(const PathTables& t, const ModelWeights& w,
                                                      const std::vector<double>& extra_radius = {});

// Upper bound of w·y over w in [lo, hi] (0 <= lo), as the checker's ⊙ chooses the end.
inline double weight_times_up(double lo, double hi, double y) { return y >= 0 ? hi * y : lo * y; }

}  // namespace mechcert
