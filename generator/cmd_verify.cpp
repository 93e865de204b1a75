// `mechcert verify BUNDLE [--model MODEL] [--pub KEY.pub] [--checker PATH] [--json]`: checks a
// signed bundle (SPEC.md §8.5): both signatures, the statement against the files, then re-runs the
// independent checker, and reports each fact on its own line. Exit codes: SPEC.md §8.6.
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "format/sha256.hpp"
#include "generator/bundle.hpp"
#include "generator/checker_program.hpp"
#include "generator/commands.hpp"

namespace mechcert {

int cmd_verify(int argc, char** argv) {
  CLI::App app{"Verify a signed certificate bundle: the minisign signature and the DSSE envelope, "
               "the statement's digests against the certificate and the model, then re-check the "
               "certificate with the independent checker program.\n"
               "Exit codes: 0 verified, 1 the checker rejects the certificate, 2 usage error or "
               "unreadable input, 3 the checker could not decide, 4 bad signature (or signature "
               "file, or key), 5 the signed facts do not match the files (digest, model, bound)."};
  app.name("mechcert verify");
  std::string bundle, model_opt, pub_opt, checker;
  bool json = false;
  app.add_option("BUNDLE", bundle, "bundle directory (mechcert sign --out)")->required();
  app.add_option("--model", model_opt,
                 "the model file (default: BUNDLE/model.safetensors, if signed with --include-model)");
  app.add_option("--pub", pub_opt,
                 "the signer's public key, from a source you trust (default: BUNDLE/mechcert.pub, "
                 "which only shows the bundle is self-consistent)");
  app.add_option("--checker", checker,
                 "the checker program (default: $MECHCERT_CHECK, beside mechcert, then $PATH)");
  app.add_flag("--json", json, "print one JSON object with every fact (also on failure)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  namespace fs = std::filesystem;
  const fs::path dir = bundle;
  nlohmann::json report = {{"verified", false}, {"bundle", bundle}};
  const auto say = [&](const std::string& line) {
    if (!json) std::printf("%s\n", line.c_str());
  };
  try {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw BundleError(kBundleUsage, bundle + ": not a directory");
    BundleFiles files;
    files.certificate = read_file_bytes(dir / kBundleCertificate, (dir / kBundleCertificate).string());
    files.minisig = read_file_bytes(dir / kBundleMinisig, (dir / kBundleMinisig).string());
    files.envelope = read_file_bytes(dir / kBundleEnvelope, (dir / kBundleEnvelope).string());
    files.public_key = read_file_bytes(dir / kBundlePublicKey, (dir / kBundlePublicKey).string());
    MinisignPublicKey trusted;
    if (!pub_opt.empty()) {
      try {
        trusted = parse_public_key(read_file_bytes(pub_opt, pub_opt), pub_opt);
      } catch (const SignatureError& e) {
        throw BundleError(kBundleUsage, e.what());
      }
    }
    const VerifiedSignatures v = verify_signed_files(files, pub_opt.empty() ? nullptr : &trusted);
    const std::string key_id = key_id_hex(v.key.key_id);
    report["key_id"] = key_id;
    report["key_source"] = pub_opt.empty() ? "bundle" : "--pub";
    report["certificate_sha256"] = v.facts.certificate_sha256;
    report["signed"] = {{"model_sha256", v.facts.model_sha256},
                        {"bound", {{"num", v.facts.bound_num}, {"den", v.facts.bound_den}}},
                        {"strategy", v.facts.strategy},
                        {"verified_at", v.facts.verified_at},
                        {"checker", {{"version", v.facts.checker_version},
                                     {"sha256", v.facts.checker_sha256}}}};
    say("signature: good, key " + key_id +
        (pub_opt.empty() ? " (the bundle's own mechcert.pub: pass --pub to pin the signer)"
                         : " (" + pub_opt + ")") +
        "; minisig and DSSE envelope, signed " + v.facts.verified_at);
    say("certificate: sha256 matches the statement (" + v.facts.certificate_sha256 + ")");

    const std::string model = !model_opt.empty() ? model_opt : (dir / kBundleModel).string();
    if (model_opt.empty() && !fs::exists(model, ec))
      throw BundleError(kBundleUsage, bundle + ": the bundle has no model.safetensors; give --model MODEL");
    std::string model_sha256;
    try {
      model_sha256 = sha256_file_hex(model);
    } catch (const std::exception& e) {
      throw BundleError(kBundleUsage, e.what());
    }
    report["model_sha256"] = model_sha256;
    if (model_sha256 != v.facts.model_sha256)
      throw BundleError(kBundleMismatch, "model: " + model + " has sha256 " + model_sha256 +
                                             ", the bundle signs " + v.facts.model_sha256);
    say("model: sha256 matches (" + model_sha256 + ")");

    std::string program;
    try {
      program = find_checker_program(checker);
    } catch (const std::exception& e) {
      throw BundleError(kBundleUsage, e.what());
    }
    const CheckerVerdict now = run_checker(program, model, (dir / kBundleCertificate).string());
    if (!now.valid)
      throw BundleError(kBundleRejected, "certificate rejected by the checker: " + now.reason);
    report["checker"] = {{"program", now.program},
                         {"version", now.program_version},
                         {"sha256", now.program_sha256},
                         {"same_as_signing", now.program_sha256 == v.facts.checker_sha256}};
    report["bound"] = {{"num", now.bound_num}, {"den", now.bound_den}, {"value", now.bound_value}};
    report["strategy"] = now.strategy;
    if (now.bound_num != v.facts.bound_num || now.bound_den != v.facts.bound_den ||
        now.strategy != v.facts.strategy || now.model_sha256 != v.facts.model_sha256)
      throw BundleError(kBundleMismatch, "bound: the checker now verifies >= " + now.bound_num + "/" +
                                             now.bound_den + " (strategy " + now.strategy +
                                             "), the bundle signs >= " + v.facts.bound_num + "/" +
                                             v.facts.bound_den + " (strategy " + v.facts.strategy + ")");
    char value[32];
    std::snprintf(value, sizeof value, "%.8g", now.bound_value);
    say("bound: re-verified >= " + now.bound_num + "/" + now.bound_den + " (about " + value +
        "; strategy " + now.strategy + ")");
    say("checker: " + now.program_version + " at " + now.program + ", sha256 " + now.program_sha256 +
        (now.program_sha256 == v.facts.checker_sha256 ? " (the same binary as at signing)"
                                                      : " (signed with another build, sha256 " +
                                                            v.facts.checker_sha256 + ")"));
    report["verified"] = true;
    report["exit_code"] = 0;
    if (json) std::printf("%s\n", report.dump().c_str());
    return 0;
  } catch (const BundleError& e) {
    static const char* kinds[] = {"", "rejected", "usage", "checker undecided", "bad signature",
                                  "mismatch"};
    const int code = e.exit_code;
    const char* kind = code >= 1 && code <= 5 ? kinds[code] : "error";
    std::fprintf(stderr, "mechcert verify: %s: %s\n", kind, e.what());
    report["exit_code"] = code;
    report["failure"] = kind;
    report["reason"] = e.what();
    if (json) std::printf("%s\n", report.dump().c_str());
    return code;
  }
}

}  // namespace mechcert
