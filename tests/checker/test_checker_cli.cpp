// mechcert-check as a program: exit codes (0 valid, 1 rejected, 2 usage/unreadable, 3 internal), one-line
// reasons on stderr, the --json contract, and no crash on any malformed input class.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "checker/brute_force.hpp"
#include "format/model_weights.hpp"
#include "format/sha256.hpp"
#include "tests/support/exact_oracle.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::temp_directory_path() / "mechcert_test_checker_cli";
const std::string kChecker = std::string(MECHCERT_BINARY_DIR) + "/checker/mechcert-check";

struct Run {
  int code;          // exit code, or -signal
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Run run(const std::string& args) {
  const std::string cmd = kChecker + " " + args + " >" + (kDir / "out.txt").string() + " 2>" +
                          (kDir / "err.txt").string();
  const int status = std::system(cmd.c_str());
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  r.out = slurp(kDir / "out.txt");
  r.err = slurp(kDir / "err.txt");
  return r;
}

std::string write(const std::string& name, const std::string& text) {
  std::ofstream(kDir / name, std::ios::binary) << text;
  return (kDir / name).string();
}

struct Fixture {
  std::string model, other_model;
  std::string sha;
  uint64_t certified = 0;
  json cert;
  Fixture() {
    fs::create_directories(kDir);
    const ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 7);
    model = (kDir / "m.safetensors").string();
    save_model(model, w);
    other_model = (kDir / "other.safetensors").string();
    save_model(other_model, test::make_fixture_model(3, 5, 4, 3, 8));
    sha = sha256_file_hex(model);
    certified = brute_force_certified_count(w, 2).certified;
    cert = {{"format", "mechcert-certificate"},
            {"version", 1},
            {"task", {{"name", "max-of-k"}, {"vocab", 5}, {"k", 3}}},
            {"model", {{"sha256", sha}, {"d_model", 4}, {"d_head", 3}, {"d_vocab_out", 5}}},
            {"strategy", "brute-force"},
            {"steps", json::array({{{"kind", "brute-force"}}})},
            {"claim", {{"correct", std::to_string(certified)}, {"total", "125"}}}};
  }
};

const Fixture& fixture() {
  static Fixture f;
  return f;
}

}  // namespace

TEST_CASE("valid certificate: exit 0, verdict line, --json contract") {
  const Fixture& f = fixture();
  REQUIRE(f.certified > 0);
  const std::string cert = write("ok.json", f.cert.dump());
  Run r = run(f.model + " " + cert);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("VALID: accuracy >= " + std::to_string(f.certified) + "/125") == 0);
  REQUIRE(r.out.find("proof length:") != std::string::npos);
  r = run(f.model + " " + cert + " --json --threads 1");
  REQUIRE(r.code == 0);
  const json j = json::parse(r.out);
  REQUIRE(j["valid"] == true);
  REQUIRE(j["bound"]["num"] == std::to_string(f.certified));
  REQUIRE(j["bound"]["den"] == "125");
  REQUIRE(j["model_sha256"] == f.sha);
  REQUIRE(j["strategy"] == "brute-force");
  REQUIRE(j["proof_length"]["ops"]["interval_add"].get<uint64_t>() > 0);
  REQUIRE(j["proof_length"]["paper_flops"].get<uint64_t>() > 0);
  REQUIRE(j["proof_length"].contains("seconds"));
  // The op counts do not depend on the thread count.
  const json j3 = json::parse(run(f.model + " " + cert + " --json --threads 3").out);
  REQUIRE(j3["proof_length"]["ops"] == j["proof_length"]["ops"]);
}

