// Strategy "brute-force": the certificate is a single step {"kind": "brute-force"} and a claim.
// The claimed count is the generator's own strict count (mechcert eval's strict_correct: the
// correct logit strictly above every other, in double precision). The checker recomputes a sound
// count with outward rounding and accepts the claim if it is not larger; on a tie-free model the
// two agree except for inputs whose logits differ by ~1e-15 relative (SPEC.md "Brute force").
#include <string>

#include "generator/certificate_writer.hpp"
#include "generator/evaluate.hpp"
#include "generator/strategy_registry.hpp"

namespace mechcert {

namespace {

nlohmann::json prove_brute_force(const LoadedModel& model, const ProveOptions& options) {
  if (model.weights.has_nonzero_bias())
    throw std::runtime_error("brute-force: the model has non-zero biases; the proof assumes zero biases");
  EvalOptions eval_options;
  eval_options.threads = options.threads;
  eval_options.progress = options.progress;
  const EvalResult r = evaluate_exact(model.weights, eval_options);
  nlohmann::json steps = nlohmann::json::array();
  steps.push_back({{"kind", "brute-force"}});
  nlohmann::json info = {{"program", "mechcert prove"},
                         {"argmax_correct", std::to_string(r.argmax_correct)},
                         {"strict_correct", std::to_string(r.strict_correct)}};
  return make_certificate_json(model, "brute-force", std::move(steps), BigInt(r.strict_correct),
                               std::move(info));
}

const StrategyRegistration kRegistration{StrategyInfo{
    "brute-force", "every input, sound forward pass (exact accuracy; O(v^k k v) checker time)",
    prove_brute_force}};

}  // namespace

}  // namespace mechcert
