// Shared steps of the end-to-end tests: save a model, run a registered strategy's generator, check
// its certificate with the checker, and read the checker's one-line rejection.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "checker/check.hpp"
#include "format/certificate.hpp"
#include "generator/strategy_registry.hpp"

namespace mechcert::test {

// Writes `w` as an F64 model file named after `tag` (unique per test, since CTest runs tests in
// parallel) in the temporary directory and loads it back (hash included).
inline LoadedModel saved(const ModelWeights& w, const std::string& tag) {
  const auto path = std::filesystem::temp_directory_path() / ("mechcert-test-" + tag + ".safetensors");
  save_model(path.string(), w, DType::F64);
  return load_model(path.string());
}

inline LoadedModel example(int seed) {
  return load_model(std::string(MECHCERT_SOURCE_DIR) + "/examples/max4-seed" +
                    std::to_string(seed) + ".safetensors");
}

inline nlohmann::json prove(const LoadedModel& model, const std::string& strategy) {
  ProveOptions options;
  options.threads = 2;
  options.progress = false;
  return strategy_registry().at(strategy).prove(model, options);
}

inline CheckResult check(const LoadedModel& model, const nlohmann::json& cert) {
  return check_certificate(model, parse_certificate(cert.dump(), "cert.json", ""), 1);
}

// The checker's one-line reason for rejecting `cert` ("" if it is accepted).
inline std::string rejection(const LoadedModel& model, const nlohmann::json& cert) {
  try {
    check(model, cert);
    return "";
  } catch (const CertificateRejected& e) {
    return e.what();
  } catch (const FormatError& e) {
    return e.what();
  }
}

}  // namespace mechcert::test
