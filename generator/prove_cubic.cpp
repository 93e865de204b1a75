// Strategy "cubic" (SPEC.md section 5): runs the cubic proof search (cubic_search.hpp) and writes
// the certificate [path-tables, cubic-classes] with the claim N = the search's exact count.
// Nothing here is trusted: mechcert-check recomputes every bound of every listed class.
#include <cstdio>
#include <stdexcept>

#include "format/certificate.hpp"
#include "generator/cubic_search.hpp"
#include "generator/strategy_registry.hpp"

namespace mechcert {
namespace {

nlohmann::json prove_cubic(const LoadedModel& model, const ProveOptions& options) {
  const ModelWeights& w = model.weights;
  if (w.has_nonzero_bias()) {
    throw std::runtime_error(
        "cubic: the model has non-zero biases; the cubic proof needs zero biases");
  }
  const PathTables tables = compute_path_tables(w, BiasPolicy::Reject);
  CubicSearchOptions search;
  search.threads = options.threads;
  search.weights = &w;  // conservative re-check of every row (sharp attention, SPEC 3.8)
  const CubicSearchResult result = cubic_search(tables, search);

  Certificate cert;
  cert.task = {w.task, w.v, w.k};
  cert.model = {model.sha256, w.file_d_model(), w.file_d_head(), w.v_out};  // SPEC 3.6
  cert.strategy = "cubic";
  nlohmann::json cases = nlohmann::json::array();
  for (const CubicRow& row : result.rows) cases.push_back({row.m, row.q, row.c, row.mask});
  cert.steps = nlohmann::json::array();
  cert.steps.push_back({{"kind", "path-tables"}});
  cert.steps.push_back({{"kind", "cubic-classes"}, {"cases", std::move(cases)}});
  cert.claim_correct = BigInt(result.count.str());
  cert.claim_total = 1;
  for (int64_t i = 0; i < w.k; ++i) cert.claim_total *= w.v;
  // Deterministic (no timings): the same model always gives the same certificate bytes.
  cert.generator = {{"program", "mechcert"}, {"rows", result.rows.size()}};
  if (options.progress) {
    std::fprintf(stderr, "cubic: %zu classes, %s of %s inputs certified (%.3f s)\n",
                 result.rows.size(), result.count.str().c_str(), cert.claim_total.str().c_str(),
                 result.seconds);
  }
  return certificate_to_json(cert);
}

const StrategyRegistration registration{StrategyInfo{
    "cubic",
    "enumerate (max, query, count, non-max value); two extreme placements; mixture counting "
    "(O(v^3 k), SPEC 5)",
    &prove_cubic, "cubic"}};

}  // namespace
}  // namespace mechcert
