// `mechcert sign --key KEY --model MODEL --cert CERT --out BUNDLE [--include-model]`: runs the
// independent checker program on (MODEL, CERT), refuses an invalid certificate, and writes the
// signed bundle directory (SPEC.md §8): certificate.json, its minisign signature, a DSSE envelope
// of an in-toto statement, the public key and a README. The checker runs on the staged copy, so the
// bytes signed are the bytes checked; the bundle appears at BUNDLE whole or not at all.
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "format/model_weights.hpp"
#include "format/sha256.hpp"
#include "generator/bundle.hpp"
#include "generator/checker_program.hpp"
#include "generator/commands.hpp"
#include "generator/dsse.hpp"

namespace mechcert {
namespace {

namespace fs = std::filesystem;

bool valid_sidecar_name(const std::string& s) {
  if (s.empty() || s[0] == '.' || s.size() > 255) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

// The certificate's sidecar file name (SPEC.md §2.3), "" if none. The checker validates the rest.
std::string sidecar_name(const std::string& certificate_bytes) {
  const nlohmann::json j = nlohmann::json::parse(certificate_bytes, nullptr, false);
  if (!j.is_object() || !j.contains("sidecar") || !j["sidecar"].is_object() ||
      !j["sidecar"].contains("file") || !j["sidecar"]["file"].is_string())
    return "";
  return j["sidecar"]["file"];
}

}  // namespace

int cmd_sign(int argc, char** argv) {
  CLI::App app{"Check a certificate with the independent checker program and, if it is valid, "
               "write a signed bundle directory (minisign signature + DSSE/in-toto attestation; "
               "SPEC.md section 8).\n"
               "Exit codes: 0 signed, 1 the checker rejected the certificate (nothing signed), "
               "2 usage error or unreadable input or key, 3 the checker could not decide."};
  app.name("mechcert sign");
  std::string key_path, model_path, cert_path, out, checker;
  bool include_model = false, json = false;
  app.add_option("--key", key_path, "secret key (mechcert keygen; or minisign -G -W)")->required();
  app.add_option("--model", model_path, "model file (safetensors)")->required();
  app.add_option("--cert", cert_path, "certificate (.json)")->required();
  app.add_option("--out", out, "bundle directory to create (must not exist)")->required();
  app.add_flag("--include-model", include_model, "copy the model into the bundle");
  app.add_option("--checker", checker,
                 "the checker program (default: $MECHCERT_CHECK, beside mechcert, then $PATH)");
  app.add_flag("--json", json, "print one JSON object describing the bundle");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(out, ec)))
      throw BundleError(kBundleUsage, out + ": already exists; refusing to overwrite");
    const MinisignSecretKey key = load_secret_key_file(key_path);
    std::string program;
    try {
      program = find_checker_program(checker);
    } catch (const std::exception& e) {
      throw BundleError(kBundleUsage, e.what());
    }
    std::string model_sha256;
    try {
      model_sha256 = load_model(model_path).sha256;  // a clear exit 2 for a bad model file
    } catch (const std::exception& e) {
      throw BundleError(kBundleUsage, e.what());
    }
    const std::string certificate = read_file_bytes(cert_path, cert_path);
    const std::string certificate_sha256 =
        sha256_hex(reinterpret_cast<const uint8_t*>(certificate.data()), certificate.size());

    StagingDirectory staging(out);
    staging.add(kBundleCertificate, certificate);
    if (const std::string sidecar = sidecar_name(certificate); !sidecar.empty()) {
      if (!valid_sidecar_name(sidecar) || sidecar == kBundleCertificate ||
          sidecar == kBundleMinisig || sidecar == kBundleEnvelope || sidecar == kBundlePublicKey ||
          sidecar == kBundleReadme || sidecar == kBundleModel)
        throw BundleError(kBundleRejected,
                          cert_path + ": sidecar file name '" + sidecar + "' cannot be bundled");
      const fs::path from = fs::path(cert_path).parent_path() / sidecar;
      staging.add(sidecar, read_file_bytes(from, from.string()));
    }
    std::string checked_model = model_path;
    if (include_model) {
      const std::string model_bytes = read_file_bytes(model_path, model_path);
      staging.add(kBundleModel, model_bytes);
      checked_model = (staging.path() / kBundleModel).string();
    }
    const CheckerVerdict verdict =
        run_checker(program, checked_model, (staging.path() / kBundleCertificate).string());
    if (!verdict.valid)
      throw BundleError(kBundleRejected,
                        "refusing to sign: the checker rejected the certificate: " + verdict.reason);
    if (verdict.model_sha256 != model_sha256)
      throw BundleError(kBundleMismatch, model_path + ": the file changed while it was being signed");

    const SignedFacts facts = facts_from_verdict(verdict, certificate_sha256, utc_timestamp_now());
    const std::string payload = statement_payload(facts);
    staging.add(kBundleMinisig, sign_minisig(key, certificate, minisig_untrusted_comment(key.key_id),
                                             minisig_trusted_comment(facts)));
    staging.add(kBundleEnvelope, make_envelope(key, kInTotoPayloadType, payload));
    staging.add(kBundlePublicKey, format_public_key(key.public_key()));
    staging.add(kBundleReadme, bundle_readme(facts, key.key_id, include_model));
    staging.commit();

    if (json) {
      const nlohmann::json j = {
          {"bundle", out},
          {"key_id", key_id_hex(key.key_id)},
          {"model_sha256", facts.model_sha256},
          {"certificate_sha256", facts.certificate_sha256},
          {"bound", {{"num", facts.bound_num}, {"den", facts.bound_den}, {"value", facts.bound_value}}},
          {"strategy", facts.strategy},
          {"checker", {{"version", facts.checker_version}, {"sha256", facts.checker_sha256}}},
          {"verified_at", facts.verified_at}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("checker: VALID, accuracy >= %s/%s (strategy %s, %s)\n", facts.bound_num.c_str(),
                  facts.bound_den.c_str(), facts.strategy.c_str(), facts.checker_version.c_str());
      std::printf("signed:  key %s, model sha256 %s\n", key_id_hex(key.key_id).c_str(),
                  facts.model_sha256.c_str());
      std::printf("bundle:  %s (verify: mechcert verify %s --pub KEY.pub)\n", out.c_str(),
                  out.c_str());
    }
    return 0;
  } catch (const BundleError& e) {
    std::fprintf(stderr, "mechcert sign: %s\n", e.what());
    return e.exit_code;
  }
}

}  // namespace mechcert
