// Signed certificate bundles (SPEC.md §8): the in-toto statement that `mechcert sign` writes, the
// checks that `mechcert verify` makes, and the files' names. The cryptography is in minisign.hpp and
// dsse.hpp; the checker verdict comes from the separate program (checker_program.hpp).
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "generator/minisign.hpp"

namespace mechcert {

// Exit codes of `mechcert sign` / `mechcert verify` (SPEC.md §8.6).
enum BundleExit : int {
  kBundleOk = 0,
  kBundleRejected = 1,      // the checker rejected the certificate (it is not a proof)
  kBundleUsage = 2,         // usage error; unreadable, missing or malformed input file or key
  kBundleUndecided = 3,     // the checker could not decide (crashed, internal error, odd output)
  kBundleBadSignature = 4,  // a signature, signature file or public key does not verify
  kBundleMismatch = 5,      // signed facts do not match the files (digest, model, bound, comment)
};

struct BundleError : std::runtime_error {
  BundleError(int code, const std::string& message) : std::runtime_error(message), exit_code(code) {}
  int exit_code;
};

inline constexpr const char* kBundleCertificate = "certificate.json";
inline constexpr const char* kBundleMinisig = "certificate.json.minisig";
inline constexpr const char* kBundleEnvelope = "attestation.dsse.json";
inline constexpr const char* kBundlePublicKey = "mechcert.pub";
inline constexpr const char* kBundleReadme = "README.txt";
inline constexpr const char* kBundleModel = "model.safetensors";
inline constexpr const char* kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr const char* kInTotoStatementType = "https://in-toto.io/Statement/v1";
inline constexpr const char* kPredicateType = "https://mechcert.dev/attestation/verified-bound/v1";

// What `mechcert-check --json` said about (model, certificate), plus what identifies the checker.
struct CheckerVerdict {
  bool valid = false;
  std::string reason;  // when rejected
  std::string bound_num, bound_den, certified, model_sha256, strategy;
  double bound_value = 0;
  nlohmann::json proof_length;
  std::string program, program_sha256, program_version;
};

// Runs the checker program on (model, certificate) as a separate process. Exit 0 gives a valid
// verdict, exit 1 a rejected one; anything else (or output that is not the documented JSON) throws
// BundleError(kBundleUndecided): it is never read as "rejected".
CheckerVerdict run_checker(const std::string& program, const std::string& model_path,
                           const std::string& certificate_path);

// The facts a bundle signs, as the statement records them.
struct SignedFacts {
  std::string certificate_sha256, model_sha256;
  std::string bound_num, bound_den, certified, strategy;
  double bound_value = 0;
  std::string checker_version, checker_sha256, verified_at;
  nlohmann::json proof_length;
};

SignedFacts facts_from_verdict(const CheckerVerdict& v, const std::string& certificate_sha256,
                               const std::string& verified_at);

// The in-toto Statement v1 (compact JSON, sorted keys): the DSSE payload.
std::string statement_payload(const SignedFacts& facts);
// Parses and checks a statement (exact form, every field); throws BundleError(kBundleMismatch).
SignedFacts parse_statement(const std::string& payload);

// The minisig's comments: the trusted one names the model, the bound and the strategy.
std::string minisig_trusted_comment(const SignedFacts& facts);
std::string minisig_untrusted_comment(const KeyId& id);

// The bundle's signed files, as bytes.
struct BundleFiles {
  std::string certificate, minisig, envelope, public_key;
};

struct VerifiedSignatures {
  MinisignPublicKey key;
  SignedFacts facts;
};

// Every check that needs no model and no checker: the bundle's public key (equal to `trusted` when
// given), the minisig over the certificate, the DSSE envelope, the statement, the certificate's
// digest, and that the trusted comment states the statement's facts. Throws BundleError
// (kBundleBadSignature or kBundleMismatch) with a one-line reason.
VerifiedSignatures verify_signed_files(const BundleFiles& files, const MinisignPublicKey* trusted);

// The bundle's README.txt: how to verify with minisign alone.
std::string bundle_readme(const SignedFacts& facts, const KeyId& id, bool includes_model);

// Files: whole-file reads (BundleError(kBundleUsage) if unreadable) and the secret key, refused if
// group- or world-accessible.
std::string read_file_bytes(const std::filesystem::path& path, const std::string& what);
MinisignSecretKey load_secret_key_file(const std::string& path);

// "2026-12-02T07:53:10Z" (UTC, now).
std::string utc_timestamp_now();

// A bundle directory under construction: a fresh sibling of `out` (".<name>.tmp-XXXXXX", mode
// 0755) that becomes `out` in one rename, and only if `out` does not exist yet. Destroyed without
// commit() (an error, an exception), it is removed: no half-written bundle is ever left at `out`.
class StagingDirectory {
 public:
  explicit StagingDirectory(const std::filesystem::path& out);  // BundleError(kBundleUsage)
  ~StagingDirectory();
  StagingDirectory(const StagingDirectory&) = delete;
  StagingDirectory& operator=(const StagingDirectory&) = delete;
  const std::filesystem::path& path() const { return dir_; }
  void add(const std::string& name, const std::string& bytes);  // written and fsync'ed
  void commit();

 private:
  std::filesystem::path out_, dir_;
  bool committed_ = false;
};

// Writes `bytes` to a new file `path` (mode `mode`), never replacing an existing one: written to a
// temporary name and hard-linked into place. Throws BundleError(kBundleUsage).
void write_new_file(const std::filesystem::path& path, const std::string& bytes, unsigned mode);

}  // namespace mechcert
