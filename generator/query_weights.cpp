#include "generator/query_weights.hpp"

#include <algorithm>
#include <cmath>

namespace mechcert {

std::vector<QueryWeights> query_weights(const PathTables& t) {
  const int64_t v = t.v, k = t.k;
  std::vector<QueryWeights> out(static_cast<size_t>(v));
  for (int64_t q = 0; q < v; ++q) {
    QueryWeights& w = out[static_cast<size_t>(q)];
    const double row_max = t.EQKE.row(q).maxCoeff();
    const double pos_max = t.EQKP.row(q).maxCoeff();
    w.u.resize(static_cast<size_t>(v));
    w.umax.resize(static_cast<size_t>(v));
    w.umin.resize(static_cast<size_t>(v));
    for (int64_t x = 0; x < v; ++x) {
      const auto i = static_cast<size_t>(x);
      w.u[i] = std::exp((t.EQKE(q, x) - row_max) / t.scale);
      w.umax[i] = x == 0 ? w.u[i] : std::max(w.umax[i - 1], w.u[i]);
      w.umin[i] = x == 0 ? w.u[i] : std::min(w.umin[i - 1], w.u[i]);
    }
    std::vector<double> om;
    for (int64_t p = 0; p + 1 < k; ++p) om.push_back(std::exp((t.EQKP(q, p) - pos_max) / t.scale));
    w.w_query = std::exp((t.EQKP(q, k - 1) - pos_max) / t.scale);
    std::sort(om.begin(), om.end());
    w.small.assign(om.size() + 1, 0.0);
    w.large.assign(om.size() + 1, 0.0);
    for (size_t j = 0; j < om.size(); ++j) {
      w.small[j + 1] = w.small[j] + om[j];
      w.large[j + 1] = w.large[j] + om[om.size() - 1 - j];
    }
  }
  return out;
}

}  // namespace mechcert
