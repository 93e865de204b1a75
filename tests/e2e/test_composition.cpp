// Sharded brute-force certificates (SPEC 9): `prove --shards N` writes parts and a manifest that
// the checker accepts with the whole space's count; the same count from one process, several
// threads and several shards; each broken manifest (a missing, overlapping or repeated part, a part
// for another model, an altered part file, a range outside the input space, a claim above the sum,
// a path escaping the directory) is rejected with one line naming the part, exit code 1 from
// mechcert-check; --part I checks one part alone.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <sstream>
#include <string>

#include "checker/brute_force.hpp"
#include "checker/check.hpp"
#include "checker/composition.hpp"
#include "format/certificate.hpp"
#include "format/model_weights.hpp"
#include "format/sha256.hpp"
#include "generator/prove_brute_force.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / ("mechcert-test-composition-" + tag);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

nlohmann::json shard(const LoadedModel& m, int n, const fs::path& dir) {
  ProveOptions o;
  o.threads = 2;
  o.progress = false;
  return write_sharded_brute_force(m, o, n, dir.string());
}

// The checker's one-line reason for rejecting the manifest at `path` ("" if accepted).
std::string rejection(const LoadedModel& m, const fs::path& path) {
  try {
    check_certificate(m, read_certificate(path.string()), 2);
    return "";
  } catch (const CertificateRejected& e) {
    return e.what();
  } catch (const UnreadableInput& e) {
    return std::string("unreadable: ") + e.what();
  } catch (const FormatError& e) {
    return e.what();
  }
}

struct Run {
  int code = -1;
  std::string out, err;
};

Run run(const std::string& args, const fs::path& dir) {
  const std::string checker = std::string(MECHCERT_BINARY_DIR) + "/checker/mechcert-check";
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const int status = std::system((checker + " " + args + " >" + out.string() + " 2>" + err.string()).c_str());
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream o(out), e(err);
  std::stringstream so, se;
  so << o.rdbuf();
  se << e.rdbuf();
  r.out = so.str();
  r.err = se.str();
  return r;
}

// A tiny trained-looking model: k = 4, v = 6 (1296 inputs), checked in milliseconds.
LoadedModel tiny(uint64_t seed, const std::string& tag) {
  return test::saved(test::make_fixture_model(4, 6, 5, 4, seed), tag);
}

}  // namespace

