// mechcert-check MODEL CERT [--json] [--threads N] [--part I]: the trusted, independent checker.
// Exit codes (SPEC.md "Checker contract"): 0 the certificate is valid and its bound holds;
// 1 the certificate is rejected (stderr: one line naming the failed step and why);
// 2 usage error or unreadable input; 3 internal error (the checker could not decide: an invariant
// failed, an enclosure overflowed binary64, out of memory) -- never "rejected";
// 4 unsound floating-point environment (the checker refuses to run on this machine/process).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "checker/check.hpp"
#include "checker/exp_bounds.hpp"
#include "checker/composition.hpp"
#include "checker/fp_environment.hpp"
#include "checker/heap_prefault.hpp"
#include "checker/verdict.hpp"
#include "format/certificate.hpp"
#include "format/model_weights.hpp"

#ifndef MECHCERT_VERSION
#define MECHCERT_VERSION "unknown"
#endif
#ifndef MECHCERT_TRUSTED_LINES
#define MECHCERT_TRUSTED_LINES "unknown"
#endif

#if defined(__has_feature)
#define MECHCERT_HAS_ASAN __has_feature(address_sanitizer)
#else
#define MECHCERT_HAS_ASAN 0
#endif

namespace {

using mechcert::kExitEnvironment;
using mechcert::print_internal_error;
using mechcert::print_rejected;
using mechcert::print_unreadable;

}  // namespace

