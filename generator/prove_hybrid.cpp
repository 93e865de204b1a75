// Strategy "hybrid/cubic+brute-force" (SPEC.md section 10): the cubic proof search's case list,
// then a step that lets the checker enumerate every input no listed class covers (the checker
// derives that residue itself; nothing here lists it). The claim is the brute-force generator's
// (mechcert eval's strict count less the rounding-fragile wins): every class input is correct, so
// the exact count is the classes' count plus the residue's correct inputs. Untrusted, as always.
#include <cstdio>
#include <stdexcept>

#include "generator/certificate_writer.hpp"
#include "generator/cubic_search.hpp"
#include "generator/evaluate.hpp"
#include "generator/strategy_registry.hpp"

namespace mechcert {
namespace {

nlohmann::json prove_hybrid_cubic(const LoadedModel& model, const ProveOptions& options) {
  const ModelWeights& w = model.weights;
  if (w.has_nonzero_bias())
    throw std::runtime_error("hybrid: the model has non-zero biases; the cubic part needs zero biases");
  const PathTables tables = compute_path_tables(w, BiasPolicy::Reject);
  CubicSearchOptions search;
  search.threads = options.threads;
  const CubicSearchResult classes = cubic_search(tables, search);

  EvalOptions eval_options;
  eval_options.threads = options.threads;
  eval_options.progress = options.progress;
  const EvalResult eval = evaluate_exact(w, eval_options);

  nlohmann::json cases = nlohmann::json::array();
  for (const CubicRow& row : classes.rows) cases.push_back({row.m, row.q, row.c, row.mask});
  nlohmann::json steps = nlohmann::json::array();
  steps.push_back({{"kind", "path-tables"}});
  steps.push_back({{"kind", "cubic-classes"}, {"cases", std::move(cases)}});
  steps.push_back({{"kind", "brute-force-residue"}});
  const uint64_t claim = eval.strict_correct - eval.fragile_correct;
  if (options.progress) {
    std::fprintf(stderr, "hybrid: %zu classes cover %s of %llu inputs; claim %llu\n",
                 classes.rows.size(), classes.count.str().c_str(),
                 static_cast<unsigned long long>(eval.total), static_cast<unsigned long long>(claim));
  }
  // Deterministic (no timings): the same model always gives the same certificate bytes.
  nlohmann::json info = {{"program", "mechcert prove"},
                         {"rows", classes.rows.size()},
                         {"class_inputs", classes.count.str()},
                         {"strict_correct", std::to_string(eval.strict_correct)},
                         {"fragile_correct", std::to_string(eval.fragile_correct)}};
  return make_certificate_json(model, "hybrid/cubic+brute-force", std::move(steps), BigInt(claim),
                               std::move(info));
}

const StrategyRegistration kRegistration{StrategyInfo{
    "hybrid/cubic+brute-force",
    "cubic classes, then every input they leave out by the brute-force lemma (exact accuracy at "
    "the residue's cost, SPEC 10)",
    &prove_hybrid_cubic, "hybrid"}};

}  // namespace
}  // namespace mechcert
