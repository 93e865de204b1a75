// mechcert-check MODEL CERT [--json] [--threads N]: the trusted, independent checker.
// Exit codes (SPEC.md "Checker contract"): 0 the certificate is valid and its bound holds;
// 1 the certificate is rejected (stderr: one line naming the failed step and why);
// 2 usage error or unreadable input; 3 internal error (the checker could not decide: an invariant
// failed, an enclosure overflowed binary64, out of memory) -- never "rejected";
// 4 unsound floating-point environment (the checker refuses to run on this machine/process).
#include <cmath>
#include <limits>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "checker/check.hpp"
#include "checker/exp_bounds.hpp"
#include "checker/fp_environment.hpp"
#include "format/certificate.hpp"
#include "format/model_weights.hpp"

#ifndef MECHCERT_VERSION
#define MECHCERT_VERSION "unknown"
#endif
#ifndef MECHCERT_TRUSTED_LINES
#define MECHCERT_TRUSTED_LINES "unknown"
#endif

namespace {

using mechcert::BigInt;

std::string decimal(const BigInt& num, const BigInt& den, int digits) {
  // Truncated decimal expansion of num/den (num <= den), e.g. 0.99984962.
  BigInt whole = num / den, rem = num % den;
  std::string s = whole.str() + ".";
  for (int i = 0; i < digits; ++i) {
    rem *= 10;
    s += static_cast<char>('0' + static_cast<int>(rem / den));
    rem %= den;
  }
  return s;
}

double to_double(const BigInt& num, const BigInt& den) {
  return mechcert::Rational(num, den).convert_to<double>();
}

int finish_rejected(const std::string& reason, bool json, const std::string& strategy,
                    const std::string& sha) {
  std::fprintf(stderr, "mechcert-check: rejected: %s\n", reason.c_str());
  if (json) {
    nlohmann::json j = {{"valid", false}, {"reason", reason}, {"bound", nullptr},
                        {"model_sha256", sha}, {"strategy", strategy}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "REJECTED\n";
  }
  return 1;
}

// Exit codes other than 0/1/2 (SPEC.md 2.5).
constexpr int kExitInternal = 3;
constexpr int kExitEnvironment = 4;

// The checker could not reach a verdict. Deliberately not "rejected": exit 1 means the
// certificate is not a proof, and nothing here says so.
int internal_error(const std::string& what) {
  std::fprintf(stderr, "mechcert-check: internal error (no verdict): %s\n", what.c_str());
  return kExitInternal;
}

}  // namespace

int main(int argc, char** argv) {
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
  mechcert::ModelOverrides overrides;
  app.add_option("--task", overrides.task, "override the model file's task (SPEC 1.3; e.g. max-of-k)");
  std::string exp_method = "binary64";
  app.add_option("--exp", exp_method,
                 "exp enclosures: binary64 (SPEC 3.7 Lemma A3, default) or mpfr (SPEC 3.3); both sound")
      ->check(CLI::IsMember({"binary64", "mpfr"}));
  app.add_option("--threads", threads, "worker threads (default: all cores); never changes the verdict")
      ->check(CLI::Range(0, 1024));
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
    std::fprintf(stderr, "mechcert-check: unreadable model: %s\n", e.what());
    return 2;
  }
  try {
    cert = mechcert::read_certificate(cert_path);
  } catch (const mechcert::UnreadableInput& e) {
    std::fprintf(stderr, "mechcert-check: unreadable certificate: %s\n", e.what());
    return 2;
  } catch (const mechcert::FormatError& e) {
    return finish_rejected(e.what(), json, "", model.sha256);
  } catch (const std::exception& e) {
    return internal_error(e.what());
  }

  mechcert::CheckResult r;
  try {
    r = mechcert::check_certificate(model, cert, threads);
  } catch (const std::bad_alloc&) {
    return internal_error("out of memory");
  } catch (const mechcert::UnreadableInput& e) {
    std::fprintf(stderr, "mechcert-check: unreadable input: %s\n", e.what());
    return 2;
  } catch (const mechcert::CertificateRejected& e) {
    return finish_rejected(e.what(), json, cert.strategy, model.sha256);
  } catch (const mechcert::FormatError& e) {
    return finish_rejected(e.what(), json, cert.strategy, model.sha256);
  } catch (const std::exception& e) {
    // Not the certificate's fault as far as we know: an invariant, an overflow, a bug.
    return internal_error(e.what());
  }
  r.length.wall_seconds = clock.wall_seconds();
  r.length.cpu_seconds = clock.cpu_seconds();

  const double value = to_double(r.bound_num, r.bound_den);
  if (json) {
    nlohmann::json j;
    j["valid"] = true;
    j["bound"] = {{"num", r.bound_num.str()}, {"den", r.bound_den.str()}, {"value", value}};
    j["certified"] = r.certified.str();
    j["model_sha256"] = r.model_sha256;
    j["strategy"] = r.strategy;
    if (r.unexplained_dimension <= std::numeric_limits<uint64_t>::max())
      j["unexplained_dimension"] = r.unexplained_dimension.convert_to<uint64_t>();
    else
      j["unexplained_dimension"] = r.unexplained_dimension.str();  // beyond 2^64: exact decimal
    j["proof_length"] = {{"ops", r.length.ops.to_json()},
                         {"paper_flops", r.length.paper_flops},
                         {"seconds", r.length.wall_seconds},
                         {"cpu_seconds", r.length.cpu_seconds}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("VALID: accuracy >= %s/%s = %s (strategy %s, model %s)\n", r.bound_num.str().c_str(),
                r.bound_den.str().c_str(), decimal(r.bound_num, r.bound_den, 8).c_str(),
                r.strategy.c_str(), r.model_sha256.c_str());
    std::string ops;
    const nlohmann::json op_counts = r.length.ops.to_json();
    for (const auto& [kind, count] : op_counts.items())
      ops += " " + kind + "=" + std::to_string(count.get<uint64_t>());
    const double pf = static_cast<double>(r.length.paper_flops);
    std::printf("proof length: %llu ops (%s), paper FLOPs %.3g (2^%.1f), %.3f s wall, %.3f s CPU\n",
                static_cast<unsigned long long>(r.length.ops.total()), ops.c_str() + 1, pf,
                pf > 0 ? std::log2(pf) : 0.0, r.length.wall_seconds, r.length.cpu_seconds);
  }
  return 0;
}