int main(int argc, char** argv) {
  // Page faults were a large part of a small check: fault the heap it will use in one call, before
  // anything (the argument parser included) allocates.
  mechcert::prefault_heap(mechcert::expected_heap_bytes(argc, argv));
  CLI::App app{"mechcert-check: verify an accuracy certificate for a model, independently of the "
               "generator.\nExit codes: 0 valid, 1 rejected (not a proof), 2 usage error or unreadable input, "
               "3 internal error (no verdict), 4 unsound floating-point environment.",
               "mechcert-check"};  // named, so that --help (and the man page) shows no build path
  std::string model_path, cert_path;
  bool json = false;
  int threads = 0;
  app.add_option("MODEL", model_path, "model file (.safetensors)")->required();
  app.add_option("CERT", cert_path, "certificate (.json)")->required();
  app.add_flag("--json", json, "print one JSON object instead of text");
  int64_t part_index = -1;
  // Ranges and choices are checked after parsing, not by CLI11 validators: building them (their
  // descriptions go through string streams) cost ~50 µs of a 5 ms check (docs/frontier.md).
  const auto max_part = static_cast<int64_t>(mechcert::kMaxCompositionParts);
  const CLI::Option* part_option = app.add_option("--part", part_index,
                 "check only part I (0 to " + std::to_string(max_part) +
                     ") of a composition manifest (SPEC 9.3): its digest, model, range and proof");
  mechcert::ModelOverrides overrides;
  app.add_option("--task", overrides.task, "override the model file's task (SPEC 1.3; e.g. max-of-k)");
  std::string exp_method = "binary64";
  app.add_option("--exp", exp_method,
                 "exp enclosures: binary64 (SPEC 3.7 Lemma A3, default) or mpfr (SPEC 3.3); both sound");
  app.add_option("--threads", threads,
                 "worker threads, 0 to 1024 (default 0: all cores); never changes the verdict");
  app.set_version_flag("--version",
                       std::string("mechcert-check ") + MECHCERT_VERSION + " (certificate format v" +
                           std::to_string(mechcert::kCertificateVersion) + ")\ntrusted code: " +
                           MECHCERT_TRUSTED_LINES + " lines in checker/ and format/ (SPEC.md \"Trusted code\")");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  auto usage_error = [](const std::string& message) {
    std::fprintf(stderr, "%s\nRun with --help for more information.\n", message.c_str());
    return 2;
  };
  if (part_option->count() > 0 && (part_index < 0 || part_index > max_part))
    return usage_error("--part: Value " + std::to_string(part_index) + " not in range 0 to " + std::to_string(max_part));
  if (exp_method != "binary64" && exp_method != "mpfr")
    return usage_error("--exp: " + exp_method + " not in {binary64,mpfr}");
  if (threads < 0 || threads > 1024)
    return usage_error("--threads: Value " + std::to_string(threads) + " not in range 0 to 1024");
  mechcert::set_exp_method(exp_method == "mpfr" ? mechcert::ExpMethod::mpfr
                                                : mechcert::ExpMethod::binary64);
  if (threads == 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads < 1) threads = 1;

  try {
    mechcert::require_sound_fp_environment();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mechcert-check: %s\n", e.what());
    return kExitEnvironment;
  }

  mechcert::Stopwatch clock;
  mechcert::LoadedModel model;
  mechcert::Certificate cert;
  try {
    model = mechcert::load_model(model_path, overrides);
  } catch (const std::exception& e) {
    return print_unreadable(std::string("unreadable model: ") + e.what());
  }
  try {
    cert = mechcert::read_certificate(cert_path);
  } catch (const mechcert::UnreadableInput& e) {
    return print_unreadable(std::string("unreadable certificate: ") + e.what());
  } catch (const mechcert::FormatError& e) {
    return print_rejected(e.what(), json, "", model.sha256);
  } catch (const std::exception& e) {
    return print_internal_error(e.what());
  }
  if (part_index >= 0 && cert.strategy != "composition")
    return print_unreadable("--part: " + cert_path + " is not a composition manifest (strategy " +
                            cert.strategy + ")");

  // Every failure of the check, mapped to its exit code (SPEC 2.5).
  auto guarded = [&](auto&& body) -> int {
    try {
      return body();
    } catch (const std::bad_alloc&) {
      return print_internal_error("out of memory");
    } catch (const mechcert::UnreadableInput& e) {
      return print_unreadable(std::string("unreadable input: ") + e.what());
    } catch (const mechcert::CertificateRejected& e) {
      return print_rejected(e.what(), json, cert.strategy, model.sha256);
    } catch (const mechcert::FormatError& e) {
      return print_rejected(e.what(), json, cert.strategy, model.sha256);
    } catch (const std::exception& e) {
      // Not the certificate's fault as far as we know: an invariant, an overflow, a bug.
      return print_internal_error(e.what());
    }
  };

  if (part_index >= 0) {
    return guarded([&] {
      mechcert::check_envelope(model, cert);
      const auto parts = mechcert::read_manifest_parts(cert, cert.claim_total);
      if (static_cast<size_t>(part_index) >= parts.size())
        return print_unreadable("--part " + std::to_string(part_index) + ": the manifest has " +
                                std::to_string(parts.size()) + " parts");
      const mechcert::ManifestPart& part = parts[static_cast<size_t>(part_index)];
      const mechcert::StrategyOutcome outcome = mechcert::check_part(model, cert, part, threads);
      mechcert::ProofLength length;
      length.ops = outcome.ops;
      length.paper_flops = outcome.paper_flops;
      length.wall_seconds = clock.wall_seconds();
      length.cpu_seconds = clock.cpu_seconds();
      return mechcert::print_part_valid(part, outcome, length, model.sha256, json);
    });
  }
  const int rc = guarded([&] {
    mechcert::CheckResult r = mechcert::check_certificate(model, cert, threads);
    r.length.wall_seconds = clock.wall_seconds();
    r.length.cpu_seconds = clock.cpu_seconds();
    return mechcert::print_valid(r, json);
  });
  // The verdict is printed: exit without freeing the certificate's JSON tree and the model one
  // node at a time (the system reclaims the memory at once). Under the sanitizers the normal
  // return keeps the leak check.
#if !defined(__SANITIZE_ADDRESS__) && !MECHCERT_HAS_ASAN
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(rc);
#endif
  return rc;
}
