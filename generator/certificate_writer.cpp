#include "generator/certificate_writer.hpp"

namespace mechcert {

nlohmann::json make_certificate_json(const LoadedModel& model, const std::string& strategy,
                                     nlohmann::json steps, const BigInt& correct,
                                     nlohmann::json generator_info) {
  const ModelWeights& w = model.weights;
  Certificate c;
  c.version = kCertificateVersion;
  c.task = {w.task, w.v, w.k};
  c.model = {model.sha256, w.file_d_model(), w.file_d_head(), w.v_out};  // SPEC 3.6
  c.strategy = strategy;
  c.steps = std::move(steps);
  c.claim_correct = correct;
  c.claim_total = 1;
  for (int64_t i = 0; i < w.k; ++i) c.claim_total *= w.v;
  c.generator = std::move(generator_info);
  return certificate_to_json(c);
}

}  // namespace mechcert
