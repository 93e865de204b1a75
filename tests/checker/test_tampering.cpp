// Soundness against tampering: every single-field change of a valid brute-force certificate
// (delete the field, or replace its value with another type or value) is either rejected or still
// yields a true bound (claim <= the oracle's number of correct inputs). Never a crash.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "checker/brute_force.hpp"
#include "checker/check.hpp"
#include "format/certificate.hpp"
#include "format/model_weights.hpp"
#include "format/sha256.hpp"
#include "tests/support/exact_oracle.hpp"
#include "tests/support/model_fixture.hpp"

using namespace mechcert;
using nlohmann::json;

namespace {

void collect_paths(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
  if (!at.empty()) out.push_back(at);
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) collect_paths(*it, at / it.key(), out);
  if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) collect_paths(j[i], at / i, out);
}

}  // namespace

TEST_CASE("single-field tampering is rejected or still true") {
  const ModelWeights w = test::make_fixture_model(3, 5, 4, 3, 21);
  const auto dir = std::filesystem::temp_directory_path() / "mechcert_test_tampering";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "m.safetensors").string();
  save_model(path, w);
  const LoadedModel model = load_model(path);
  const uint64_t truth = test::oracle_classify_all(w).correct;
  const uint64_t certified = brute_force_certified_count(w, 2).certified;
  REQUIRE(certified == truth);

  const json valid = {{"format", "mechcert-certificate"},
                      {"version", 1},
                      {"task", {{"name", "max-of-k"}, {"vocab", 5}, {"k", 3}}},
                      {"model", {{"sha256", model.sha256}, {"d_model", 4}, {"d_head", 3}, {"d_vocab_out", 5}}},
                      {"strategy", "brute-force"},
                      {"steps", json::array({{{"kind", "brute-force"}}})},
                      {"claim", {{"correct", std::to_string(truth)}, {"total", "125"}}}};
  std::vector<json::json_pointer> paths;
  collect_paths(valid, json::json_pointer(), paths);
  const std::vector<json> replacements = {
      nullptr, true, 0, 1, -1, 2, 3, 4, 5, 125, 126, int64_t{1} << 62, 0.5, "", "0", "1",
      std::to_string(truth + 1), std::to_string(truth - 1), "125", "-1", "max-of-k", "cubic",
      "brute-force", std::string(64, 'f'), json::array(), json::object(), json::array({1, 2})};
  int accepted = 0, rejected = 0;
  auto attempt = [&](const json& doc) {
    try {
      const Certificate c = parse_certificate(doc.dump(), "cert.json", "");
      const CheckResult r = check_certificate(model, c, 2);
      REQUIRE(r.valid);
      REQUIRE(r.bound_num <= truth);   // a true bound
      REQUIRE(r.bound_den == 125);
      ++accepted;
    } catch (const FormatError&) {
      ++rejected;
    } catch (const CertificateRejected&) {
      ++rejected;
    }
  };
  for (const auto& p : paths) {
    json deleted = valid;
    json& parent = deleted[p.parent_pointer()];
    if (parent.is_object())
      parent.erase(p.back());
    else
      parent.erase(static_cast<size_t>(std::stoul(p.back())));
    INFO("delete " << p.to_string());
    attempt(deleted);
    for (const json& r : replacements) {
      json t = valid;
      t[p] = r;
      INFO("set " << p.to_string() << " = " << r.dump());
      attempt(t);
    }
  }
  // A smaller claim and the unchanged certificate are accepted; everything else rejected.
  REQUIRE(accepted >= 2);
  REQUIRE(rejected > 300);
  std::filesystem::remove_all(dir);
}
