// `mechcert eval MODEL [--json] [--threads N] [--k K --vocab V]`: exact accuracy of a Max-of-K
// model over all v^k inputs (evaluate.hpp).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "format/errors.hpp"
#include "format/model_weights.hpp"
#include "generator/commands.hpp"
#include "generator/evaluate.hpp"

namespace mechcert {

int cmd_eval(int argc, char** argv) {
  CLI::App app{"Exact accuracy of a Max-of-K model over all v^k inputs (double precision, path "
               "decomposition; the sound count is the brute-force certificate's)."};
  app.name("mechcert eval");
  std::string model_path;
  bool json = false;
  bool quiet = false;
  int threads = 0;
  ModelOverrides overrides;
  app.add_option("MODEL", model_path, "model file (safetensors)")->required();
  app.add_flag("--json", json,
               "print one JSON object: total, argmax_correct, strict_correct, accuracy, ...");
  app.add_option("--threads", threads, "worker threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--k", overrides.k, "override the file's sequence length k")
      ->check(CLI::PositiveNumber);
  app.add_option("--vocab", overrides.v, "override the file's vocabulary size")
      ->check(CLI::PositiveNumber);
  app.add_option("--task", overrides.task, "override the file's task (SPEC 1.3; e.g. max-of-k)");
  app.add_flag("--quiet", quiet, "no progress lines on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  LoadedModel model;
  try {
    model = load_model(model_path, overrides);
  } catch (const FormatError& e) {
    std::fprintf(stderr, "mechcert eval: %s\n", e.what());
    return 2;
  }
  EvalOptions options;
  options.threads = threads;
  options.progress = !quiet;
  const EvalResult r = evaluate_exact(model.weights, options);
  const double accuracy =
      static_cast<double>(r.argmax_correct) / static_cast<double>(r.total);
  const double strict_accuracy =
      static_cast<double>(r.strict_correct) / static_cast<double>(r.total);
  if (json) {
    const nlohmann::json out = {
        {"total", r.total},
        {"argmax_correct", r.argmax_correct},
        {"strict_correct", r.strict_correct},
        {"fragile_correct", r.fragile_correct},
        {"accuracy", accuracy},
        {"strict_accuracy", strict_accuracy},
        {"k", model.weights.k},
        {"vocab", model.weights.v},
        {"model_sha256", model.sha256},
        {"seconds", r.seconds},
        {"threads", r.threads},
    };
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("model            %s (sha256 %s)\n", model_path.c_str(), model.sha256.c_str());
    std::printf("inputs           %llu (v=%lld, k=%lld)\n",
                static_cast<unsigned long long>(r.total), static_cast<long long>(model.weights.v),
                static_cast<long long>(model.weights.k));
    std::printf("argmax correct   %llu (accuracy %.8f)\n",
                static_cast<unsigned long long>(r.argmax_correct), accuracy);
    std::printf("strictly correct %llu (%.8f)\n", static_cast<unsigned long long>(r.strict_correct),
                strict_accuracy);
    std::printf("time             %.3f s on %d threads\n", r.seconds, r.threads);
  }
  return 0;
}

}  // namespace mechcert
