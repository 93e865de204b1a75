#include "checker/check.hpp"

#include <map>

#include "checker/brute_force.hpp"
#include "checker/composition.hpp"
#include "checker/cubic.hpp"
#include "checker/hybrid.hpp"
#include "checker/subcubic.hpp"
#include "format/bias_fold.hpp"

namespace mechcert {

StrategyCheck find_strategy_check(const std::string& strategy) {
  static const std::map<std::string, StrategyCheck> table = [] {
    std::map<std::string, StrategyCheck> t = {
        {"brute-force", &check_brute_force},  // SPEC "Brute force"
        {"cubic", &check_cubic_strategy},     // SPEC "Cubic"
        {"hybrid/cubic+brute-force", &check_hybrid_cubic_strategy},  // SPEC 10 "Hybrid"
        {"hybrid/cubic+partial-brute-force", &check_hybrid_partial_strategy},  // SPEC 10.7
        {"composition", &check_composition},  // SPEC "Composition" (parts checked in turn)
    };
    for (const std::string& name : subcubic_strategy_names())
      t.emplace(name, &check_subcubic_strategy);  // SPEC "Subcubic"
    return t;
  }();
  auto it = table.find(strategy);
  return it == table.end() ? nullptr : it->second;
}

void expect_step_kinds(const Certificate& cert, const std::vector<std::string>& kinds) {
  for (size_t i = 0; i < cert.steps.size() && i < kinds.size(); ++i)
    if (cert.step_kind(i) != kinds[i])
      cert.step_path(i).field("kind").fail("step kind \"" + cert.step_kind(i) + "\", expected \"" +
                                           kinds[i] + "\" for strategy " + cert.strategy);
  if (cert.steps.size() != kinds.size())
    JsonPath{cert.display_name, "steps"}.fail(std::to_string(cert.steps.size()) +
                                              " steps, strategy " + cert.strategy + " has " +
                                              std::to_string(kinds.size()));
}

namespace {
void reject(const std::string& why) { throw CertificateRejected(why); }
}  // namespace

void check_envelope(const LoadedModel& model, const Certificate& cert) {
  const ModelWeights& w = model.weights;
  if (cert.model.sha256 != model.sha256)
    reject("model: the certificate is for model " + cert.model.sha256 + ", not " + model.sha256 +
           " (" + model.path + ")");
  if (w.task != cert.task.name)
    reject("task: the model was trained for \"" + w.task + "\", the certificate is for \"" +
           cert.task.name + "\"");
  auto same = [&](const char* what, int64_t in_cert, int64_t in_model) {
    if (in_cert != in_model)
      reject(std::string(what) + ": the certificate says " + std::to_string(in_cert) +
             ", the model has " + std::to_string(in_model));
  };
  same("task.vocab", cert.task.vocab, w.v);
  same("task.k", cert.task.k, w.k);
  same("model.d_model", cert.model.d_model, w.file_d_model());
  same("model.d_head", cert.model.d_head, w.file_d_head());
  same("model.d_vocab_out", cert.model.d_vocab_out, w.v_out);
  if (w.v_out < w.v)
    reject("model: d_vocab_out " + std::to_string(w.v_out) + " < vocab " + std::to_string(w.v) +
           ": the label max(t) cannot be predicted");
}

CheckResult check_certificate(const LoadedModel& model, const Certificate& cert, int threads) {
  check_envelope(model, cert);
  const ModelWeights& w = model.weights;

  const StrategyCheck check = find_strategy_check(cert.strategy);
  if (!check) JsonPath{cert.display_name, "strategy"}.fail("unknown strategy \"" + cert.strategy + "\"");
  // Lemma F (SPEC 3.6): with a non-zero bias every strategy checks the folded, bias-free model,
  // which computes the same logits. All-zero biases: the model itself (certificates unchanged).
  LoadedModel folded;
  if (w.has_nonzero_bias()) folded = LoadedModel{fold_biases(w), model.sha256, model.path};
  const LoadedModel& checked = w.has_nonzero_bias() ? folded : model;
  const StrategyOutcome outcome = check(StrategyInput{checked, cert, threads});
  return finish_check(model, cert, outcome);
}

CheckResult finish_check(const LoadedModel& model, const Certificate& cert,
                         const StrategyOutcome& outcome) {
  const ModelWeights& w = model.weights;
  if (cert.claim_correct > outcome.certified)
    reject("claim: claims " + cert.claim_correct.str() + " correct inputs, the steps certify only " +
           outcome.certified.str());

  CheckResult r;
  r.valid = true;
  r.strategy = cert.strategy;
  r.model_sha256 = model.sha256;
  r.bound_num = cert.claim_correct;
  r.bound_den = cert.claim_total;
  r.certified = outcome.certified;
  r.length.ops = outcome.ops;
  r.length.paper_flops = outcome.paper_flops;
  // reference-algorithms.md 7.2: brute force v^(k+1); cubic |EU|+|PVOU|+|EQKE|+|EQKP|+|EVOU|.
  const BigInt v = w.v, k = w.k;
  if (outcome.unexplained_dimension != 0) r.unexplained_dimension = outcome.unexplained_dimension;
  else if (cert.strategy == "brute-force") r.unexplained_dimension = boost::multiprecision::pow(v, static_cast<unsigned>(w.k + 1));
  else if (cert.strategy == "cubic") r.unexplained_dimension = 3 * v * v + 2 * k * v;
  return r;
}

}  // namespace mechcert
