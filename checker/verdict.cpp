#include "checker/verdict.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

#include <nlohmann/json.hpp>

#include "checker/composition.hpp"

namespace mechcert {

namespace {

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

nlohmann::json proof_length_json(const ProofLength& l) {
  return {{"ops", l.ops.to_json()},
          {"paper_flops", l.paper_flops},
          {"seconds", l.wall_seconds},
          {"cpu_seconds", l.cpu_seconds}};
}

void print_proof_length_line(const ProofLength& l) {
  std::string ops;
  const nlohmann::json op_counts = l.ops.to_json();
  for (const auto& [kind, count] : op_counts.items())
    ops += " " + kind + "=" + std::to_string(count.get<uint64_t>());
  const double pf = static_cast<double>(l.paper_flops);
  std::printf("proof length: %llu ops (%s), paper FLOPs %.3g (2^%.1f), %.3f s wall, %.3f s CPU\n",
              static_cast<unsigned long long>(l.ops.total()), ops.c_str() + 1, pf,
              pf > 0 ? std::log2(pf) : 0.0, l.wall_seconds, l.cpu_seconds);
}

}  // namespace

int print_valid(const CheckResult& r, bool json) {
  const double value = Rational(r.bound_num, r.bound_den).convert_to<double>();
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
    j["proof_length"] = proof_length_json(r.length);
    std::cout << j.dump() << "\n";
  } else {
    std::printf("VALID: accuracy >= %s/%s = %s (strategy %s, model %s)\n", r.bound_num.str().c_str(),
                r.bound_den.str().c_str(), decimal(r.bound_num, r.bound_den, 8).c_str(),
                r.strategy.c_str(), r.model_sha256.c_str());
    print_proof_length_line(r.length);
  }
  std::fflush(stdout);
  return kExitValid;
}

int print_rejected(const std::string& reason, bool json, const std::string& strategy,
                   const std::string& model_sha256) {
  std::fprintf(stderr, "mechcert-check: rejected: %s\n", reason.c_str());
  if (json) {
    nlohmann::json j = {{"valid", false}, {"reason", reason}, {"bound", nullptr},
                        {"model_sha256", model_sha256}, {"strategy", strategy}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "REJECTED\n";
  }
  std::cout.flush();
  return kExitRejected;
}

int print_unreadable(const std::string& what) {
  std::fprintf(stderr, "mechcert-check: %s\n", what.c_str());
  return kExitUnreadable;
}

// Deliberately not "rejected": exit 1 means the certificate is not a proof, and nothing here says so.
int print_internal_error(const std::string& what) {
  std::fprintf(stderr, "mechcert-check: internal error (no verdict): %s\n", what.c_str());
  return kExitInternal;
}

int print_part_valid(const ManifestPart& part, const StrategyOutcome& outcome, const ProofLength& length,
                     const std::string& model_sha256, bool json) {
  if (json) {
    nlohmann::json j;
    j["valid"] = true;
    j["part"] = {{"index", part.index}, {"file", part.file},
                 {"inputs", {{"begin", part.begin.str()}, {"end", part.end.str()}}}};
    j["certified"] = outcome.certified.str();
    j["model_sha256"] = model_sha256;
    j["strategy"] = "composition";
    j["proof_length"] = proof_length_json(length);
    std::cout << j.dump() << "\n";
  } else {
    std::printf("VALID: part %zu (%s) certifies %s correct inputs in [%s, %s) (model %s)\n", part.index,
                part.file.c_str(), outcome.certified.str().c_str(), part.begin.str().c_str(),
                part.end.str().c_str(), model_sha256.c_str());
    print_proof_length_line(length);
  }
  std::fflush(stdout);
  return kExitValid;
}

}  // namespace mechcert
