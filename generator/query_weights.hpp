// Per-query attention weights of the cubic and subcubic proof searches (SPEC 5.2, 7.2), in double
// precision: the exponentiated token scores of each query row, their prefix extremes, and the
// order statistics of the non-query positional weights. Untrusted: the checker encloses the same
// quantities itself. Cost O(v^2 + v·k log k).
#pragma once
#include <vector>

#include "generator/path_tables.hpp"

namespace mechcert {

struct QueryWeights {
  std::vector<double> u;             // u[t] = exp((EQKE[q,t] - max_t EQKE[q,t]) / s)
  std::vector<double> umax, umin;    // prefix max / min of u over t' <= t
  double w_query = 0;                // ω[q,k-1] = exp((EQKP[q,k-1] - max_p EQKP[q,p]) / s)
  std::vector<double> small, large;  // [j]: sums of the j smallest / largest ω[q,p], p < k-1
};

// One entry per query token q.
std::vector<QueryWeights> query_weights(const PathTables& t);

}  // namespace mechcert
