// Signed certificate bundles (bundle.hpp, SPEC.md §8).
#include "generator/bundle.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "format/sha256.hpp"
#include "generator/checker_program.hpp"
#include "generator/dsse.hpp"

namespace mechcert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

bool is_decimal(const json& j) {
  if (!j.is_string()) return false;
  const std::string& s = j.get_ref<const std::string&>();
  if (s.empty() || s.size() > 4096 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_sha256_hex(const json& j) {
  if (!j.is_string()) return false;
  const std::string& s = j.get_ref<const std::string&>();
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool has_exactly(const json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object() || j.size() != keys.size()) return false;
  for (const char* k : keys)
    if (!j.contains(k)) return false;
  return true;
}

json subject(const std::string& name, const std::string& sha256) {
  return {{"name", name}, {"digest", {{"sha256", sha256}}}};
}

// ".<name>.tmp-XXXXXX" (mkstemp/mkdtemp template) beside `p`. Appended piecewise: GCC 12 warns
// (-Wrestrict, a false positive) on the one-expression form.
std::string hidden_temp_name(const fs::path& p) {
  std::string name = ".";
  name += p.filename().string();
  name += ".tmp-XXXXXX";
  return name;
}

std::string errno_text() { return std::strerror(errno); }

void write_all_fd(int fd, const std::string& bytes, const std::string& what) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw BundleError(kBundleUsage, what + ": cannot write: " + errno_text());
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) throw BundleError(kBundleUsage, what + ": cannot sync: " + errno_text());
}

}  // namespace

CheckerVerdict run_checker(const std::string& program, const std::string& model_path,
                           const std::string& certificate_path) {
  CheckerVerdict v;
  v.program = program;
  ProgramRun run;
  try {
    run = run_program(program, {model_path, certificate_path, "--json"});
  } catch (const std::exception& e) {
    throw BundleError(kBundleUndecided, std::string("the checker could not run: ") + e.what());
  }
  const auto undecided = [&](const std::string& why) {
    const std::string err = first_line(run.stderr_text);
    return BundleError(kBundleUndecided, "the checker could not decide (" + program + " exit " +
                                             std::to_string(run.exit_code) + "): " +
                                             (err.empty() ? why : err));
  };
  if (run.exit_code != 0 && run.exit_code != 1) throw undecided("no message");
  json j;
  try {
    j = json::parse(run.stdout_text);
  } catch (const json::exception&) {
    throw undecided("its --json output is not JSON");
  }
  if (!j.is_object() || !j.contains("valid") || !j["valid"].is_boolean())
    throw undecided("its --json output has no 'valid'");
  v.valid = j["valid"].get<bool>();
  if (v.valid != (run.exit_code == 0)) throw undecided("its verdict and its exit code disagree");
  if (!v.valid) {
    v.reason = j.contains("reason") && j["reason"].is_string() ? j["reason"].get<std::string>()
                                                               : first_line(run.stderr_text);
    return v;
  }
  const json& b = j.value("bound", json());
  if (!b.is_object() || !is_decimal(b.value("num", json())) || !is_decimal(b.value("den", json())) ||
      !b.value("value", json()).is_number() || !is_decimal(j.value("certified", json())) ||
      !is_sha256_hex(j.value("model_sha256", json())) || !j.value("strategy", json()).is_string() ||
      !j.value("proof_length", json()).is_object())
    throw undecided("its --json output lacks bound, certified, model_sha256, strategy or proof_length");
  v.bound_num = b["num"];
  v.bound_den = b["den"];
  v.bound_value = b["value"].get<double>();
  v.certified = j["certified"];
  v.model_sha256 = j["model_sha256"];
  v.strategy = j["strategy"];
  v.proof_length = j["proof_length"];
  ProgramRun version;
  try {
    version = run_program(program, {"--version"});
  } catch (const std::exception& e) {
    throw BundleError(kBundleUndecided, std::string("the checker could not run: ") + e.what());
  }
  v.program_version = first_line(version.stdout_text);
  if (version.exit_code != 0 || v.program_version.empty())
    throw BundleError(kBundleUndecided, program + " --version failed (exit " +
                                            std::to_string(version.exit_code) + ")");
  v.program_sha256 = sha256_file_hex(program);
  return v;
}

