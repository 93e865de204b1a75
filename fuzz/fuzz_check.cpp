// libFuzzer target: the whole checker (parse_certificate + check_certificate) against a fixed set
// of tiny planted-error models (tests/adversarial/planted_models.hpp) whose exact counts are known.
// Input: byte 0 selects the model, the rest is the certificate text. Beyond "no crash, no
// sanitizer report, only FormatError / CertificateRejected", the target checks SOUNDNESS: an
// accepted certificate must claim at most the model's exact number of correct inputs, over v^k.
//
// Seed corpus (fuzz/corpus/check/): certificates that `mechcert prove` writes for these models,
// prefixed with the model byte; regenerate with fuzz/make_check_seeds.sh, which asks this binary
// for the model files (MECHCERT_FUZZ_WRITE_MODELS=DIR ./fuzz_check writes them and exits).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "checker/check.hpp"
#include "checker/fp_environment.hpp"
#include "format/certificate.hpp"
#include "format/errors.hpp"
#include "format/model_weights.hpp"
#include "tests/adversarial/exact_count.hpp"
#include "tests/adversarial/planted_models.hpp"

namespace {

struct FuzzModel {
  std::string name;
  mechcert::LoadedModel model;
  uint64_t strict = 0;  // exact count from the oracle
  uint64_t total = 0;
};

std::vector<FuzzModel>& models() {
  static std::vector<FuzzModel> list;
  return list;
}

bool verbose() {
  static const bool on = std::getenv("MECHCERT_FUZZ_VERBOSE") != nullptr;
  return on;
}

void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_check: UNSOUND: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mechcert::require_sound_fp_environment();
  using namespace mechcert::adversarial;
  std::vector<PlantedModel> chosen = {lookup_table_model(), rounding_trap_model(false),
                                      uniform_attention_model(2), max_model(kMinSubnormalF32, true),
                                      max_model(0.0, true, 2, 5)};
  const char* out_dir = std::getenv("MECHCERT_FUZZ_WRITE_MODELS");
  const auto dir = out_dir ? std::filesystem::path(out_dir)
                           : std::filesystem::temp_directory_path() / "mechcert-fuzz-check-models";
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < chosen.size(); ++i) {
    const std::string path = (dir / (std::to_string(i) + "-" + chosen[i].name + ".safetensors")).string();
    mechcert::save_model(path, chosen[i].weights, chosen[i].dtype);
    const ExactCounts c = exact_counts(chosen[i].weights);
    models().push_back({chosen[i].name, mechcert::load_model(path), c.strict_correct, c.total});
  }
  if (out_dir) {
    std::printf("wrote %zu models to %s\n", chosen.size(), out_dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const FuzzModel& m = models()[data[0] % models().size()];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const mechcert::Certificate cert = mechcert::parse_certificate(text, "fuzz.cert.json", "");
    const mechcert::CheckResult r = mechcert::check_certificate(m.model, cert, 1);
    if (r.bound_den != m.total)
      fail(m.name + ": accepted a bound over " + r.bound_den.str() + " inputs, v^k = " +
           std::to_string(m.total));
    if (r.bound_num > m.strict)
      fail(m.name + ": accepted claim " + r.bound_num.str() + " > exact strict count " +
           std::to_string(m.strict));
    if (r.certified > m.strict)
      fail(m.name + ": strategy certified " + r.certified.str() + " > exact strict count " +
           std::to_string(m.strict));
    if (verbose())
      std::fprintf(stderr, "valid: %s claim %s certified %s (exact %llu)\n", m.name.c_str(),
                   r.bound_num.str().c_str(), r.certified.str().c_str(),
                   static_cast<unsigned long long>(m.strict));
  } catch (const mechcert::CertificateRejected& e) {
    if (verbose()) std::fprintf(stderr, "rejected: %s\n", e.what());
  } catch (const mechcert::FormatError& e) {
    if (verbose()) std::fprintf(stderr, "malformed: %s\n", e.what());
  }
  return 0;
}