TEST_CASE("a claim above the certified count is rejected, naming both numbers") {
  const Fixture& f = fixture();
  json c = f.cert;
  c["claim"]["correct"] = std::to_string(f.certified + 1);
  const Run r = run(f.model + " " + write("plus1.json", c.dump()));
  REQUIRE(r.code == 1);
  REQUIRE(r.out == "REJECTED\n");
  REQUIRE(r.err.find(std::to_string(f.certified + 1)) != std::string::npos);
  REQUIRE(r.err.find("certify only " + std::to_string(f.certified)) != std::string::npos);
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  const json j = json::parse(run(f.model + " " + (kDir / "plus1.json").string() + " --json").out);
  REQUIRE(j["valid"] == false);
  REQUIRE(j["reason"].get<std::string>().find("certify only") != std::string::npos);
}

TEST_CASE("a certificate for another model is rejected") {
  const Fixture& f = fixture();
  const Run r = run(f.other_model + " " + write("ok2.json", f.cert.dump()));
  REQUIRE(r.code == 1);
  REQUIRE(r.err.find("the certificate is for model " + f.sha) != std::string::npos);
}

TEST_CASE("non-zero biases: the checker proves a true bound (SPEC 3.6) and refuses one input more") {
  ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 7);
  uint64_t state = 99;
  for (std::vector<double>* b : {&w.b_Q, &w.b_K, &w.b_V, &w.b_O, &w.b_U})
    for (double& x : *b) x = test::fixture_value(state);
  w.b_U[2] = 0.5;
  const std::string model = (kDir / "bias.safetensors").string();
  save_model(model, w);
  const test::OracleCounts exact = test::oracle_classify_all(w);  // independent, 320-bit
  REQUIRE(exact.tie == 0);
  json c = fixture().cert;
  c["model"]["sha256"] = sha256_file_hex(model);
  c["claim"]["correct"] = std::to_string(exact.correct);
  const Run ok = run(model + " " + write("bias.json", c.dump()));
  INFO(ok.err);
  REQUIRE(ok.code == 0);
  REQUIRE(ok.out.find("VALID: accuracy >= " + std::to_string(exact.correct) + "/125") == 0);
  c["claim"]["correct"] = std::to_string(exact.correct + 1);
  const Run over = run(model + " " + write("bias1.json", c.dump()));
  REQUIRE(over.code == 1);
  REQUIRE(over.err.find("certify only " + std::to_string(exact.correct)) != std::string::npos);
}

TEST_CASE("an internal error (an enclosure overflows binary64) exits 3, never 1 'rejected'") {
  ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 7);
  for (double& x : w.W_U.data) x *= 0x1p1000;  // EU = Eq U ~ 2^1000: exact, but not a binary64 interval
  for (double& x : w.W_E.data) x *= 0x1p40;
  const std::string model = (kDir / "huge.safetensors").string();
  save_model(model, w, DType::F64);
  json c = fixture().cert;
  c["model"]["sha256"] = sha256_file_hex(model);
  c["claim"]["correct"] = "0";
  const Run r = run(model + " " + write("huge.json", c.dump()));
  REQUIRE(r.code == 3);
  REQUIRE(r.out.empty());
  REQUIRE(r.err.find("mechcert-check: internal error (no verdict): ") == 0);
  REQUIRE(r.err.find("overflows binary64") != std::string::npos);
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("--task accepts other spellings and refuses unknown tasks (exit 2)") {
  const Fixture& f = fixture();
  const std::string cert = write("task.json", f.cert.dump());
  REQUIRE(run("--task max_of_k " + f.model + " " + cert).code == 0);
  const Run bad = run("--task sorting " + f.model + " " + cert);
  REQUIRE(bad.code == 2);
  REQUIRE(bad.err.find("task 'sorting' is not supported") != std::string::npos);
}