SignedFacts facts_from_verdict(const CheckerVerdict& v, const std::string& certificate_sha256,
                               const std::string& verified_at) {
  SignedFacts f;
  f.certificate_sha256 = certificate_sha256;
  f.model_sha256 = v.model_sha256;
  f.bound_num = v.bound_num;
  f.bound_den = v.bound_den;
  f.bound_value = v.bound_value;
  f.certified = v.certified;
  f.strategy = v.strategy;
  f.checker_version = v.program_version;
  f.checker_sha256 = v.program_sha256;
  f.verified_at = verified_at;
  f.proof_length = v.proof_length;
  return f;
}

std::string statement_payload(const SignedFacts& f) {
  const json statement = {
      {"_type", kInTotoStatementType},
      {"subject", json::array({subject(kBundleCertificate, f.certificate_sha256),
                               subject(kBundleModel, f.model_sha256)})},
      {"predicateType", kPredicateType},
      {"predicate",
       {{"bound", {{"num", f.bound_num}, {"den", f.bound_den}, {"value", f.bound_value}}},
        {"certified", f.certified},
        {"strategy", f.strategy},
        {"checker",
         {{"name", "mechcert-check"}, {"version", f.checker_version}, {"sha256", f.checker_sha256}}},
        {"proof_length", f.proof_length},
        {"verified_at", f.verified_at}}}};
  return statement.dump();
}

SignedFacts parse_statement(const std::string& payload) {
  const auto bad = [](const std::string& why) {
    return BundleError(kBundleMismatch, std::string(kBundleEnvelope) + ": statement: " + why);
  };
  json j;
  try {
    j = json::parse(payload);
  } catch (const json::exception&) {
    throw bad("not JSON");
  }
  if (j.dump() != payload) throw bad("not in the canonical form mechcert writes");
  if (!has_exactly(j, {"_type", "subject", "predicateType", "predicate"}))
    throw bad("expected exactly _type, subject, predicateType, predicate");
  if (j["_type"] != kInTotoStatementType)
    throw bad("_type is not " + std::string(kInTotoStatementType));
  if (j["predicateType"] != kPredicateType)
    throw bad("predicateType is not " + std::string(kPredicateType));
  const json& s = j["subject"];
  if (!s.is_array() || s.size() != 2) throw bad("subject: expected the certificate and the model");
  const char* names[2] = {kBundleCertificate, kBundleModel};
  for (size_t i = 0; i < 2; ++i) {
    if (!has_exactly(s[i], {"name", "digest"}) || s[i]["name"] != names[i] ||
        !has_exactly(s[i]["digest"], {"sha256"}) || !is_sha256_hex(s[i]["digest"]["sha256"]))
      throw bad("subject[" + std::to_string(i) + "]: expected {name: " + names[i] +
                ", digest: {sha256: 64 hex digits}}");
  }
  const json& p = j["predicate"];
  if (!has_exactly(p, {"bound", "certified", "strategy", "checker", "proof_length", "verified_at"}))
    throw bad("predicate: expected exactly bound, certified, strategy, checker, proof_length, "
              "verified_at");
  if (!has_exactly(p["bound"], {"num", "den", "value"}) || !is_decimal(p["bound"]["num"]) ||
      !is_decimal(p["bound"]["den"]) || !p["bound"]["value"].is_number())
    throw bad("predicate.bound: expected decimal strings num, den and a number value");
  if (!is_decimal(p["certified"]) || !p["strategy"].is_string() ||
      !has_exactly(p["checker"], {"name", "version", "sha256"}) ||
      p["checker"]["name"] != "mechcert-check" || !p["checker"]["version"].is_string() ||
      !is_sha256_hex(p["checker"]["sha256"]) || !p["proof_length"].is_object() ||
      !p["verified_at"].is_string())
    throw bad("predicate: malformed certified, strategy, checker, proof_length or verified_at");
  SignedFacts f;
  f.certificate_sha256 = s[0]["digest"]["sha256"];
  f.model_sha256 = s[1]["digest"]["sha256"];
  f.bound_num = p["bound"]["num"];
  f.bound_den = p["bound"]["den"];
  f.bound_value = p["bound"]["value"].get<double>();
  f.certified = p["certified"];
  f.strategy = p["strategy"];
  f.checker_version = p["checker"]["version"];
  f.checker_sha256 = p["checker"]["sha256"];
  f.verified_at = p["verified_at"];
  f.proof_length = p["proof_length"];
  return f;
}

