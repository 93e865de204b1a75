// Strategies "subcubic/<EU>/<attention>/exact_EQKE+max_diff_exact" (SPEC.md section 7): run the
// subcubic proof search (subcubic_search.hpp) and write the certificate
// [path-tables, eu-bound, gap-classes] with the claim N = the search's exact count.
// Nothing here is trusted: mechcert-check recomputes every bound of every listed row.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "format/exact_numbers.hpp"
#include "generator/certificate_writer.hpp"
#include "generator/strategy_registry.hpp"
#include "generator/subcubic_search.hpp"

namespace mechcert {
namespace {

constexpr const char* kEqkeOption = "exact_EQKE+max_diff_exact";

std::string strategy_name(SubcubicEU eu, SubcubicAttention attention) {
  return "subcubic/" + subcubic_eu_name(eu) + "/" + subcubic_attention_name(attention) + "/" +
         kEqkeOption;
}

// Legend group (reference-algorithms.md 6.9) of an exact-EQKE configuration: the exact EU
// options (ours, centered_max_exact, included) are "subcubic", the low-rank ones "direct-quadratic".
std::string subcubic_group(SubcubicEU eu) {
  switch (eu) {
    case SubcubicEU::MeanQueryMaxDiff:
    case SubcubicEU::MaxDiff: return "direct-quadratic";
    default: return "subcubic";
  }
}

nlohmann::json prove_subcubic(const LoadedModel& model, const ProveOptions& options,
                              SubcubicEU eu, SubcubicAttention attention) {
  const std::string name = strategy_name(eu, attention);
  const ModelWeights& w = model.weights;
  if (w.has_nonzero_bias()) {
    throw std::runtime_error(name +
                             ": the model has non-zero biases; the subcubic proof needs zero biases");
  }
  const PathTables tables = compute_path_tables(w, BiasPolicy::Reject);
  SubcubicSearchOptions search;
  search.eu = eu;
  search.attention = attention;
  search.threads = options.threads;
  const SubcubicSearchResult result = subcubic_search(tables, w, search);

  nlohmann::json blocks = nlohmann::json::array();
  for (const SubcubicBlock& block : result.blocks) {
    nlohmann::json rows = nlohmann::json::array();
    for (const SubcubicRow& row : block.rows) rows.push_back({row.q, row.g});
    blocks.push_back({block.m, block.c, format_hex_double(block.avg), std::move(rows)});
  }
  nlohmann::json steps = nlohmann::json::array();
  steps.push_back({{"kind", "path-tables"}});
  steps.push_back({{"kind", "eu-bound"}, {"handling", subcubic_eu_name(eu)}});
  steps.push_back({{"kind", "gap-classes"},
                   {"attention", subcubic_attention_name(attention)},
                   {"blocks", std::move(blocks)}});
  // Deterministic (no timings): the same model always gives the same certificate bytes.
  nlohmann::json info = {
      {"program", "mechcert"}, {"blocks", result.blocks.size()}, {"rows", result.rows}};
  nlohmann::json cert =
      make_certificate_json(model, name, std::move(steps), BigInt(result.count.str()), info);
  if (options.progress) {
    std::fprintf(stderr, "%s: %zu blocks, %zu rows, %s of %s inputs certified (%.3f s)\n",
                 name.c_str(), result.blocks.size(), result.rows, result.count.str().c_str(),
                 cert["claim"]["total"].get<std::string>().c_str(), result.seconds);
  }
  return cert;
}

// One registration per (EU, attention) pair.
struct Registrations {
  Registrations() {
    for (const SubcubicEU eu : {SubcubicEU::MaxDiffExact, SubcubicEU::GlobalMaxDiffExact,
                                SubcubicEU::MeanQueryMaxDiff, SubcubicEU::MaxDiff,
                                SubcubicEU::CenteredMaxExact}) {
      for (const SubcubicAttention attention :
           {SubcubicAttention::MeanQueryDiff, SubcubicAttention::DropAverage}) {
        StrategyRegistration{StrategyInfo{
            strategy_name(eu, attention),
            "gap classes (max, query, count; non-max tokens <= max - gap), EU option " +
                subcubic_eu_name(eu) + ", no v^3 work (SPEC 7)",
            [eu, attention](const LoadedModel& model, const ProveOptions& options) {
              return prove_subcubic(model, options, eu, attention);
            },
            subcubic_group(eu)}};
      }
    }
  }
};

const Registrations registrations;

}  // namespace
}  // namespace mechcert
