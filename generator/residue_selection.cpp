#include "generator/residue_selection.hpp"

#include <algorithm>
#include <numeric>

namespace mechcert {

namespace {

struct Plan {
  std::vector<int64_t> max_token;  // [q], -1: none
  std::vector<uint8_t> selected;
  uint64_t cost = 0, gain = 0;
};

// For price lambda: per query, the best M and the cases m <= M with gain > lambda·cost (M forced).
Plan plan_for(const ResidueWalkResult& w, const std::vector<uint64_t>& cost, double lambda) {
  const int64_t v = w.v;
  Plan p;
  p.max_token.assign(static_cast<size_t>(v), -1);
  p.selected.assign(static_cast<size_t>(v * v), 0);
  for (int64_t q = 0; q < v; ++q) {
    if (w.sharp[static_cast<size_t>(q)]) continue;
    double best = 0, positive = 0;  // positive: sum over m < M of max(0, value)
    int64_t best_m = -1;
    for (int64_t m = q; m < v; ++m) {
      const auto i = static_cast<size_t>(m * v + q);
      const ResidueCaseStats& s = w.cases[i];
      if (s.inputs > 0) {
        const double value = static_cast<double>(s.correct) - lambda * static_cast<double>(cost[i]);
        const double total = positive + value -
                             lambda * static_cast<double>(residue_query_table_ops(w, q, m));
        if (total > best) best = total, best_m = m;
        positive += std::max(0.0, value);
      }
    }
    if (best_m < 0) continue;
    p.max_token[static_cast<size_t>(q)] = best_m;
    p.cost += residue_query_table_ops(w, q, best_m);
    for (int64_t m = q; m <= best_m; ++m) {
      const auto i = static_cast<size_t>(m * v + q);
      const ResidueCaseStats& s = w.cases[i];
      if (s.inputs == 0) continue;
      const double value = static_cast<double>(s.correct) - lambda * static_cast<double>(cost[i]);
      if (m == best_m || value > 0) {
        p.selected[i] = 1;
        p.cost += cost[i];
        p.gain += s.correct;
      }
    }
  }
  return p;
}

}  // namespace

ResidueSelection select_residue_cases(const ResidueWalkResult& w, uint64_t budget) {
  const int64_t v = w.v;
  std::vector<uint64_t> cost(w.cases.size());
  for (size_t i = 0; i < cost.size(); ++i) cost[i] = residue_case_ops(w.cases[i], w.k, w.v_out);
  // The smallest price whose plan fits (cost falls as the price rises).
  double lo = 0, hi = 1;
  while (plan_for(w, cost, hi).cost > budget && hi < 1e12) hi *= 2;
  Plan plan = plan_for(w, cost, hi);
  if (plan.cost > budget) plan = Plan{std::vector<int64_t>(static_cast<size_t>(v), -1),
                                      std::vector<uint8_t>(static_cast<size_t>(v * v), 0), 0, 0};
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    Plan p = plan_for(w, cost, mid);
    if (p.cost <= budget) {
      hi = mid;
      plan = std::move(p);
    } else {
      lo = mid;
    }
  }
  // Fill what is left, best gain per marginal op first (a case above M_q raises the table cost).
  for (bool added = true; added;) {
    added = false;
    double best_ratio = 0;
    size_t best = 0;
    uint64_t best_cost = 0;
    for (int64_t q = 0; q < v; ++q) {
      if (w.sharp[static_cast<size_t>(q)]) continue;
      const int64_t M = plan.max_token[static_cast<size_t>(q)];
      for (int64_t m = q; m < v; ++m) {
        const auto i = static_cast<size_t>(m * v + q);
        if (plan.selected[i] || w.cases[i].correct == 0) continue;
        const uint64_t c = cost[i] + (m > M ? residue_query_table_ops(w, q, m) -
                                                  residue_query_table_ops(w, q, M)
                                            : 0);
        if (plan.cost + c > budget) continue;
        const double ratio = static_cast<double>(w.cases[i].correct) / static_cast<double>(std::max<uint64_t>(c, 1));
        if (ratio > best_ratio) best_ratio = ratio, best = i, best_cost = c;
      }
    }
    if (best_ratio > 0) {
      const auto m = static_cast<int64_t>(best) / v, q = static_cast<int64_t>(best) % v;
      plan.selected[best] = 1;
      plan.max_token[static_cast<size_t>(q)] = std::max(plan.max_token[static_cast<size_t>(q)], m);
      plan.cost += best_cost;
      plan.gain += w.cases[best].correct;
      added = true;
    }
  }
  ResidueSelection out;
  out.selected = std::move(plan.selected);
  out.predicted_ops = plan.cost;
  for (size_t i = 0; i < out.selected.size(); ++i)
    if (out.selected[i]) out.correct += w.cases[i].correct, out.inputs += w.cases[i].inputs;
  return out;
}

}  // namespace mechcert
