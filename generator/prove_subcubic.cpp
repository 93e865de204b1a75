// Strategies "subcubic/<EU>/<attention>/<EQKE>" (SPEC.md section 7): compute the EQKE option's
// hints and approximation (subcubic_eqke.hpp), run the subcubic proof search (subcubic_search.hpp)
// and write the certificate [path-tables, eu-bound, gap-classes] with the claim N = the search's
// exact count.
// Nothing here is trusted: mechcert-check recomputes every bound of every listed row.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "format/exact_numbers.hpp"
#include "generator/certificate_writer.hpp"
#include "generator/strategy_registry.hpp"
#include "generator/subcubic_eqke.hpp"
#include "generator/subcubic_search.hpp"

namespace mechcert {
namespace {

std::string strategy_name(SubcubicEU eu, SubcubicAttention attention, SubcubicEqke eqke) {
  return "subcubic/" + subcubic_eu_name(eu) + "/" + subcubic_attention_name(attention) + "/" +
         subcubic_eqke_name(eqke);
}

std::vector<std::string> hex_array(const std::vector<double>& x) {
  std::vector<std::string> out;
  for (const double d : x) out.push_back(format_hex_double(d));
  return out;
}

// Legend group (reference-algorithms.md 6.9): the EQKE option is exact (exact EQKE,
// max_diff_exact), O(v·d^2) (svd, max_diff, mean+max_diff, the two subproducts) or quadratic (the
// three recursive ones); the EU option exact (ours, centered_max_exact, included) or low-rank
// ("direct-quadratic").
std::string subcubic_group(SubcubicEU eu, SubcubicEqke eqke) {
  if (eu == SubcubicEU::JointExact) return "cubic";  // O(v) per row: O(v^3) in all (SPEC 7.25)
  const bool low_rank_eu = eu == SubcubicEU::MeanQueryMaxDiff || eu == SubcubicEU::SvdQueryMaxDiff ||
                           eu == SubcubicEU::MaxDiff;
  const bool exact_eqke = eqke == SubcubicEqke::Exact || eqke == SubcubicEqke::MaxDiffExact;
  const std::string attention = is_recursive(eqke) ? "attention-quadratic" : "attention-d_vocab d_model^2";
  if (exact_eqke) return low_rank_eu ? "direct-quadratic" : "subcubic";
  return low_rank_eu ? attention + ", direct-quadratic" : attention;
}

nlohmann::json prove_subcubic(const LoadedModel& model, const ProveOptions& options,
                              SubcubicEU eu, SubcubicAttention attention, SubcubicEqke eqke) {
  const std::string name = strategy_name(eu, attention, eqke);
  const ModelWeights& w = model.weights;
  if (w.has_nonzero_bias()) {
    throw std::runtime_error(name +
                             ": the model has non-zero biases; the subcubic proof needs zero biases");
  }
  PathTables tables = compute_path_tables(w, BiasPolicy::Reject);
  SubcubicSearchOptions search;
  search.eu = eu;
  search.attention = attention;
  search.threads = options.threads;
  nlohmann::json path_step = {{"kind", "path-tables"}};
  if (eqke != SubcubicEqke::Exact) {
    SubcubicEqkeApprox approx = subcubic_eqke_approx(eqke, tables, w);
    path_step["eqke"] = subcubic_eqke_name(eqke);
    path_step["query_direction"] = hex_array(approx.query_dir);
    path_step["key_direction"] = hex_array(approx.key_dir);
    if (is_peeling(eqke)) {  // SPEC 7.18
      path_step["query_direction_2"] = hex_array(approx.query_dir2);
      path_step["key_direction_2"] = hex_array(approx.key_dir2);
      path_step["query_weight_direction"] = hex_array(approx.query_weight_dir);
      path_step["key_weight_direction"] = hex_array(approx.key_weight_dir);
    }
    search.eqke_residual = std::move(approx.b);
    tables.EQKE = std::move(approx.Ehat);  // the search sees the scores the checker will use
  }
  const SubcubicSearchResult result = subcubic_search(tables, w, search);
  nlohmann::json eu_step = {{"kind", "eu-bound"}, {"handling", subcubic_eu_name(eu)}};
  if (eu == SubcubicEU::SvdQueryMaxDiff)
    eu_step["direction"] = hex_array(subcubic_eu_bound(eu, tables, w).direction);

  nlohmann::json blocks = nlohmann::json::array();
  for (const SubcubicBlock& block : result.blocks) {
    nlohmann::json rows = nlohmann::json::array();
    for (const SubcubicRow& row : block.rows) rows.push_back({row.q, row.g});
    blocks.push_back({block.m, block.c, format_hex_double(block.avg), std::move(rows)});
  }
  nlohmann::json steps = nlohmann::json::array();
  steps.push_back(std::move(path_step));
  steps.push_back(std::move(eu_step));
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
                                SubcubicEU::MeanQueryMaxDiff, SubcubicEU::SvdQueryMaxDiff,
                                SubcubicEU::MaxDiff, SubcubicEU::CenteredMaxExact, SubcubicEU::JointExact}) {
      for (const SubcubicAttention attention :
           {SubcubicAttention::MeanQueryDiff, SubcubicAttention::DropAverage,
            SubcubicAttention::MeanQueryWeightedDiff}) {
        for (const SubcubicEqke eqke : all_subcubic_eqke()) {
          // SPEC 7.25: the weighted option is stated for the exact scores only.
          if (attention == SubcubicAttention::MeanQueryWeightedDiff && eqke != SubcubicEqke::Exact) continue;
          if (eu == SubcubicEU::JointExact && attention != SubcubicAttention::MeanQueryWeightedDiff) continue;
          StrategyRegistration{StrategyInfo{
              strategy_name(eu, attention, eqke),
              "gap classes (max, query, count; non-max tokens <= max - gap), EU option " +
                  subcubic_eu_name(eu) + ", EQKE " + subcubic_eqke_name(eqke) +
                  (eu == SubcubicEU::JointExact ? ", O(v) per row: v^3 work in all (SPEC 7.25)"
                                                : ", no v^3 work (SPEC 7)"),
              [eu, attention, eqke](const LoadedModel& model, const ProveOptions& options) {
                return prove_subcubic(model, options, eu, attention, eqke);
              },
              subcubic_group(eu, eqke)}};
        }
      }
    }
  }
};

const Registrations registrations;

}  // namespace
}  // namespace mechcert
