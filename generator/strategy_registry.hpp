// Proof strategies register themselves here (one file per strategy, a static Registration
// object), so adding a strategy never edits a central table.
#pragma once
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "format/model_weights.hpp"

namespace mechcert {

struct ProveOptions {
  int threads = 0;       // 0 = hardware concurrency
  bool progress = true;  // progress lines on stderr
  // hybrid/cubic+partial-brute-force: checker ops to spend on the residue, as log2 (0 = default).
  double residue_ops_log2 = 0;
};

// Builds a complete certificate (JSON, see SPEC.md) for `model`. Throws std::runtime_error with a
// one-line message when the strategy cannot handle the model (e.g. non-zero biases).
using ProveFunction = std::function<nlohmann::json(const LoadedModel&, const ProveOptions&)>;

struct StrategyInfo {
  std::string name;         // e.g. "brute-force", "cubic", "subcubic/<EU>/<attn>/<EQKE-err>"
  std::string description;  // one line for `mechcert strategies`
  ProveFunction prove;
  // Legend group of the paper's plots (reference-algorithms.md section 6.9), e.g. "brute-force",
  // "cubic", "subcubic", "direct-quadratic"; `mechcert strategies --json` and the sweep use it.
  std::string group;
};

// Name -> strategy, ordered by name.
std::map<std::string, StrategyInfo>& strategy_registry();

// `prove` run on the bias-free folded model of SPEC 3.6 when `model` has a non-zero bias (the
// checker folds the same way), else on `model` itself. Every registered strategy goes through it.
ProveFunction with_biases_folded(ProveFunction prove);

struct StrategyRegistration {
  explicit StrategyRegistration(StrategyInfo info) {
    info.prove = with_biases_folded(std::move(info.prove));
    auto name = info.name;
    strategy_registry().emplace(std::move(name), std::move(info));
  }
};

}  // namespace mechcert
