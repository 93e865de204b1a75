// Sharded hybrid certificates (SPEC 10.8): `prove --strategy hybrid/cubic+brute-force --shards N`
// writes parts of whole queries composed by a manifest (SPEC 9). The parts sum to the unsharded
// count; a part listing a class outside its queries, or a range that is not whole queries, is
// rejected with one line.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "checker/check.hpp"
#include "checker/fp_environment.hpp"
#include "format/certificate.hpp"
#include "generator/prove_hybrid.hpp"
#include "generator/trainer.hpp"
#include "tests/support/e2e_helpers.hpp"

using namespace mechcert;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path fresh_dir(const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / ("mechcert-test-hybrid-sharded-" + tag);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

LoadedModel trained_model(uint64_t seed) {
  TrainConfig config;
  config.k = 3;
  config.v = 8;
  config.d_model = 8;
  config.steps = 600;
  config.seed = seed;
  config.threads = 1;
  return test::saved(train_model(config), "hybrid-sharded-" + std::to_string(seed));
}

}  // namespace

TEST_CASE("sharded hybrid: the parts sum to the unsharded count", "[hybrid]") {
  require_sound_fp_environment();
  for (uint64_t seed : {1u, 2u}) {
    const LoadedModel m = trained_model(seed);
    json whole = test::prove(m, "hybrid/cubic+brute-force");
    whole["claim"]["correct"] = "0";
    const BigInt expected = test::check(m, whole).certified;
    for (int shards : {1, 3, 8}) {
      const fs::path dir = fresh_dir(std::to_string(seed) + "-" + std::to_string(shards));
      ProveOptions o;
      o.threads = 2;
      o.progress = false;
      const json manifest = write_sharded_hybrid(m, o, shards, dir.string());
      REQUIRE(manifest["steps"][0]["parts"].size() == static_cast<size_t>(shards));
      const CheckResult r = check_certificate(m, read_certificate((dir / "manifest.json").string()), 2);
      INFO("seed " << seed << ", " << shards << " shards");
      REQUIRE(r.valid);
      REQUIRE(r.certified == expected);
      REQUIRE(BigInt(manifest["claim"]["correct"].get<std::string>()) == expected);
    }
  }
}

TEST_CASE("sharded hybrid: a part outside its queries is rejected", "[hybrid]") {
  require_sound_fp_environment();
  const LoadedModel m = trained_model(1);
  const fs::path dir = fresh_dir("reject");
  ProveOptions o;
  o.threads = 1;
  o.progress = false;
  write_sharded_hybrid(m, o, 3, dir.string());
  const json part = read_json(dir / "part-00001.json");  // queries [b, e) with 0 < b
  REQUIRE(test::check(m, part).valid);  // a part is an ordinary certificate of its range
  const json& inputs = part["steps"][2]["inputs"];
  const int64_t q_begin = std::stoll(inputs["begin"].get<std::string>()) / 64;  // v^(k-1) = 64
  REQUIRE(q_begin > 0);
  const auto reason = [&](const json& bad) {
    const std::string why = test::rejection(m, bad);
    INFO(why);
    REQUIRE(!why.empty());
    REQUIRE(why.find('\n') == std::string::npos);
    return why;
  };
  // A class of query q_begin - 1 (the row (m, q, c) = (7, q_begin - 1, 0) sorts first among m = 7
  // rows of larger q; insert it in (m, q, c) order).
  json outside = part;
  json& rows = outside["steps"][1]["cases"];
  json row = {7, q_begin - 1, 0, ""};
  size_t at = 0;
  while (at < rows.size() && (rows[at][0].get<int64_t>() < 7 ||
                              (rows[at][0].get<int64_t>() == 7 && rows[at][1].get<int64_t>() < q_begin - 1)))
    ++at;
  rows.insert(rows.begin() + static_cast<std::ptrdiff_t>(at), row);
  REQUIRE(reason(outside).find("outside the part's queries") != std::string::npos);
  // Ranges that are not whole queries.
  json ragged = part;
  ragged["steps"][2]["inputs"]["begin"] = std::to_string(q_begin * 64 + 1);
  REQUIRE(reason(ragged).find("whole queries") != std::string::npos);
  json beyond = part;
  beyond["steps"][2]["inputs"]["end"] = std::to_string(9 * 64);
  REQUIRE(!reason(beyond).empty());
}
