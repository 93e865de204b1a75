// The checker's top level: what every certificate must satisfy regardless of its strategy
// (model identity, task and shapes, the claim's arithmetic), and dispatch on the strategy name to
// the one function that verifies that strategy's steps. See SPEC.md "Certificates" and
// "Checker contract".
#pragma once
#include <string>

#include "checker/proof_length.hpp"
#include "format/certificate.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

// The certificate is rejected (exit code 1). The message names the failed step and why, e.g.
// "steps[0] (brute-force): claim 16774694 exceeds the certified count 16774693".
struct CertificateRejected : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct StrategyInput {
  const LoadedModel& model;
  const Certificate& cert;
  int threads;  // >= 1; the verdict and counts never depend on it
};

struct StrategyOutcome {
  BigInt certified;          // number of inputs proven correct (claim must be <= this)
  OpCounts ops;              // by formula, deterministic
  uint64_t paper_flops = 0;  // same work in the paper's convention
  // reference-algorithms.md 7.2; 0 = not set by the strategy (check_certificate fills it in).
  uint64_t unexplained_dimension = 0;
};

// One function per strategy; throws CertificateRejected (or FormatError for malformed steps).
using StrategyCheck = StrategyOutcome (*)(const StrategyInput&);

// nullptr if the name is unknown. The table lives in check.cpp (one line per strategy).
StrategyCheck find_strategy_check(const std::string& strategy);

struct CheckResult {
  bool valid = false;
  std::string reason;        // when !valid: one line
  std::string strategy;
  std::string model_sha256;
  BigInt bound_num, bound_den;  // the verified claim N / v^k (valid only)
  BigInt certified;             // what the strategy certified (>= bound_num when valid)
  BigInt unexplained_dimension;  // reference-algorithms.md 7.2 (SPEC 2.5)
  ProofLength length;
};

// Verifies `cert` against `model`. Throws CertificateRejected / FormatError on rejection (the
// caller turns them into exit code 1); returns the result when valid.
CheckResult check_certificate(const LoadedModel& model, const Certificate& cert, int threads);

// The two halves of check_certificate around the strategy's own check, for callers that run the
// strategy elsewhere (mechcert-check-mpi): SPEC 2.4 step 4 (model identity, task, shapes), and
// step 6 (the claim against the certified count) with the result. Both throw CertificateRejected.
void check_envelope(const LoadedModel& model, const Certificate& cert);
CheckResult finish_check(const LoadedModel& model, const Certificate& cert,
                         const StrategyOutcome& outcome);

// Step parsing helper shared by strategies: the certificate must have exactly the given step kinds
// in order; throws FormatError naming the first mismatch.
void expect_step_kinds(const Certificate& cert, const std::vector<std::string>& kinds);

}  // namespace mechcert
