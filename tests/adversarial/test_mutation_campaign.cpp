// Bounded, in-process version of the mutation campaign (scripts/mutation_campaign.py runs the full
// one through the command-line tools): for every registered strategy, take the generator's
// certificate for a model whose exact count is known (planted model with an exact oracle, and a
// briefly trained model counted by the same oracle), apply single-site mutations (numbers,
// strings, hex masks, structure, re-addressing to another model) and require that the checker
// either rejects each mutant or verifies a bound <= the exact accuracy. A deterministic sample of
// at most kMaxMutants mutants per (model, strategy) keeps the test to seconds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/check.hpp"
#include "checker/fp_environment.hpp"
#include "format/certificate.hpp"
#include "format/exact_numbers.hpp"
#include "format/model_weights.hpp"
#include "generator/strategy_registry.hpp"
#include "generator/trainer.hpp"
#include "tests/adversarial/exact_count.hpp"
#include "tests/adversarial/planted_models.hpp"

using namespace mechcert;
using namespace mechcert::adversarial;
using nlohmann::json;

namespace {

constexpr size_t kMaxMutants = 300;

struct Mutant {
  std::string what;
  json doc;
};

bool is_hex_float(const std::string& s) {
  const size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  return s.size() > i + 2 && s.compare(i, 2, "0x") == 0 && s.find('p') != std::string::npos;
}

bool is_decimal(const std::string& s) {
  const size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  return s.size() > i && std::all_of(s.begin() + static_cast<long>(i), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_hex_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Replacement values for one leaf (string forms follow format/exact_numbers.hpp).
std::vector<std::pair<std::string, json>> leaf_mutations(const json& leaf, bool is_mask,
                                                         const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, json>> out;
  if (leaf.is_boolean()) {
    out.push_back({"flipped", !leaf.get<bool>()});
  } else if (leaf.is_number_integer()) {
    const int64_t x = leaf.get<int64_t>();
    for (auto [n, v] : std::vector<std::pair<const char*, int64_t>>{
             {"+1", x + 1}, {"-1", x - 1}, {"zero", 0}, {"x2", 2 * x}, {"/2", x / 2}, {"negated", -x},
             {"2^53+1", (int64_t{1} << 53) + 1}})
      if (v != x) out.push_back({n, v});
    out.push_back({"as-float", static_cast<double>(x) + 0.5});
    out.push_back({"as-string", std::to_string(x)});
  } else if (leaf.is_string()) {
    const std::string s = leaf.get<std::string>();
    if (is_mask && is_hex_digits(s)) {
      for (size_t b = 0; b < 4 * s.size(); ++b) {
        std::string t = s;
        const size_t digit = s.size() - 1 - b / 4;
        const int val = (t[digit] <= '9' ? t[digit] - '0' : t[digit] - 'a' + 10) ^ (1 << (b % 4));
        t[digit] = "0123456789abcdef"[val];
        out.push_back({"flip-bit" + std::to_string(b), t});
      }
      out.push_back({"all-bits", std::string(s.size(), 'f')});
      out.push_back({"cleared", std::string(s.size(), '0')});
      out.push_back({"emptied", ""});
    } else if (is_hex_float(s)) {
      const double x = std::strtod(s.c_str(), nullptr);
      for (auto [n, v] : std::vector<std::pair<const char*, double>>{
               {"+1ulp", std::nextafter(x, INFINITY)}, {"-1ulp", std::nextafter(x, -INFINITY)},
               {"negated", -x}, {"x2", 2 * x}, {"/2", x / 2}, {"zero", 0.0}})
        if (std::isfinite(v) && v != x) out.push_back({n, format_hex_double(v)});
    } else if (s.size() == 64 && is_hex_digits(s)) {
      std::string t = s;
      t.back() = t.back() == '0' ? '1' : '0';
      out.push_back({"sha-last-digit", t});
    } else if (is_decimal(s) && s.size() < 40) {
      const BigInt x(s);
      for (auto [n, v] : std::vector<std::pair<const char*, BigInt>>{
               {"+1", x + 1}, {"-1", x - 1}, {"zero", 0}, {"x2", 2 * x}, {"/2", x / 2}, {"negated", -x}})
        if (v != x) out.push_back({n, v.str()});
      out.push_back({"leading-zero", "0" + s});
    } else {
      for (const std::string& n : names)
        if (n != s) out.push_back({"renamed-" + n, n});
      out.push_back({"emptied", ""});
    }
  }
  return out;
}

void collect(const json& doc, const json::json_pointer& at, const std::vector<std::string>& names,
             std::vector<std::function<Mutant()>>& sites) {
  const json& node = doc.at(at);
  const std::string where = at.to_string().empty() ? "<root>" : at.to_string();
  auto edit = [&doc, at, where](std::string what, std::function<void(json&)> f) {
    return [&doc, at, where, what, f]() {
      json copy = doc;
      f(copy.at(at));
      return Mutant{where + ": " + what, std::move(copy)};
    };
  };
  if (node.is_array()) {
    const size_t n = node.size();
    for (size_t i = 0; i < n; ++i) {
      sites.push_back(edit("drop [" + std::to_string(i) + "]", [i](json& a) { a.erase(i); }));
      sites.push_back(edit("duplicate [" + std::to_string(i) + "]",
                           [i](json& a) { a.insert(a.begin() + static_cast<long>(i), a[i]); }));
      if (i + 1 < n && node[i] != node[i + 1])
        sites.push_back(edit("swap [" + std::to_string(i) + "]", [i](json& a) { std::swap(a[i], a[i + 1]); }));
    }
    if (n > 1) sites.push_back(edit("reversed", [](json& a) { std::reverse(a.begin(), a.end()); }));
    if (n > 0) sites.push_back(edit("emptied", [](json& a) { a = json::array(); }));
    for (size_t i = 0; i < n; ++i) collect(doc, at / i, names, sites);
  } else if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (at.empty() && it.key() == "generator") continue;  // free-form, ignored by contract
      const std::string key = it.key();
      sites.push_back(edit("drop ." + key, [key](json& o) { o.erase(key); }));
    }
    sites.push_back(edit("unknown key", [](json& o) { o["x_unknown"] = 1; }));
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (at.empty() && it.key() == "generator") continue;
      collect(doc, at / it.key(), names, sites);
    }
  } else {
    // a mask is element 3 of a case row: .../cases/<i>/3
    const std::string p = at.to_string();
    const bool is_mask = p.find("/cases/") != std::string::npos && p.size() >= 2 &&
                         p.compare(p.size() - 2, 2, "/3") == 0;
    for (auto& [what, value] : leaf_mutations(node, is_mask, names)) {
      json v = value;
      sites.push_back(edit(what, [v](json& leaf) { leaf = v; }));
    }
  }
}