std::string minisig_trusted_comment(const SignedFacts& f) {
  return "mechcert: accuracy >= " + f.bound_num + "/" + f.bound_den + " for model sha256 " +
         f.model_sha256 + " (strategy " + f.strategy + ", verified by mechcert-check at " +
         f.verified_at + ")";
}

std::string minisig_untrusted_comment(const KeyId& id) {
  return "signature from mechcert secret key " + key_id_hex(id);
}

VerifiedSignatures verify_signed_files(const BundleFiles& files, const MinisignPublicKey* trusted) {
  VerifiedSignatures out;
  try {
    const MinisignPublicKey bundled = parse_public_key(files.public_key, kBundlePublicKey);
    if (trusted && (trusted->key_id != bundled.key_id || trusted->pk != bundled.pk))
      throw SignatureError(std::string(kBundlePublicKey) + ": the bundle's key " +
                           key_id_hex(bundled.key_id) + " is not the trusted key " +
                           key_id_hex(trusted->key_id));
    out.key = trusted ? *trusted : bundled;
    const VerifiedMinisig ms =
        verify_minisig(out.key, files.certificate, files.minisig, kBundleMinisig);
    const std::string_view comment_prefix = "signature from mechcert secret key ";
    if (!ms.untrusted_comment.starts_with(comment_prefix) ||
        !key_id_text_matches(std::string_view(ms.untrusted_comment).substr(comment_prefix.size()),
                             out.key.key_id))
      throw SignatureError(std::string(kBundleMinisig) +
                           ": the untrusted comment is not the one mechcert writes ('" +
                           minisig_untrusted_comment(out.key.key_id) + "')");
    const std::string payload =
        verify_envelope(out.key, files.envelope, kInTotoPayloadType, kBundleEnvelope);
    out.facts = parse_statement(payload);
    if (sha256_hex(reinterpret_cast<const uint8_t*>(files.certificate.data()),
                   files.certificate.size()) != out.facts.certificate_sha256)
      throw BundleError(kBundleMismatch, std::string(kBundleCertificate) +
                                             ": sha256 differs from the statement's subject");
    if (ms.trusted_comment != minisig_trusted_comment(out.facts))
      throw BundleError(kBundleMismatch, std::string(kBundleMinisig) +
                                             ": the trusted comment does not state the statement's "
                                             "model, bound and strategy");
  } catch (const SignatureError& e) {
    throw BundleError(kBundleBadSignature, e.what());
  }
  return out;
}

std::string bundle_readme(const SignedFacts& f, const KeyId& id, bool includes_model) {
  std::ostringstream s;
  s << "mechcert signed certificate bundle (mechcert SPEC.md section 8)\n\n"
    << "Signed by key " << key_id_hex(id) << " on " << f.verified_at << ":\n"
    << "  model sha256 " << f.model_sha256 << "\n"
    << "  accuracy >= " << f.bound_num << "/" << f.bound_den << " (strategy " << f.strategy
    << "), verified by " << f.checker_version << " (sha256 " << f.checker_sha256 << ")\n\n"
    << "Files:\n"
    << "  certificate.json          the certificate, byte for byte as the checker verified it\n"
    << "  certificate.json.minisig  minisign signature of certificate.json; its trusted comment\n"
    << "                            names the model's sha256 and the bound\n"
    << "  attestation.dsse.json     DSSE envelope (payloadType application/vnd.in-toto+json) of an\n"
    << "                            in-toto Statement v1, predicateType\n"
    << "                            " << kPredicateType << "\n"
    << "  mechcert.pub              the signer's public key (minisign format)\n"
    << (includes_model ? "  model.safetensors         the model\n" : "")
    << "  README.txt                this file (not signed)\n\n"
    << "Verify with minisign alone (obtain the signer's public key from a source you trust and\n"
    << "compare it with mechcert.pub; this directory alone proves nothing about who signed):\n"
    << "  minisign -V -p mechcert.pub -m certificate.json\n"
    << "  sha256sum " << (includes_model ? "model.safetensors" : "MODEL")
    << "      # must equal the model sha256 in the trusted comment\n"
    << "Re-check the bound with the independent checker alone:\n"
    << "  mechcert-check " << (includes_model ? "model.safetensors" : "MODEL")
    << " certificate.json\n"
    << "Everything at once (both signatures, the statement's digests, the checker):\n"
    << "  mechcert verify . --pub TRUSTED.pub" << (includes_model ? "" : " --model MODEL") << "\n";
  return s.str();
}

