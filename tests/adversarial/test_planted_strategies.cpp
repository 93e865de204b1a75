// No strategy certifies more than the exact count on the planted-error models
// (planted_models.hpp): for every registered strategy, the generator proposes a certificate, the
// claim is zeroed (so the checker reports everything the steps certify, not just the claim), and
// the checker's certified count must not exceed the exact strict count of the oracle. The
// brute-force checker is also called directly. Tightness (certified == exact) is reported, not
// required: near-ties of 2^-149 cannot be certified by a binary64 interval checker.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "checker/brute_force.hpp"
#include "checker/check.hpp"
#include "checker/fp_environment.hpp"
#include "format/certificate.hpp"
#include "format/model_weights.hpp"
#include "generator/strategy_registry.hpp"
#include "tests/adversarial/exact_count.hpp"
#include "tests/adversarial/planted_models.hpp"

using namespace mechcert;
using namespace mechcert::adversarial;

namespace {

std::filesystem::path temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() / "mechcert-adversarial-planted";
  std::filesystem::create_directories(dir);
  return dir;
}

// The oracle is the slow part (GMP rationals); each model is counted once per process.
const ExactCounts& exact_of(const PlantedModel& pm) {
  static std::map<std::string, ExactCounts> cache;
  auto it = cache.find(pm.name);
  if (it == cache.end()) it = cache.emplace(pm.name, exact_counts(pm.weights)).first;
  return it->second;
}

LoadedModel saved_and_loaded(const PlantedModel& pm) {
  const std::string path = (temp_dir() / (pm.name + ".safetensors")).string();
  save_model(path, pm.weights, pm.dtype);
  return load_model(path);
}

// The generator's certificate for `model`, parsed; nullopt (with a warning) if it refuses.
std::optional<Certificate> proposed(const LoadedModel& model, const std::string& strategy,
                                    const StrategyInfo& info, const std::string& name) {
  ProveOptions opt;
  opt.threads = 1;
  opt.progress = false;
  try {
    return parse_certificate(info.prove(model, opt).dump(), name + ".cert.json", "");
  } catch (const std::exception& e) {
    WARN(name << " / " << strategy << ": prove refused: " << e.what());
    return std::nullopt;
  }
}

}  // namespace

TEST_CASE("brute-force checker never certifies more than the exact count", "[adversarial][planted]") {
  require_sound_fp_environment();
  for (const PlantedModel& pm : all_planted_models()) {
    INFO(pm.name << ": " << pm.trap);
    const ExactCounts& exact = exact_of(pm);
    const BruteForceCount bf = brute_force_certified_count(pm.weights, 1);
    CHECK(bf.total == exact.total);
    REQUIRE(bf.certified <= exact.strict_correct);
    if (bf.certified != exact.strict_correct)
      WARN(pm.name << ": brute force certifies " << bf.certified << " of exact " << exact.strict_correct);
    // neither the thread count nor the instruction set changes the count
    CHECK(brute_force_certified_count(pm.weights, 2).certified == bf.certified);
    for (SimdPath path : {SimdPath::scalar, SimdPath::sse2, SimdPath::avx2}) {
      uint64_t certified = 0;
      try {
        certified = brute_force_certified_count(pm.weights, 1, path).certified;
      } catch (const std::exception& e) {  // e.g. no AVX2 on this CPU
        WARN(pm.name << ": SIMD path " << static_cast<int>(path) << " unavailable: " << e.what());
        continue;
      }
      CHECK(certified == bf.certified);
      REQUIRE(certified <= exact.strict_correct);
    }
  }
}

TEST_CASE("every strategy, through generator + checker, stays at or below the exact count",
          "[adversarial][planted]") {
  require_sound_fp_environment();
  const auto dir = temp_dir();
  int checked = 0;
  for (const PlantedModel& pm : all_planted_models()) {
    const ExactCounts& exact = exact_of(pm);
    const LoadedModel model = saved_and_loaded(pm);
    for (const auto& [name, info] : strategy_registry()) {
      INFO(pm.name << " / " << name << ": " << pm.trap);
      std::optional<Certificate> proposal = proposed(model, name, info, pm.name);
      if (!proposal) continue;
      Certificate& cert = *proposal;
      const BigInt claimed = cert.claim_correct;
      cert.claim_correct = 0;
      CheckResult r;
      try {
        r = check_certificate(model, cert, 1);
      } catch (const std::exception& e) {
        WARN(pm.name << " / " << name << ": checker rejects the generator's certificate: " << e.what());
        continue;
      }
      ++checked;
      REQUIRE(r.certified <= exact.strict_correct);
      // Our own generator's claims must survive the checker, even on rounding traps (the
      // brute-force prover leaves rounding-fragile wins out of its claim).
      INFO("generator claims " << claimed << ", checker certifies " << r.certified);
      CHECK(claimed <= r.certified);
      std::printf("%-44s %-12s certified %4s  exact strict %4llu  argmax %4llu  of %llu\n",
                  pm.name.c_str(), name.c_str(), r.certified.str().c_str(),
                  static_cast<unsigned long long>(exact.strict_correct),
                  static_cast<unsigned long long>(exact.argmax_correct),
                  static_cast<unsigned long long>(exact.total));
    }
  }
  CHECK(checked > 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an exact-claim certificate is accepted only up to the exact count", "[adversarial][planted]") {
  // The claim is what a user sees: claiming exact+1 must be rejected for every strategy.
  require_sound_fp_environment();
  const auto dir = temp_dir();
  for (const PlantedModel& pm : all_planted_models()) {
    const ExactCounts& exact = exact_of(pm);
    const LoadedModel model = saved_and_loaded(pm);
    for (const auto& [name, info] : strategy_registry()) {
      INFO(pm.name << " / " << name);
      std::optional<Certificate> proposal = proposed(model, name, info, pm.name);
      if (!proposal) continue;
      Certificate& cert = *proposal;
      cert.claim_correct = BigInt(exact.strict_correct + 1);
      CHECK_THROWS(check_certificate(model, cert, 1));
    }
  }
  std::filesystem::remove_all(dir);
}
