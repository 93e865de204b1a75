// The output contract of SPEC.md 2.5, shared by mechcert-check and mechcert-check-mpi so that both
// print the same verdict for the same certificate: the VALID line and the proof-length line (or
// one JSON object), REJECTED with a one-line reason on stderr, and the exit codes.
#pragma once
#include <string>

#include "checker/check.hpp"

namespace mechcert {

inline constexpr int kExitValid = 0;
inline constexpr int kExitRejected = 1;
inline constexpr int kExitUnreadable = 2;
inline constexpr int kExitInternal = 3;     // the checker could not reach a verdict
inline constexpr int kExitEnvironment = 4;  // unsound floating-point environment

// Prints the verdict of a valid check (two lines, or one JSON object with `json`). Returns 0.
int print_valid(const CheckResult& r, bool json);

// Prints "REJECTED" (or the JSON object) and the one-line reason on stderr. Returns 1.
int print_rejected(const std::string& reason, bool json, const std::string& strategy,
                   const std::string& model_sha256);

// The one-line message of exit codes 2 and 3 on stderr. Returns the code.
int print_unreadable(const std::string& what);
int print_internal_error(const std::string& what);

struct ManifestPart;
// `mechcert-check --part I`: the verdict of one part of a composition (SPEC 9.3): what it
// certifies in its range, and its proof length. Returns 0.
int print_part_valid(const ManifestPart& part, const StrategyOutcome& outcome, const ProofLength& length,
                     const std::string& model_sha256, bool json);

}  // namespace mechcert
