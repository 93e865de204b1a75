#include "checker/order_statistics.hpp"

#include <algorithm>

namespace mechcert {

__attribute__((noinline)) std::vector<QueryPositions> query_positions(const IntervalMatrix& omega) {
  const int64_t v = omega.rows, k = omega.cols;
  std::vector<QueryPositions> out(static_cast<size_t>(v));
  const int64_t r = k - 1;  // non-query positions
  std::vector<double> lo(static_cast<size_t>(r)), hi(static_cast<size_t>(r));
  for (int64_t q = 0; q < v; ++q) {
    QueryPositions& qp = out[static_cast<size_t>(q)];
    qp.omega_query = omega.at(q, k - 1);
    for (int64_t p = 0; p < r; ++p) {
      lo[static_cast<size_t>(p)] = omega.at(q, p).lo;
      hi[static_cast<size_t>(p)] = omega.at(q, p).hi;
    }
    // C6: sorting the lower and the upper ends separately bounds the order statistics.
    std::sort(lo.begin(), lo.end());
    std::sort(hi.begin(), hi.end());
    qp.small_lo.assign(static_cast<size_t>(r + 1), 0.0);
    qp.small_hi = qp.small_lo;
    qp.large_lo = qp.small_lo;
    qp.large_hi = qp.small_lo;
    for (int64_t j = 0; j < r; ++j) {
      const auto J = static_cast<size_t>(j), back = static_cast<size_t>(r - 1 - j);
      qp.small_lo[J + 1] = add_down(qp.small_lo[J], lo[J]);
      qp.small_hi[J + 1] = add_up(qp.small_hi[J], hi[J]);
      qp.large_lo[J + 1] = add_down(qp.large_lo[J], lo[back]);
      qp.large_hi[J + 1] = add_up(qp.large_hi[J], hi[back]);
    }
  }
  return out;
}

}  // namespace mechcert
