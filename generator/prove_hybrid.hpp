// The hybrid strategy's sharded form (SPEC 10.8): parts of whole queries, composed by a manifest.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "generator/strategy_registry.hpp"

namespace mechcert {

// Writes DIR/part-NNNNN.json (hybrid/cubic+brute-force certificates, each for a run of whole
// queries: its classes with q there and an `inputs` range, cut so that the residues are about
// equal) and DIR/manifest.json, each atomically. 1 <= shards <= v. Returns the manifest.
nlohmann::json write_sharded_hybrid(const LoadedModel& model, const ProveOptions& options, int shards,
                                    const std::string& dir);

}  // namespace mechcert
