// Interop with independent implementations (SPEC.md §8.5): Debian's `minisign` verifies the
// bundle's .minisig and rejects a tampered certificate; it reads our secret key and, Ed25519 being
// deterministic, writes a byte-identical signature; its own unencrypted key (-G -W) signs bundles
// through `mechcert sign`. scripts/verify_dsse.py (Debian's python3-securesystemslib for Ed25519,
// its own PAE) verifies the DSSE envelope and rejects tampered files. Either tool rejecting what we
// wrote fails the test.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/model_weights.hpp"
#include "generator/bundle.hpp"
#include "generator/checker_program.hpp"
#include "generator/minisign.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
namespace fs = std::filesystem;

namespace {

const std::string kMechcert = std::string(MECHCERT_BINARY_DIR) + "/generator/mechcert";
const std::string kChecker = std::string(MECHCERT_BINARY_DIR) + "/checker/mechcert-check";
const std::string kVerifyDsse = std::string(MECHCERT_SOURCE_DIR) + "/scripts/verify_dsse.py";
const std::string kPython = "/usr/bin/python3";  // Debian's, with securesystemslib
const std::string kMinisign = "/usr/bin/minisign";

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

struct Fixture {
  fs::path dir, model, other_model, cert, key, pub, bundle;
  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "mechcert-test-interop-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    model = dir / "m.safetensors";
    other_model = dir / "o.safetensors";
    save_model(model.string(), test::make_fixture_model(3, 5, 4, 3, 21), DType::F64);
    save_model(other_model.string(), test::make_fixture_model(3, 5, 4, 3, 22), DType::F64);
    cert = dir / "m.cert.json";
    spit(cert, test::prove(load_model(model.string()), "brute-force").dump() + "\n");
    REQUIRE(run_program(kMechcert, {"keygen", "--out", (dir / "keys").string()}).exit_code == 0);
    key = dir / "keys" / "mechcert.key";
    pub = dir / "keys" / "mechcert.pub";
    bundle = dir / "bundle";
    const ProgramRun s = run_program(kMechcert, {"sign", "--key", key.string(), "--model", model.string(),
                                                 "--cert", cert.string(), "--out", bundle.string(),
                                                 "--checker", kChecker});
    INFO(s.stderr_text);
    REQUIRE(s.exit_code == 0);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

ProgramRun minisign_verify(const fs::path& pub, const fs::path& file, const fs::path& sig) {
  return run_program(kMinisign, {"-V", "-p", pub.string(), "-m", file.string(), "-x", sig.string()});
}

ProgramRun verify_dsse(const std::vector<std::string>& args) {
  std::vector<std::string> a = {kVerifyDsse};
  a.insert(a.end(), args.begin(), args.end());
  return run_program(kPython, a);
}

}  // namespace

TEST_CASE("minisign verifies the bundle's signature and rejects tampering and another key", "[interop]") {
  const Fixture& f = fixture();
  const fs::path cert = f.bundle / kBundleCertificate, sig = f.bundle / kBundleMinisig;
  const ProgramRun ok = minisign_verify(f.bundle / kBundlePublicKey, cert, sig);
  INFO(ok.stdout_text << ok.stderr_text);
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.stdout_text, Catch::Contains("model sha256 " + load_model(f.model.string()).sha256));
  CHECK(minisign_verify(f.pub, cert, sig).exit_code == 0);

