// Brute-force certificates, whole or sharded (SPEC 4 and 9): a sharded proof is a directory with
// one part certificate per range of the query-major input order and a manifest (strategy
// "composition") naming each part by file, SHA-256 and range.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "generator/strategy_registry.hpp"

namespace mechcert {

// A brute-force certificate for the inputs [begin, end) only (SPEC 4.6: step field "inputs");
// begin/end multiples of eval_range_unit. Claims the generator's strict count within the range.
nlohmann::json prove_brute_force_range(const LoadedModel& model, const ProveOptions& options,
                                       uint64_t begin, uint64_t end);

// Proves `shards` parts one after another (memory: one part at a time), writes each as
// DIR/part-NNNNN.json, then DIR/manifest.json; every file through a temporary name and a rename,
// so an interrupted run leaves no half-written file (and no manifest). Creates DIR if needed.
// Returns the manifest. Throws std::runtime_error (e.g. more shards than work units).
nlohmann::json write_sharded_brute_force(const LoadedModel& model, const ProveOptions& options,
                                         int shards, const std::string& dir);

// Writes `text` to `path` atomically: a temporary file in the same directory, then rename.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace mechcert
