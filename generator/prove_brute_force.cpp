// Strategy "brute-force": the certificate is a single step {"kind": "brute-force"} and a claim.
// The claimed count is the generator's own strict count (mechcert eval's strict_correct: the
// correct logit strictly above every other, in double precision) minus the inputs that win by a
// relative margin below 1e-9, which double rounding could have decided either way. The checker
// recomputes a sound count with outward rounding and accepts the claim if it is not larger, so
// leaving the fragile inputs out keeps our own certificates from being rejected over a last bit.
#include <string>

#include "generator/certificate_writer.hpp"
#include "generator/evaluate.hpp"
#include "generator/strategy_registry.hpp"

namespace mechcert {

namespace {

nlohmann::json prove_brute_force(const LoadedModel& model, const ProveOptions& options) {
  EvalOptions eval_options;
  eval_options.threads = options.threads;
  eval_options.progress = options.progress;
  const EvalResult r = evaluate_exact(model.weights, eval_options);
  nlohmann::json steps = nlohmann::json::array();
  steps.push_back({{"kind", "brute-force"}});
  nlohmann::json info = {{"program", "mechcert prove"},
                         {"argmax_correct", std::to_string(r.argmax_correct)},
                         {"strict_correct", std::to_string(r.strict_correct)},
                         {"fragile_correct", std::to_string(r.fragile_correct)}};
  return make_certificate_json(model, "brute-force", std::move(steps),
                               BigInt(r.strict_correct - r.fragile_correct),
                               std::move(info));
}

const StrategyRegistration kRegistration{StrategyInfo{
    "brute-force", "every input, sound forward pass (exact accuracy; O(v^k k v) checker time)",
    prove_brute_force, "brute-force"}};

}  // namespace

}  // namespace mechcert