TEST_CASE("the same count from one process, N threads and N shards (K = 4, v = 64)") {
  const LoadedModel m = test::example(50);
  const CheckResult whole1 = test::check(m, test::prove(m, "brute-force"));
  const CheckResult whole2 = check_certificate(m, parse_certificate(test::prove(m, "brute-force").dump(), "c.json", ""), 2);
  REQUIRE(whole1.certified == whole2.certified);
  const fs::path dir = fresh_dir("k4");
  const nlohmann::json manifest = shard(m, 5, dir);
  REQUIRE(manifest["strategy"] == "composition");
  REQUIRE(manifest["steps"][0]["parts"].size() == 5);
  const CheckResult sharded = check_certificate(m, read_certificate((dir / "manifest.json").string()), 2);
  REQUIRE(sharded.valid);
  REQUIRE(sharded.certified == whole1.certified);
  REQUIRE(sharded.bound_num == whole1.bound_num);  // the generator's claims add up to the whole claim
  REQUIRE(sharded.length.paper_flops == whole1.length.paper_flops);
  REQUIRE(sharded.length.ops.int_op > whole1.length.ops.int_op);  // + the hashes of the part files
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(dir))
    REQUIRE(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("shard counts that the work units do not allow are refused") {
  const LoadedModel m = tiny(3, "composition-units");
  const fs::path dir = fresh_dir("units");
  REQUIRE_THROWS(shard(m, 100000, dir));
  REQUIRE_FALSE(fs::exists(dir / "manifest.json"));
}

TEST_CASE("broken manifests are rejected with a reason naming the part") {
  const LoadedModel m = tiny(11, "composition-a");
  const LoadedModel other = tiny(12, "composition-b");
  const fs::path dir = fresh_dir("broken");
  const nlohmann::json good = shard(m, 4, dir);
  REQUIRE(rejection(m, dir / "manifest.json").empty());
  const nlohmann::json parts = good["steps"][0]["parts"];

  auto variant = [&](const std::string& name, const nlohmann::json& manifest) {
    const fs::path p = dir / name;
    write_text(p, manifest.dump());
    return rejection(m, p);
  };
  auto with_parts = [&](const nlohmann::json& list) {
    nlohmann::json j = good;
    j["steps"][0]["parts"] = list;
    return j;
  };

  SECTION("a missing part") {
    nlohmann::json list = parts;
    list.erase(2);
    const std::string why = variant("missing.json", with_parts(list));
    REQUIRE(why.find("parts[2] (part-00003.json)") != std::string::npos);
    REQUIRE(why.find("no part covers inputs") != std::string::npos);
    nlohmann::json last = parts;
    last.erase(3);
    REQUIRE(variant("missing-last.json", with_parts(last)).find("a part is missing after this one") !=
            std::string::npos);
  }
  SECTION("an overlapping part") {
    nlohmann::json list = parts;
    list[1]["inputs"]["end"] = std::to_string(std::stoull(list[1]["inputs"]["end"].get<std::string>()) + 1);
    const std::string why = variant("overlap.json", with_parts(list));
    REQUIRE(why.find("parts[2] (part-00002.json)") != std::string::npos);
    REQUIRE(why.find("overlap") != std::string::npos);
  }
  SECTION("a repeated part") {
    nlohmann::json list = parts;
    list.insert(list.begin() + 2, parts[1]);
    const std::string why = variant("repeated.json", with_parts(list));
    REQUIRE(why.find("parts[2] (part-00001.json)") != std::string::npos);
    REQUIRE(why.find("repeats parts[1]") != std::string::npos);
  }
  SECTION("a part for another model") {
    const fs::path odir = fresh_dir("broken-other");
    const nlohmann::json theirs = shard(other, 4, odir);
    fs::copy_file(odir / "part-00001.json", dir / "other-00001.json", fs::copy_options::overwrite_existing);
    nlohmann::json list = parts;
    list[1]["file"] = "other-00001.json";
    list[1]["sha256"] = theirs["steps"][0]["parts"][1]["sha256"];
    const std::string why = variant("other.json", with_parts(list));
    REQUIRE(why.find("parts[1] (other-00001.json)") != std::string::npos);
    REQUIRE(why.find("model") != std::string::npos);
  }
  SECTION("an altered part file (digest mismatch)") {
    const fs::path copy = dir / "altered-00002.json";
    nlohmann::json part = read_json(dir / "part-00002.json");
    part["generator"]["note"] = "edited";  // even a change the checker ignores breaks the digest
    write_text(copy, part.dump() + "\n");
    nlohmann::json list = parts;
    list[2]["file"] = "altered-00002.json";
    const std::string why = variant("altered.json", with_parts(list));
    INFO(why);
    REQUIRE(why.find("parts[2] (altered-00002.json)") != std::string::npos);
    REQUIRE(why.find("SHA-256") != std::string::npos);
  }
  SECTION("a part range outside the input space") {
    nlohmann::json list = parts;
    list[3]["inputs"]["end"] = "1297";
    const std::string why = variant("outside.json", with_parts(list));
    REQUIRE(why.find("parts[3]") != std::string::npos);
    REQUIRE(why.find("part-00003.json") != std::string::npos);
    REQUIRE(why.find("outside the input space [0, 1296)") != std::string::npos);
  }
  SECTION("a manifest range that differs from the part's own") {
    nlohmann::json list = parts;
    const std::string cut = list[1]["inputs"]["end"].get<std::string>();
    const std::string moved = std::to_string(std::stoull(cut) - 1);
    list[1]["inputs"]["end"] = moved;
    list[2]["inputs"]["begin"] = moved;
    const std::string why = variant("shifted.json", with_parts(list));
    REQUIRE(why.find("parts[1] (part-00001.json): covers inputs") != std::string::npos);
  }
  SECTION("a claim above the sum") {
    const CheckResult r = check_certificate(m, read_certificate((dir / "manifest.json").string()), 1);
    nlohmann::json j = good;
    j["claim"]["correct"] = BigInt(r.certified + 1).str();
    const std::string why = variant("above.json", j);
    REQUIRE(why.find("claims " + BigInt(r.certified + 1).str()) != std::string::npos);
    REQUIRE(why.find("certify only " + r.certified.str()) != std::string::npos);
  }
  SECTION("a path that escapes the manifest's directory") {
    for (const char* name : {"../part-00001.json", "/etc/passwd", ".hidden", "sub/part.json"}) {
      nlohmann::json list = parts;
      list[1]["file"] = name;
      const std::string why = variant("escape.json", with_parts(list));
      INFO(name << ": " << why);
      REQUIRE(why.find("parts[1]") != std::string::npos);
      REQUIRE(why.find("bare file name") != std::string::npos);
    }
  }
  SECTION("a part whose own claim is above what it certifies") {
    // A consistent manifest around a dishonest part: the part's digest is right, its claim is not.
    nlohmann::json part = read_json(dir / "part-00000.json");
    const BigInt claimed(part["claim"]["correct"].get<std::string>());
    part["claim"]["correct"] = BigInt(claimed + 400).str();
    const std::string text = part.dump() + "\n";
    write_text(dir / "liar-00000.json", text);
    nlohmann::json list = parts;
    list[0]["file"] = "liar-00000.json";
    list[0]["sha256"] = sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    const std::string why = variant("liar.json", with_parts(list));
    REQUIRE(why.find("parts[0] (liar-00000.json)") != std::string::npos);
    REQUIRE(why.find("claim") != std::string::npos);
  }
}

TEST_CASE("mechcert-check: exit codes, one-line reasons and --part") {
  const LoadedModel m = tiny(21, "composition-cli");
  const fs::path dir = fresh_dir("cli");
  const nlohmann::json good = shard(m, 3, dir);
  const std::string model = m.path;

  const Run ok = run(model + " " + (dir / "manifest.json").string(), dir);
  REQUIRE(ok.code == 0);
  REQUIRE(ok.out.rfind("VALID: accuracy >= ", 0) == 0);
  REQUIRE(ok.out.find("(strategy composition,") != std::string::npos);

  // Each part alone; their counts add up to the manifest's certified count.
  const Run whole = run(model + " " + (dir / "manifest.json").string() + " --json", dir);
  REQUIRE(whole.code == 0);
  const nlohmann::json wj = nlohmann::json::parse(whole.out);
  BigInt sum = 0;
  for (int i = 0; i < 3; ++i) {
    const Run part = run(model + " " + (dir / "manifest.json").string() + " --json --part " + std::to_string(i), dir);
    REQUIRE(part.code == 0);
    const nlohmann::json pj = nlohmann::json::parse(part.out);
    REQUIRE(pj["valid"] == true);
    REQUIRE(pj["part"]["index"] == i);
    sum += BigInt(pj["certified"].get<std::string>());
  }
  REQUIRE(sum == BigInt(wj["certified"].get<std::string>()));
  REQUIRE(run(model + " " + (dir / "manifest.json").string() + " --part 3", dir).code == 2);
  REQUIRE(run(model + " " + (dir / "part-00000.json").string() + " --part 0", dir).code == 2);

  // A missing part: exit 1, one line naming it (also with --json, and with --part on the broken entry).
  nlohmann::json broken = good;
  broken["steps"][0]["parts"].erase(1);
  write_text(dir / "broken.json", broken.dump());
  const Run bad = run(model + " " + (dir / "broken.json").string(), dir);
  REQUIRE(bad.code == 1);
  REQUIRE(bad.out == "REJECTED\n");
  REQUIRE(std::count(bad.err.begin(), bad.err.end(), '\n') == 1);
  REQUIRE(bad.err.find("parts[1] (part-00002.json)") != std::string::npos);
  // An altered part file: --part names it, exit 1.
  nlohmann::json part = read_json(dir / "part-00002.json");
  part["generator"]["note"] = "edited";
  write_text(dir / "part-00002.json", part.dump() + "\n");
  const Run altered = run(model + " " + (dir / "manifest.json").string() + " --part 2 --json", dir);
  REQUIRE(altered.code == 1);
  REQUIRE(nlohmann::json::parse(altered.out)["valid"] == false);
  REQUIRE(altered.err.find("parts[2] (part-00002.json): the file's SHA-256") != std::string::npos);
  // A part file that is gone: unreadable input, exit 2, naming it.
  fs::remove(dir / "part-00001.json");
  const Run gone = run(model + " " + (dir / "manifest.json").string() + " --part 1", dir);
  REQUIRE(gone.code == 2);
  REQUIRE(gone.err.find("parts[1] (part-00001.json)") != std::string::npos);
}

TEST_CASE("a model with biases: the sharded check folds like the whole one") {
  ModelWeights w = test::make_fixture_model(3, 7, 5, 4, 41);
  for (double& x : w.b_U) x = 0.125;
  for (double& x : w.b_Q) x = -0.25;
  const LoadedModel m = test::saved(w, "composition-bias");
  const CheckResult whole = test::check(m, test::prove(m, "brute-force"));
  const fs::path dir = fresh_dir("bias");
  shard(m, 3, dir);
  const CheckResult sharded = check_certificate(m, read_certificate((dir / "manifest.json").string()), 1);
  REQUIRE(sharded.certified == whole.certified);
}