struct Tally {
  size_t sites = 0, tried = 0, rejected = 0, accepted_true = 0, accepted_false = 0;
};

struct Target {
  std::string name;
  LoadedModel model;
  ExactCounts exact;
};

Target make_target(const std::string& name, const ModelWeights& w, DType dtype) {
  const auto dir = std::filesystem::temp_directory_path() / "mechcert-adversarial-mutation";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (name + ".safetensors")).string();
  save_model(path, w, dtype);
  return {name, load_model(path), exact_counts(w)};
}

// Rejected or true: returns false only for an accepted FALSE bound.
bool verify(const Target& t, const json& doc, bool& accepted) {
  accepted = false;
  try {
    const Certificate cert = parse_certificate(doc.dump(), "mutant.json", "");
    const CheckResult r = check_certificate(t.model, cert, 1);
    accepted = true;
    // bound_num / bound_den <= strict / total
    return r.bound_num * BigInt(t.exact.total) <= BigInt(t.exact.strict_correct) * r.bound_den &&
           r.certified <= BigInt(t.exact.strict_correct);
  } catch (const FormatError&) {
  } catch (const CertificateRejected&) {
  }
  return true;
}

Tally campaign(const Target& target, const Target& other, const std::string& strategy,
               const StrategyInfo& info, uint32_t seed) {
  Tally tally;
  ProveOptions opt;
  opt.threads = 1;
  opt.progress = false;
  json doc;
  try {
    doc = info.prove(target.model, opt);
  } catch (const std::exception& e) {
    WARN(target.name << " / " << strategy << ": prove refused: " << e.what());
    return tally;
  }
  // Claim exactly what the checker certifies when the generator claims more (the generator is
  // untrusted; the campaign starts from a VALID certificate).
  {
    Certificate cert = parse_certificate(doc.dump(), "original.json", "");
    cert.claim_correct = 0;
    const CheckResult r = check_certificate(target.model, cert, 1);
    REQUIRE(r.certified <= BigInt(target.exact.strict_correct));
    doc["claim"]["correct"] = r.certified.str();
  }
  bool accepted = false;
  REQUIRE(verify(target, doc, accepted));
  REQUIRE(accepted);

  std::vector<std::string> names;
  for (const auto& [n, i] : strategy_registry()) names.push_back(n);
  for (const char* n : {"brute-force", "cubic", "path-tables", "cubic-classes", "max-of-k", "mechcert-certificate",
                        "eu-bound", "gap-classes", "max_diff_exact", "global_max_diff_exact", "max_diff",
                        "mean_query+max_diff", "mean_query+diff",
                        "drop_average_query_per_output_logit_reasoning"})
    names.push_back(n);
  std::vector<std::function<Mutant()>> sites;
  collect(doc, json::json_pointer(), names, sites);
  tally.sites = sites.size();
  std::mt19937 rng(seed);
  std::shuffle(sites.begin(), sites.end(), rng);
  if (sites.size() > kMaxMutants) sites.resize(kMaxMutants);
  const std::string original = doc.dump();
  for (auto& make : sites) {
    const Mutant m = make();
    if (m.doc.dump() == original) continue;  // a no-op edit (e.g. "all bits" of a full mask) is not a mutant
    INFO(target.name << " / " << strategy << ": " << m.what);
    ++tally.tried;
    const bool ok = verify(target, m.doc, accepted);
    CHECK(ok);
    if (!ok) ++tally.accepted_false;
    else if (accepted) ++tally.accepted_true;
    else ++tally.rejected;
  }
  // Transplant: the same certificate re-addressed to another model of the same shape.
  json moved = doc;
  moved["model"]["sha256"] = other.model.sha256;
  INFO(target.name << " / " << strategy << ": transplanted to " << other.name);
  ++tally.tried;
  const bool ok = verify(other, moved, accepted);
  CHECK(ok);
  if (!ok) ++tally.accepted_false;
  else if (accepted) ++tally.accepted_true;
  else ++tally.rejected;
  return tally;
}

}  // namespace