TEST_CASE("malformed inputs: exit 1 or 2 with one clear line, never a crash") {
  const Fixture& f = fixture();
  struct Case {
    const char* name;
    std::string text;
    int code;
    const char* message;
  };
  std::string dup = f.cert.dump();
  dup.replace(dup.find("\"version\":1"), 11, "\"version\":1,\"version\":1");
  json huge = f.cert;
  huge["task"]["vocab"] = 1LL << 40;
  json negative = f.cert;
  negative["model"]["d_model"] = -4;
  json version = f.cert;
  version["version"] = 99;
  json unknown = f.cert;
  unknown["steps"][0]["cases"] = json::array();
  json wrong_type = f.cert;
  wrong_type["steps"] = "brute-force";
  json sidecar = f.cert;
  sidecar["sidecar"] = {{"file", "nothere.bin"}, {"sha256", std::string(64, '0')}, {"bytes", 8}};
  json bad_hash = f.cert;
  bad_hash["sidecar"] = {{"file", "side.bin"}, {"sha256", std::string(64, '0')}, {"bytes", 8}};
  write("side.bin", "12345678");
  json strategy = f.cert;
  strategy["strategy"] = "magic";
  json shape = f.cert;
  shape["model"]["d_model"] = 5;
  const Case cases[] = {
      {"bad json", "{\"format\": [", 2, "invalid JSON"},
      {"empty", "", 2, "invalid JSON"},
      {"nan literal", "{\"version\": NaN}", 2, "invalid JSON"},
      {"duplicate key", dup, 1, "duplicate key 'version'"},
      {"huge dims", huge.dump(), 1, "task.vocab: integer 1099511627776 out of range"},
      {"negative dims", negative.dump(), 1, "model.d_model: integer -4 out of range"},
      {"unknown version", version.dump(), 1, "unsupported certificate version 99"},
      {"unknown field", unknown.dump(), 1, "steps[0]: unknown field 'cases'"},
      {"wrong type", wrong_type.dump(), 1, "steps: expected an array"},
      {"missing sidecar", sidecar.dump(), 2, "nothere.bin"},
      {"sidecar hash", bad_hash.dump(), 1, "sidecar.sha256: sidecar side.bin has SHA-256"},
      {"unknown strategy", strategy.dump(), 1, "unknown strategy \"magic\""},
      {"shape mismatch", shape.dump(), 1, "model.d_model: the certificate says 5, the model has 4"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Run r = run(f.model + " " + write("bad.json", c.text));
    INFO(r.err);
    REQUIRE(r.code == c.code);
    REQUIRE(r.err.find(c.message) != std::string::npos);
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("usage errors and unreadable files exit 2") {
  const Fixture& f = fixture();
  REQUIRE(run("").code == 2);
  REQUIRE(run("--threads x " + f.model + " x").code == 2);
  // Ranges and choices (checked after parsing): exit 2 before any file is read.
  const std::string cert = write("ok-range.json", f.cert.dump());
  for (const auto& [option, message] : std::vector<std::pair<std::string, std::string>>{
           {"--threads 1025", "--threads: Value 1025 not in range 0 to 1024"},
           {"--threads -1", "--threads: Value -1 not in range 0 to 1024"},
           {"--exp fast", "--exp: fast not in {binary64,mpfr}"},
           {"--part -1", "--part: Value -1 not in range 0 to 65536"},
           {"--part 65537", "--part: Value 65537 not in range 0 to 65536"}}) {
    INFO(option);
    const Run r = run(option + " " + f.model + " " + cert);
    REQUIRE(r.code == 2);
    REQUIRE(r.err.find(message) != std::string::npos);
  }
  REQUIRE(run("--threads 1024 " + f.model + " " + cert).code == 0);
  REQUIRE(run("--exp mpfr " + f.model + " " + cert).code == 0);
  const Run missing = run(f.model + " " + (kDir / "does-not-exist.json").string());
  REQUIRE(missing.code == 2);
  REQUIRE(missing.err.find("cannot read certificate") != std::string::npos);
  REQUIRE(run((kDir / "nope.safetensors").string() + " x").code == 2);
  const Run garbage_model = run(write("garbage.safetensors", "not a model") + " " +
                                write("ok3.json", f.cert.dump()));
  REQUIRE(garbage_model.code == 2);
  const Run v = run("--version");
  REQUIRE(v.code == 0);
  REQUIRE(v.out.find("trusted code:") != std::string::npos);
}
