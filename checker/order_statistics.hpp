// Lemma C6 (SPEC.md 5.7): enclosures of the sums of the j smallest / j largest positional weights
// ω[q,0..k-2] of each query, without knowing their exact order. Shared by the cubic (C4) and the
// subcubic (S1) attention bounds. Cost O(v·k^2) (sorting k-1 ends per query); memory O(v·k).
#pragma once
#include <cstdint>
#include <vector>

#include "checker/interval.hpp"

namespace mechcert {

// Per query q: the order-statistic sums of the k-1 non-query positional weights, and the query
// slot's own weight.
struct QueryPositions {
  Interval omega_query;                    // ω[q, k-1]
  std::vector<double> small_lo, small_hi;  // [j]: sum of the j smallest ω (lower, upper bound)
  std::vector<double> large_lo, large_hi;  // [j]: sum of the j largest ω
  Interval small(int64_t j) const {
    return {small_lo[static_cast<size_t>(j)], small_hi[static_cast<size_t>(j)]};
  }
  Interval large(int64_t j) const {
    return {large_lo[static_cast<size_t>(j)], large_hi[static_cast<size_t>(j)]};
  }
};

// `omega` is [v, k]: enclosures of the (shifted) positional weights of every query. Needs
// FE_UPWARD (the calling thread holds an UpwardRounding guard).
std::vector<QueryPositions> query_positions(const IntervalMatrix& omega);

}  // namespace mechcert
