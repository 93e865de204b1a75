// Strategy "hybrid/cubic+partial-brute-force" (SPEC.md 10.7): the cubic case list, then a step
// that lets the checker enumerate the residue of selected cases (max token m, query q) only: the
// cases chosen by generator/residue_selection.hpp for a budget of checker ops (default 2^23.15, so
// that with the cubic part a K = 4, v = 64 check stays near 2^24). The claim is the classes' count
// plus the selected cases' correct residue inputs (the brute-force generator's margin rule).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "generator/certificate_writer.hpp"
#include "generator/cubic_search.hpp"
#include "generator/residue_selection.hpp"
#include "generator/residue_walk.hpp"
#include "generator/strategy_registry.hpp"

namespace mechcert {
namespace {

// With the cubic part (2^22.67 at K = 4, v = 64) and the shared brute-force tables (2^19.4), a
// check of at most 2^24 ops there (docs/frontier.md).
constexpr double kDefaultResidueOpsLog2 = 23.15;

nlohmann::json prove_hybrid_partial(const LoadedModel& model, const ProveOptions& options) {
  const ModelWeights& w = model.weights;
  if (w.has_nonzero_bias())
    throw std::runtime_error("hybrid: the model has non-zero biases; the cubic part needs zero biases");
  const PathTables tables = compute_path_tables(w, BiasPolicy::Reject);
  CubicSearchOptions search;
  search.threads = options.threads;
  search.weights = &w;
  const CubicSearchResult classes = cubic_search(tables, search);
  const boost::multiprecision::cpp_int residue = boost::multiprecision::pow(
      boost::multiprecision::cpp_int(w.v), static_cast<unsigned>(w.k)) - classes.count;
  if (residue > (boost::multiprecision::cpp_int(1) << 40))
    throw std::runtime_error("hybrid: the residue has " + residue.str() + " inputs, more than 2^40");
  const ResidueWalkResult walk = walk_residue(tables, classes.rows, nullptr, options.threads);
  const double budget_log2 = options.residue_ops_log2 > 0 ? options.residue_ops_log2 : kDefaultResidueOpsLog2;
  const auto budget = static_cast<uint64_t>(std::exp2(budget_log2));
  const ResidueSelection sel = select_residue_cases(walk, budget);

  nlohmann::json cases = nlohmann::json::array();
  for (const CubicRow& row : classes.rows) cases.push_back({row.m, row.q, row.c, row.mask});
  nlohmann::json select = nlohmann::json::array();
  size_t selected = 0;
  for (int64_t m = 0; m < w.v; ++m)
    for (int64_t q = 0; q <= m; ++q)
      if (sel.selected[static_cast<size_t>(m * w.v + q)]) select.push_back({m, q}), ++selected;
  nlohmann::json steps = nlohmann::json::array();
  steps.push_back({{"kind", "path-tables"}});
  steps.push_back({{"kind", "cubic-classes"}, {"cases", std::move(cases)}});
  steps.push_back({{"kind", "brute-force-residue"}, {"select", std::move(select)}});
  uint64_t table_ops = 0, queries = 0;
  for (int64_t q = 0; q < w.v; ++q) {
    int64_t M = -1;
    for (int64_t m = q; m < w.v; ++m)
      if (sel.selected[static_cast<size_t>(m * w.v + q)]) M = m;
    table_ops += residue_query_table_ops(walk, q, M);
    queries += M >= 0;
  }
  if (options.progress) {
    ResidueCaseStats sum;
    for (size_t i = 0; i < sel.selected.size(); ++i)
      if (sel.selected[i]) {
        const ResidueCaseStats& c = walk.cases[i];
        sum.inputs += c.inputs, sum.prefixes += c.prefixes, sum.full_tests += c.full_tests;
        sum.second_tests += c.second_tests, sum.max_vectors += c.max_vectors, sum.sum_vectors += c.sum_vectors;
        sum.leaf_steps += c.leaf_steps, sum.inner_steps += c.inner_steps;
      }
    std::fprintf(stderr, "hybrid: selected walk: %llu inputs, %llu prefixes, %llu inner steps, %llu leaf steps, "
                 "%llu second tests, %llu full tests, %llu max vectors, %llu sum vectors\n",
                 (unsigned long long)sum.inputs, (unsigned long long)sum.prefixes, (unsigned long long)sum.inner_steps,
                 (unsigned long long)sum.leaf_steps, (unsigned long long)sum.second_tests,
                 (unsigned long long)sum.full_tests, (unsigned long long)sum.max_vectors, (unsigned long long)sum.sum_vectors);
  }
  BigInt claim(classes.count.str());
  claim += sel.correct;
  if (options.progress)
    std::fprintf(stderr,
                 "hybrid: %zu classes cover %s inputs; %zu cases selected, residue %llu (%llu correct), "
                 "predicted residue ops 2^%.2f (tables of %llu queries 2^%.2f); claim %s\n",
                 classes.rows.size(), classes.count.str().c_str(), selected,
                 static_cast<unsigned long long>(sel.inputs), static_cast<unsigned long long>(sel.correct),
                 std::log2(static_cast<double>(std::max<uint64_t>(sel.predicted_ops, 1))),
                 static_cast<unsigned long long>(queries), std::log2(static_cast<double>(std::max<uint64_t>(table_ops, 1))),
                 claim.str().c_str());
  nlohmann::json info = {{"program", "mechcert prove"},
                         {"rows", classes.rows.size()},
                         {"class_inputs", classes.count.str()},
                         {"selected_cases", selected},
                         {"residue_inputs", std::to_string(sel.inputs)},
                         {"residue_correct", std::to_string(sel.correct)},
                         {"predicted_residue_ops", std::to_string(sel.predicted_ops)}};
  return make_certificate_json(model, "hybrid/cubic+partial-brute-force", std::move(steps), claim,
                               std::move(info));
}

const StrategyRegistration kRegistration{StrategyInfo{
    "hybrid/cubic+partial-brute-force",
    "cubic classes, then the inputs they leave out in the cases (m, q) chosen for a budget of "
    "checker ops (--residue-ops, default 2^23.15), by the brute-force lemma (SPEC 10.7)",
    &prove_hybrid_partial, "hybrid"}};

}  // namespace
}  // namespace mechcert