  const std::string bytes = slurp(cert);
  for (const size_t at : {size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
    std::string t = bytes;
    t[at] = static_cast<char>(t[at] ^ 0x01);
    spit(f.dir / "tampered.json", t);
    CHECK(minisign_verify(f.pub, f.dir / "tampered.json", sig).exit_code != 0);
  }
  const std::string s = slurp(sig);
  std::string t = s;
  const size_t tc = s.find("\ntrusted comment: ") + 21;
  t[tc] = static_cast<char>(t[tc] ^ 0x01);  // the trusted comment is signed
  spit(f.dir / "tampered.minisig", t);
  CHECK(minisign_verify(f.pub, cert, f.dir / "tampered.minisig").exit_code != 0);
  spit(f.dir / "other.pub", format_public_key(generate_secret_key().public_key()));
  CHECK(minisign_verify(f.dir / "other.pub", cert, sig).exit_code != 0);
}

TEST_CASE("minisign signs with mechcert's secret key, byte-identical to mechcert's signature", "[interop]") {
  const Fixture& f = fixture();
  const std::string ours = slurp(f.bundle / kBundleMinisig);
  const size_t at = ours.find("\ntrusted comment: ") + 18;
  const std::string trusted = ours.substr(at, ours.find('\n', at) - at);
  const std::string untrusted = ours.substr(19, ours.find('\n') - 19);
  spit(f.dir / "c.json", slurp(f.bundle / kBundleCertificate));
  const ProgramRun r = run_program(kMinisign, {"-S", "-s", f.key.string(), "-m", (f.dir / "c.json").string(),
                                               "-x", (f.dir / "c.minisig").string(), "-c", untrusted,
                                               "-t", trusted});
  INFO(r.stdout_text << r.stderr_text);
  REQUIRE(r.exit_code == 0);
  CHECK(slurp(f.dir / "c.minisig") == ours);
}

TEST_CASE("a key pair made by minisign -G -W signs and verifies through mechcert", "[interop]") {
  const Fixture& f = fixture();
  const fs::path mk = f.dir / "minisign.key", mp = f.dir / "minisign.pub";
  const ProgramRun g = run_program(kMinisign, {"-G", "-W", "-p", mp.string(), "-s", mk.string()});
  INFO(g.stdout_text << g.stderr_text);
  REQUIRE(g.exit_code == 0);
  const fs::path out = f.dir / "minisign-key-bundle";
  const ProgramRun s = run_program(kMechcert, {"sign", "--key", mk.string(), "--model", f.model.string(),
                                               "--cert", f.cert.string(), "--out", out.string(),
                                               "--include-model", "--checker", kChecker});
  INFO(s.stderr_text);
  REQUIRE(s.exit_code == 0);
  CHECK(slurp(out / kBundlePublicKey) == slurp(mp));  // the same public key file minisign wrote
  CHECK(run_program(kMechcert, {"verify", out.string(), "--pub", mp.string(), "--checker", kChecker}).exit_code == 0);
  CHECK(minisign_verify(mp, out / kBundleCertificate, out / kBundleMinisig).exit_code == 0);
  CHECK(verify_dsse({out.string(), "--pub", mp.string()}).exit_code == 0);
}

TEST_CASE("minisign's key ids without leading zeros (1 key in 16) read and sign through mechcert", "[interop]") {
  const Fixture& f = fixture();
  const fs::path mk = f.dir / "short-id.key", mp = f.dir / "short-id.pub";
  bool found = false;
  for (int attempt = 0; attempt < 400 && !found; ++attempt) {  // P(no short id in 400) = (15/16)^400 < 1e-11
    fs::remove(mk);
    fs::remove(mp);
    REQUIRE(run_program(kMinisign, {"-G", "-W", "-p", mp.string(), "-s", mk.string()}).exit_code == 0);
    const std::string first = slurp(mp).substr(0, slurp(mp).find('\n'));
    found = first.size() - first.rfind(' ') - 1 < 16;
  }
  REQUIRE(found);
  const fs::path out = f.dir / "short-id-bundle";
  const ProgramRun s = run_program(kMechcert, {"sign", "--key", mk.string(), "--model", f.model.string(),
                                               "--cert", f.cert.string(), "--out", out.string(),
                                               "--include-model", "--checker", kChecker});
  INFO(s.stderr_text);
  REQUIRE(s.exit_code == 0);
  CHECK(slurp(out / kBundlePublicKey) == slurp(mp));
  CHECK(run_program(kMechcert, {"verify", out.string(), "--pub", mp.string(), "--checker", kChecker}).exit_code == 0);
  CHECK(minisign_verify(mp, out / kBundleCertificate, out / kBundleMinisig).exit_code == 0);
  CHECK(verify_dsse({out.string(), "--pub", mp.string()}).exit_code == 0);
}

TEST_CASE("securesystemslib verifies the DSSE envelope; tampered envelope, certificate, model or key fail", "[interop]") {
  const Fixture& f = fixture();
  const std::string b = f.bundle.string();
  const ProgramRun ok = verify_dsse({b, "--pub", f.pub.string(), "--model", f.model.string()});
  INFO(ok.stdout_text << ok.stderr_text);
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.stdout_text, Catch::Contains("DSSE signature: good"));
  CHECK(verify_dsse({b, "--pub", f.pub.string(), "--model", f.other_model.string()}).exit_code == 1);
  spit(f.dir / "other.pub", format_public_key(generate_secret_key().public_key()));
  CHECK(verify_dsse({b, "--pub", (f.dir / "other.pub").string()}).exit_code == 1);

  // A copy of the bundle with one changed byte in the statement (re-encoded, old signature).
  const auto tampered_copy = [&](const std::string& name) {
    const fs::path d = f.dir / name;
    fs::copy(f.bundle, d);
    return d;
  };
  const fs::path d1 = tampered_copy("t-statement");
  nlohmann::json env = nlohmann::json::parse(slurp(d1 / kBundleEnvelope));
  std::string payload;
  REQUIRE(base64_decode(env["payload"].get<std::string>(), payload));
  payload[payload.find("brute-force")] = 'B';
  env["payload"] = base64_encode(payload);
  spit(d1 / kBundleEnvelope, env.dump() + "\n");
  CHECK(verify_dsse({d1.string(), "--pub", f.pub.string()}).exit_code == 1);
  const fs::path d2 = tampered_copy("t-certificate");
  std::string c = slurp(d2 / kBundleCertificate);
  c[c.size() / 2] = static_cast<char>(c[c.size() / 2] ^ 0x01);
  spit(d2 / kBundleCertificate, c);
  CHECK(verify_dsse({d2.string(), "--pub", f.pub.string()}).exit_code == 1);
}
