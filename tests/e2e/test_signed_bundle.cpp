// mechcert keygen / sign / verify end to end (SPEC.md §8): the round trip through the real
// programs, every single flipped byte of every signed file detected, another key's signature, a
// certificate for another model, statements that are signed but false, bad secret keys, the
// checker's three answers (valid, rejected, undecided), and no half-written bundle.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/model_weights.hpp"
#include "format/sha256.hpp"
#include "generator/bundle.hpp"
#include "generator/checker_program.hpp"
#include "generator/dsse.hpp"
#include "generator/minisign.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
namespace fs = std::filesystem;

namespace {

const std::string kMechcert = std::string(MECHCERT_BINARY_DIR) + "/generator/mechcert";
const std::string kChecker = std::string(MECHCERT_BINARY_DIR) + "/checker/mechcert-check";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

ProgramRun mechcert_cli(const std::vector<std::string>& args) {
  std::vector<std::string> a = args;
  a.push_back("--checker");
  a.push_back(kChecker);
  return run_program(kMechcert, a);
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

// A scratch directory with two tiny models (k = 3, v = 5), a brute-force certificate for the first,
// and a key pair; shared by the test cases (built once).
struct Fixture {
  fs::path dir, model_a, model_b, cert_a, key, pub;
  std::string claim_correct, claim_total;
  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "mechcert-test-sign-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    model_a = dir / "a.safetensors";
    model_b = dir / "b.safetensors";
    save_model(model_a.string(), test::make_fixture_model(3, 5, 4, 3, 11), DType::F64);
    save_model(model_b.string(), test::make_fixture_model(3, 5, 4, 3, 12), DType::F64);
    const nlohmann::json cert = test::prove(load_model(model_a.string()), "brute-force");
    claim_correct = cert["claim"]["correct"];
    claim_total = cert["claim"]["total"];
    cert_a = dir / "a.cert.json";
    spit(cert_a, cert.dump() + "\n");
    const ProgramRun kg = run_program(kMechcert, {"keygen", "--out", (dir / "keys").string()});
    REQUIRE(kg.exit_code == 0);
    key = dir / "keys" / "mechcert.key";
    pub = dir / "keys" / "mechcert.pub";
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // Signs (model_a, cert_a) into dir/name; returns the bundle path.
  fs::path bundle(const std::string& name, bool include_model = false) const {
    const fs::path out = dir / name;
    if (!fs::exists(out)) {
      std::vector<std::string> args = {"sign", "--key", key.string(), "--model", model_a.string(),
                                       "--cert", cert_a.string(), "--out", out.string()};
      if (include_model) args.push_back("--include-model");
      const ProgramRun r = mechcert_cli(args);
      INFO(r.stderr_text);
      REQUIRE(r.exit_code == 0);
    }
    return out;
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

BundleFiles read_bundle(const fs::path& b) {
  return {slurp(b / kBundleCertificate), slurp(b / kBundleMinisig), slurp(b / kBundleEnvelope),
          slurp(b / kBundlePublicKey)};
}

int signed_files_code(const BundleFiles& files, const MinisignPublicKey* trusted) {
  try {
    verify_signed_files(files, trusted);
    return 0;
  } catch (const BundleError& e) {
    return e.exit_code;
  }
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

fs::path fake_checker(const std::string& name, const std::string& script) {
  const fs::path p = fixture().dir / name;
  spit(p, "#!/bin/sh\n" + script + "\n");
  fs::permissions(p, fs::perms::owner_all);
  return p;
}

}  // namespace

TEST_CASE("sign -> verify round trip; verify reports each fact on its own line", "[bundle]") {
  const Fixture& f = fixture();
  struct stat key_stat {};
  REQUIRE(::stat(f.key.c_str(), &key_stat) == 0);
  CHECK((key_stat.st_mode & 0777) == 0600);
  const MinisignPublicKey pub = parse_public_key(slurp(f.pub), f.pub.string());
  const std::string id = key_id_hex(pub.key_id);

  const fs::path b = f.bundle("roundtrip");
  CHECK(entries(b) == std::vector<std::string>{"README.txt", "attestation.dsse.json", "certificate.json",
                                               "certificate.json.minisig", "mechcert.pub"});
  CHECK(slurp(b / kBundleCertificate) == slurp(f.cert_a));  // byte for byte
  CHECK(slurp(b / kBundlePublicKey) == slurp(f.pub));
  const ProgramRun v = mechcert_cli({"verify", b.string(), "--model", f.model_a.string(), "--pub", f.pub.string()});
  INFO(v.stdout_text << v.stderr_text);
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.stdout_text, Catch::Contains("signature: good, key " + id));
  CHECK_THAT(v.stdout_text, Catch::Contains("model: sha256 matches (" + load_model(f.model_a.string()).sha256 + ")"));
  CHECK_THAT(v.stdout_text, Catch::Contains("bound: re-verified >= " + f.claim_correct + "/" + f.claim_total));

  const ProgramRun j = mechcert_cli({"verify", b.string(), "--model", f.model_a.string(), "--json"});
  REQUIRE(j.exit_code == 0);
  const nlohmann::json report = nlohmann::json::parse(j.stdout_text);
  CHECK(report["verified"] == true);
  CHECK(report["key_source"] == "bundle");
  CHECK(report["bound"]["num"] == f.claim_correct);

  // The statement: in-toto Statement v1, subjects by SHA-256, the predicate's facts.
  const std::string payload = verify_envelope(pub, slurp(b / kBundleEnvelope), kInTotoPayloadType, "e");
  const nlohmann::json st = nlohmann::json::parse(payload);
  CHECK(st["_type"] == "https://in-toto.io/Statement/v1");
  CHECK(st["predicateType"] == kPredicateType);
  CHECK(st["subject"][1]["digest"]["sha256"] == load_model(f.model_a.string()).sha256);
  CHECK(st["predicate"]["checker"]["sha256"] == sha256_file_hex(kChecker));
  CHECK(st["predicate"]["strategy"] == "brute-force");

  // --include-model: the bundle verifies on its own.
  const fs::path bm = f.bundle("with-model", true);
  CHECK(slurp(bm / kBundleModel) == slurp(f.model_a));
  CHECK(mechcert_cli({"verify", bm.string(), "--pub", f.pub.string()}).exit_code == 0);
  // Without a model the bundle cannot be re-checked: usage error.
  const ProgramRun nm = mechcert_cli({"verify", b.string()});
  CHECK(nm.exit_code == kBundleUsage);
  CHECK_THAT(nm.stderr_text, Catch::Contains("--model"));

  // keygen never overwrites.
  const std::string before = slurp(f.key);
  const ProgramRun again = run_program(kMechcert, {"keygen", "--out", (f.dir / "keys").string()});
  CHECK(again.exit_code == 2);
  CHECK(one_line(again.stderr_text));
  CHECK(slurp(f.key) == before);
}

TEST_CASE("every single flipped byte of certificate, minisig, envelope, statement and public key is detected", "[bundle]") {
  const Fixture& f = fixture();
  const BundleFiles good = read_bundle(f.bundle("flips"));
  const MinisignPublicKey trusted = parse_public_key(slurp(f.pub), "pub");
  REQUIRE(signed_files_code(good, &trusted) == 0);
  REQUIRE(signed_files_code(good, nullptr) == 0);
  size_t flips = 0;
  for (std::string BundleFiles::*field : {&BundleFiles::certificate, &BundleFiles::minisig,
                                          &BundleFiles::envelope, &BundleFiles::public_key}) {
    for (size_t i = 0; i < (good.*field).size(); ++i) {
      for (const int mask : {0x01, 0x80}) {
        BundleFiles t = good;
        (t.*field)[i] = static_cast<char>((t.*field)[i] ^ mask);
        const int with_pub = signed_files_code(t, &trusted), self = signed_files_code(t, nullptr);
        if (with_pub == 0 || self == 0) FAIL_CHECK("undetected flip at byte " << i << " mask " << int(mask));
        CHECK((with_pub == kBundleBadSignature || with_pub == kBundleMismatch));
        ++flips;
      }
    }
  }
  // The statement inside the envelope: flip a byte of the payload, keep the signature.
  const nlohmann::json env = nlohmann::json::parse(good.envelope);
  std::string payload;
  REQUIRE(base64_decode(env["payload"].get<std::string>(), payload));
  for (size_t i = 0; i < payload.size(); ++i) {
    std::string p = payload;
    p[i] = static_cast<char>(p[i] ^ 0x01);
    nlohmann::json e = env;
    e["payload"] = base64_encode(p);
    BundleFiles t = good;
    t.envelope = e.dump() + "\n";
    CHECK(signed_files_code(t, &trusted) == kBundleBadSignature);
    ++flips;
  }
  CHECK(flips > 2000);
  // Truncations and appended bytes, too.
  for (std::string BundleFiles::*field : {&BundleFiles::certificate, &BundleFiles::minisig,
                                          &BundleFiles::envelope, &BundleFiles::public_key}) {
    BundleFiles t = good;
    (t.*field).pop_back();
    CHECK(signed_files_code(t, &trusted) != 0);
    t = good;
    (t.*field) += " ";
    CHECK(signed_files_code(t, &trusted) != 0);
  }
}

TEST_CASE("a changed model is detected; a certificate for another model is refused at signing and at verification", "[bundle]") {
  const Fixture& f = fixture();
  const fs::path b = f.bundle("models");
  const ProgramRun other = mechcert_cli({"verify", b.string(), "--model", f.model_b.string()});
  CHECK(other.exit_code == kBundleMismatch);
  CHECK(one_line(other.stderr_text));
  CHECK_THAT(other.stderr_text, Catch::Contains("model"));
  const std::string model = slurp(f.model_a);
  for (const size_t at : {size_t{0}, size_t{9}, model.size() / 2, model.size() - 1}) {
    std::string m = model;
    m[at] = static_cast<char>(m[at] ^ 0x01);
    spit(f.dir / "flipped.safetensors", m);
    CHECK(mechcert_cli({"verify", b.string(), "--model", (f.dir / "flipped.safetensors").string()}).exit_code ==
          kBundleMismatch);
  }
  const fs::path out = f.dir / "wrong-model";
  const ProgramRun s = mechcert_cli({"sign", "--key", f.key.string(), "--model", f.model_b.string(),
                                     "--cert", f.cert_a.string(), "--out", out.string()});
  CHECK(s.exit_code == kBundleRejected);
  CHECK(one_line(s.stderr_text));
  CHECK_THAT(s.stderr_text, Catch::Contains("refusing to sign"));
  CHECK_FALSE(fs::exists(out));
  for (const std::string& name : entries(f.dir)) CHECK(name.find(".tmp-") == std::string::npos);
}

TEST_CASE("a signature by another key is rejected", "[bundle]") {
  const Fixture& f = fixture();
  const fs::path b = f.bundle("own-key");
  const MinisignSecretKey other = generate_secret_key();
  const fs::path other_pub = f.dir / "other.pub";
  spit(other_pub, format_public_key(other.public_key()));
  // The bundle's own files, with another trusted key: refused.
  const ProgramRun r = mechcert_cli({"verify", b.string(), "--model", f.model_a.string(), "--pub", other_pub.string()});
  CHECK(r.exit_code == kBundleBadSignature);
  CHECK(one_line(r.stderr_text));
  // Files signed by another key (with its own key in the bundle), checked against the real key.
  const MinisignPublicKey trusted = parse_public_key(slurp(f.pub), "pub");
  const BundleFiles good = read_bundle(b);
  const SignedFacts facts = verify_signed_files(good, &trusted).facts;
  BundleFiles forged = good;
  forged.minisig = sign_minisig(other, good.certificate, minisig_untrusted_comment(other.key_id),
                                minisig_trusted_comment(facts));
  forged.envelope = make_envelope(other, kInTotoPayloadType, statement_payload(facts));
  forged.public_key = format_public_key(other.public_key());
  CHECK(signed_files_code(forged, nullptr) == 0);  // self-consistent...
  CHECK(signed_files_code(forged, &trusted) == kBundleBadSignature);  // ...but not by the trusted key
  // Only one of the two signatures replaced: refused either way.
  BundleFiles half = good;
  half.envelope = forged.envelope;
  CHECK(signed_files_code(half, &trusted) == kBundleBadSignature);
  half = good;
  half.minisig = forged.minisig;
  CHECK(signed_files_code(half, &trusted) == kBundleBadSignature);
}

TEST_CASE("statements that are validly signed but false are refused", "[bundle]") {
  const Fixture& f = fixture();
  const fs::path b = f.bundle("false-statements");
  const MinisignSecretKey key = load_secret_key_file(f.key.string());
  const BundleFiles good = read_bundle(b);
  const SignedFacts facts = verify_signed_files(good, nullptr).facts;
  const auto resigned = [&](const SignedFacts& lie) {
    BundleFiles t = good;
    t.minisig = sign_minisig(key, good.certificate, minisig_untrusted_comment(key.key_id),
                             minisig_trusted_comment(lie));
    t.envelope = make_envelope(key, kInTotoPayloadType, statement_payload(lie));
    return t;
  };
  SignedFacts lie = facts;
  lie.certificate_sha256[0] = lie.certificate_sha256[0] == '0' ? '1' : '0';
  CHECK(signed_files_code(resigned(lie), nullptr) == kBundleMismatch);
  // A trusted comment that states another bound than the statement.
  BundleFiles t = good;
  SignedFacts other_bound = facts;
  other_bound.bound_num = "1";
  t.minisig = sign_minisig(key, good.certificate, minisig_untrusted_comment(key.key_id),
                           minisig_trusted_comment(other_bound));
  CHECK(signed_files_code(t, nullptr) == kBundleMismatch);
  // Another payload type, or a statement of another type.
  t = good;
  t.envelope = make_envelope(key, "application/json", statement_payload(facts));
  CHECK(signed_files_code(t, nullptr) == kBundleBadSignature);
  nlohmann::json st = nlohmann::json::parse(statement_payload(facts));
  st["predicateType"] = "https://example.org/other/v1";
  t = good;
  t.envelope = make_envelope(key, kInTotoPayloadType, st.dump());
  CHECK(signed_files_code(t, nullptr) == kBundleMismatch);

  // Signed facts the checker does not confirm: a higher bound, another model digest.
  const auto verify_with = [&](const std::string& name, const SignedFacts& l) {
    const fs::path d = f.dir / name;
    fs::create_directory(d);
    const BundleFiles r = resigned(l);
    spit(d / kBundleCertificate, r.certificate);
    spit(d / kBundleMinisig, r.minisig);
    spit(d / kBundleEnvelope, r.envelope);
    spit(d / kBundlePublicKey, r.public_key);
    return mechcert_cli({"verify", d.string(), "--model", f.model_a.string()});
  };
  lie = facts;
  lie.bound_num = std::to_string(std::stoll(facts.bound_num) + 1);
  ProgramRun r = verify_with("higher-bound", lie);
  CHECK(r.exit_code == kBundleMismatch);
  CHECK_THAT(r.stderr_text, Catch::Contains("bound"));
  lie = facts;
  lie.model_sha256 = load_model(f.model_b.string()).sha256;
  r = verify_with("other-model-digest", lie);
  CHECK(r.exit_code == kBundleMismatch);
  CHECK(verify_with("honest", facts).exit_code == 0);  // the same path with the true facts passes
}

TEST_CASE("secret keys: group/world-readable, missing, truncated, malformed, encrypted: one-line errors, nothing written", "[bundle]") {
  const Fixture& f = fixture();
  const std::string key_text = slurp(f.key);
  const auto sign_with = [&](const std::string& key_path) {
    const fs::path out = f.dir / "never";
    const ProgramRun r = mechcert_cli({"sign", "--key", key_path, "--model", f.model_a.string(),
                                       "--cert", f.cert_a.string(), "--out", out.string()});
    CHECK_FALSE(fs::exists(out));
    return r;
  };
  const auto write_key = [&](const std::string& name, const std::string& text, fs::perms perms) {
    const fs::path p = f.dir / name;
    spit(p, text);
    fs::permissions(p, perms);
    return p.string();
  };
  const fs::perms rw = fs::perms::owner_read | fs::perms::owner_write;
  std::string encrypted;
  {
    std::string raw;
    const size_t a = key_text.find('\n') + 1;
    REQUIRE(base64_decode(key_text.substr(a, key_text.size() - a - 1), raw));
    raw[2] = 'S';
    raw[3] = 'c';
    encrypted = key_text.substr(0, a) + base64_encode(raw) + "\n";
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {write_key("world.key", key_text, rw | fs::perms::others_read), "chmod 600"},
      {write_key("group.key", key_text, rw | fs::perms::group_read), "chmod 600"},
      {(f.dir / "missing.key").string(), "No such file"},
      {write_key("truncated.key", key_text.substr(0, key_text.size() / 2), rw), "not a minisign secret key"},
      {write_key("empty.key", "", rw), "not a minisign secret key"},
      {write_key("public.key", slurp(f.pub), rw), "not a minisign secret key"},
      {write_key("encrypted.key", encrypted, rw), "password-protected"},
  };
  for (const auto& [path, message] : cases) {
    const ProgramRun r = sign_with(path);
    INFO(path << ": " << r.stderr_text);
    CHECK(r.exit_code == kBundleUsage);
    CHECK(one_line(r.stderr_text));
    CHECK_THAT(r.stderr_text, Catch::Contains(message));
  }
}

TEST_CASE("the checker's answers: rejected is exit 1, anything else is 'could not decide', never 'rejected'", "[bundle]") {
  const Fixture& f = fixture();
  const fs::path b = f.bundle("checker-answers");
  const fs::path crash = fake_checker("crash.sh", "echo 'internal error: boom' >&2; exit 3");
  const fs::path usage = fake_checker("usage.sh", "echo 'unreadable' >&2; exit 2");
  const fs::path garbage = fake_checker("garbage.sh", "echo 'not json'; exit 0");
  // Exit 3 with a "rejected" verdict on stdout is still undecided: only exit 1 means rejected.
  const fs::path crash_json = fake_checker("crash_json.sh", "echo '{\"valid\":false,\"reason\":\"x\"}'; exit 3");
  const fs::path rejects = fake_checker("rejects.sh", "echo '{\"valid\":false,\"reason\":\"step 0: no\"}'; exit 1");
  for (const fs::path& c : {crash, usage, garbage, crash_json}) {
    const ProgramRun v = run_program(kMechcert, {"verify", b.string(), "--model", f.model_a.string(), "--checker", c.string()});
    CHECK(v.exit_code == kBundleUndecided);
    CHECK(one_line(v.stderr_text));
    const fs::path out = f.dir / "undecided";
    const ProgramRun s = run_program(kMechcert, {"sign", "--key", f.key.string(), "--model", f.model_a.string(),
                                                 "--cert", f.cert_a.string(), "--out", out.string(), "--checker", c.string()});
    CHECK(s.exit_code == kBundleUndecided);
    CHECK_FALSE(fs::exists(out));
  }
  const ProgramRun v = run_program(kMechcert, {"verify", b.string(), "--model", f.model_a.string(), "--checker", rejects.string()});
  CHECK(v.exit_code == kBundleRejected);
  CHECK_THAT(v.stderr_text, Catch::Contains("step 0: no"));
  // A certificate the real checker rejects (a claim one above what it certifies).
  nlohmann::json cert = nlohmann::json::parse(slurp(f.cert_a));
  cert["claim"]["correct"] = std::to_string(std::stoll(f.claim_correct) + 1);
  spit(f.dir / "overclaim.json", cert.dump());
  const fs::path out = f.dir / "overclaim";
  const ProgramRun s = mechcert_cli({"sign", "--key", f.key.string(), "--model", f.model_a.string(),
                                     "--cert", (f.dir / "overclaim.json").string(), "--out", out.string()});
  CHECK(s.exit_code == kBundleRejected);
  CHECK_FALSE(fs::exists(out));
  // An existing output is never replaced.
  const ProgramRun exists = mechcert_cli({"sign", "--key", f.key.string(), "--model", f.model_a.string(),
                                          "--cert", f.cert_a.string(), "--out", b.string()});
  CHECK(exists.exit_code == kBundleUsage);
  CHECK_THAT(exists.stderr_text, Catch::Contains("already exists"));
  for (const std::string& name : entries(f.dir)) CHECK(name.find(".tmp-") == std::string::npos);
}
