#include "generator/strategy_registry.hpp"

namespace mechcert {

std::map<std::string, StrategyInfo>& strategy_registry() {
  static std::map<std::string, StrategyInfo> registry;  // function-local: safe init order
  return registry;
}

}  // namespace mechcert