TEST_CASE("mutation campaign (bounded): no mutant is accepted with a false bound",
          "[adversarial][mutation]") {
  require_sound_fp_environment();
  std::vector<std::pair<Target, Target>> pairs;
  // Planted: exact 125 / 216 (max 5 loses by 2^-20); transplant target: the exact-tie twin (124).
  pairs.push_back({make_target("planted-max-model", max_model(0x1p-20, true).weights, DType::F32),
                   make_target("planted-max-model-tie", max_model(0.0, true).weights, DType::F32)});
  // Briefly trained (k = 3, v = 8, d = 8): makes some errors; transplant to another seed.
  TrainConfig cfg;
  cfg.k = 3;
  cfg.v = 8;
  cfg.d_model = 8;
  cfg.steps = 150;
  cfg.threads = 1;
  cfg.seed = 7;
  const ModelWeights trained = train_model(cfg);
  cfg.seed = 8;
  cfg.steps = 60;
  const ModelWeights trained2 = train_model(cfg);
  pairs.push_back({make_target("trained-k3-v8", trained, DType::F32),
                   make_target("trained-k3-v8-other", trained2, DType::F32)});

  std::printf("%-22s %-12s %7s %7s %9s %15s %16s\n", "model", "strategy", "sites", "tried", "rejected",
              "accepted-true", "accepted-FALSE");
  uint32_t seed = 1;
  for (const auto& [target, other] : pairs) {
    INFO(target.name << ": exact " << target.exact.strict_correct << " / " << target.exact.total);
    if (target.exact.strict_correct == target.exact.total)
      WARN(target.name << " is 100% accurate: every bound <= 1 is true, the campaign has no teeth");
    for (const auto& [name, info] : strategy_registry()) {
      const Tally t = campaign(target, other, name, info, seed++);
      std::printf("%-22s %-12s %7zu %7zu %9zu %15zu %16zu\n", target.name.c_str(), name.c_str(), t.sites,
                  t.tried, t.rejected, t.accepted_true, t.accepted_false);
      CHECK(t.accepted_false == 0);
    }
  }
}