std::string read_file_bytes(const fs::path& path, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw BundleError(kBundleUsage, what + ": " + (fs::exists(path, ec) ? "not a regular file"
                                                                        : "no such file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BundleError(kBundleUsage, what + ": cannot open: " + errno_text());
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw BundleError(kBundleUsage, what + ": cannot read");
  return s.str();
}

MinisignSecretKey load_secret_key_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw BundleError(kBundleUsage, path + ": cannot read the secret key: " + errno_text());
  if (!S_ISREG(st.st_mode)) throw BundleError(kBundleUsage, path + ": secret key is not a file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw BundleError(kBundleUsage, path + ": secret key is accessible by group or others (mode " +
                                        mode + "); run: chmod 600 " + path);
  }
  if (st.st_size > 4096) throw BundleError(kBundleUsage, path + ": not a minisign secret key (too large)");
  const std::string text = read_file_bytes(path, path);
  try {
    return parse_secret_key(text, path);
  } catch (const SignatureError& e) {
    throw BundleError(kBundleUsage, e.what());
  }
}

std::string utc_timestamp_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

StagingDirectory::StagingDirectory(const fs::path& out) : out_(out) {
  const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  std::string tmpl = (parent / hidden_temp_name(out)).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw BundleError(kBundleUsage, out.string() + ": cannot create a directory beside it: " +
                                        errno_text());
  dir_ = tmpl;
  ::chmod(dir_.c_str(), 0755);
}

StagingDirectory::~StagingDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void StagingDirectory::add(const std::string& name, const std::string& bytes) {
  const fs::path p = dir_ / name;
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw BundleError(kBundleUsage, p.string() + ": cannot create: " + errno_text());
  try {
    write_all_fd(fd, bytes, p.string());
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void StagingDirectory::commit() {
  if (const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  // RENAME_NOREPLACE: never replace a directory that appeared at `out` meanwhile.
  if (::renameat2(AT_FDCWD, dir_.c_str(), AT_FDCWD, out_.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST)
      throw BundleError(kBundleUsage, out_.string() + ": already exists; refusing to overwrite");
    throw BundleError(kBundleUsage, out_.string() + ": cannot create: " + errno_text());
  }
  committed_ = true;
}

void write_new_file(const fs::path& path, const std::string& bytes, unsigned mode) {
  const fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::string tmpl = (parent / hidden_temp_name(path)).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw BundleError(kBundleUsage, path.string() + ": cannot create: " + errno_text());
  try {
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0)
      throw BundleError(kBundleUsage, path.string() + ": cannot set mode: " + errno_text());
    write_all_fd(fd, bytes, path.string());
  } catch (...) {
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw;
  }
  ::close(fd);
  // link() fails with EEXIST instead of replacing: the file appears whole, or not at all.
  const int rc = ::link(tmpl.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmpl.c_str());
  if (rc != 0) {
    if (err == EEXIST)
      throw BundleError(kBundleUsage, path.string() + ": already exists; refusing to overwrite");
    throw BundleError(kBundleUsage, path.string() + ": cannot create: " + std::strerror(err));
  }
}

}  // namespace mechcert
