#include "generator/strategy_registry.hpp"

#include "format/bias_fold.hpp"

namespace mechcert {

std::map<std::string, StrategyInfo>& strategy_registry() {
  static std::map<std::string, StrategyInfo> registry;  // function-local: safe init order
  return registry;
}

ProveFunction with_biases_folded(ProveFunction prove) {
  return [prove = std::move(prove)](const LoadedModel& model, const ProveOptions& options) {
    if (!model.weights.has_nonzero_bias()) return prove(model, options);
    const LoadedModel folded{fold_biases(model.weights), model.sha256, model.path};
    return prove(folded, options);
  };
}

}  // namespace mechcert
