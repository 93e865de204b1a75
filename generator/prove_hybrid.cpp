// Strategy "hybrid/cubic+brute-force" (SPEC.md section 10): the cubic proof search's case list,
// then a step that lets the checker enumerate every input no listed class covers (the checker
// derives that residue itself; nothing here lists it). The claim is the classes' count plus the
// residue inputs the model answers strictly by a relative margin above 1e-9 (the brute-force
// generator's rule), found by walking the residue only (generator/residue_walk.hpp): at K = 6 that
// is 6 % of the inputs instead of all of them. A query with sharp attention (SPEC 3.8) is not
// walked; then the claim falls back to mechcert eval's count. Untrusted, as always.
#include "generator/prove_hybrid.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "format/exact_numbers.hpp"
#include "format/sha256.hpp"
#include "generator/certificate_writer.hpp"
#include "generator/prove_brute_force.hpp"
#include "generator/cubic_search.hpp"
#include "generator/evaluate.hpp"
#include "generator/residue_walk.hpp"
#include "generator/strategy_registry.hpp"

namespace mechcert {
namespace {

int64_t binomial(int64_t n, int64_t r) {
  int64_t b = 1;
  for (int64_t i = 1; i <= r; ++i) b = b * (n - r + i) / i;
  return b;
}

// The class list and the generator's walk of its residue (shared by the whole certificate and the
// parts of a sharded one).
struct HybridPlan {
  CubicSearchResult classes;
  ResidueWalkResult walk;
  bool any_sharp = false;
};

HybridPlan plan_hybrid(const ModelWeights& w, const ProveOptions& options) {
  if (w.has_nonzero_bias())
    throw std::runtime_error("hybrid: the model has non-zero biases; the cubic part needs zero biases");
  const PathTables tables = compute_path_tables(w, BiasPolicy::Reject);
  CubicSearchOptions search;
  search.threads = options.threads;
  HybridPlan plan;
  plan.classes = cubic_search(tables, search);
  plan.walk = walk_residue(tables, plan.classes.rows, nullptr, options.threads);
  plan.any_sharp = std::find(plan.walk.sharp.begin(), plan.walk.sharp.end(), 1) != plan.walk.sharp.end();
  return plan;
}

// The certificate for the queries [q_begin, q_end); a part (SPEC 10.8) names its input range.
nlohmann::json hybrid_certificate(const LoadedModel& model, const ProveOptions& options,
                                  const HybridPlan& plan, int64_t q_begin, int64_t q_end, bool part) {
  const ModelWeights& w = model.weights;
  const bool whole = !part;
  nlohmann::json cases = nlohmann::json::array();
  boost::multiprecision::cpp_int class_inputs = 0;
  size_t rows = 0;
  for (const CubicRow& row : plan.classes.rows) {
    if (row.q < q_begin || row.q >= q_end) continue;
    cases.push_back({row.m, row.q, row.c, row.mask});
    class_inputs += boost::multiprecision::cpp_int(binomial(w.k - 1, row.c)) *
                    boost::multiprecision::pow(boost::multiprecision::cpp_int(row.certified),
                                               static_cast<unsigned>(row.c));
    ++rows;
  }
  uint64_t residue = 0, residue_correct = 0;
  for (int64_t m = 0; m < w.v; ++m)
    for (int64_t q = q_begin; q < q_end && q <= m; ++q) {
      const ResidueCaseStats& c = plan.walk.cases[static_cast<size_t>(m * w.v + q)];
      residue += c.inputs, residue_correct += c.correct;
    }
  BigInt claim(class_inputs.str());
  claim += residue_correct;
  if (plan.any_sharp) {  // not walked: count the inputs of the queries instead
    EvalOptions eval_options;
    eval_options.threads = options.threads;
    eval_options.progress = options.progress;
    uint64_t per_query = 1;  // evaluate_exact refuses v^k > 2^40, so this does not overflow there
    for (int64_t i = 0; i + 1 < w.k; ++i) per_query *= static_cast<uint64_t>(w.v);
    if (!whole) eval_options.begin = per_query * static_cast<uint64_t>(q_begin), eval_options.end = per_query * static_cast<uint64_t>(q_end);
    const EvalResult eval = evaluate_exact(w, eval_options);
    claim = BigInt(eval.strict_correct - eval.fragile_correct);
  }
  nlohmann::json residue_step = {{"kind", "brute-force-residue"}};
  if (!whole) {
    const BigInt per_query = BigInt(boost::multiprecision::pow(BigInt(w.v), static_cast<unsigned>(w.k - 1)));
    residue_step["inputs"] = {{"begin", BigInt(per_query * q_begin).str()}, {"end", BigInt(per_query * q_end).str()}};
  }
  nlohmann::json steps = nlohmann::json::array();
  steps.push_back({{"kind", "path-tables"}});
  steps.push_back({{"kind", "cubic-classes"}, {"cases", std::move(cases)}});
  steps.push_back(std::move(residue_step));
  if (options.progress) {
    std::fprintf(stderr, "hybrid: queries [%lld, %lld): %zu classes cover %s inputs, residue %llu (%llu correct); claim %s\n",
                 static_cast<long long>(q_begin), static_cast<long long>(q_end), rows, class_inputs.str().c_str(),
                 static_cast<unsigned long long>(residue), static_cast<unsigned long long>(residue_correct),
                 claim.str().c_str());
  }
  // Deterministic (no timings): the same model always gives the same certificate bytes.
  nlohmann::json info = {{"program", "mechcert prove"},
                         {"rows", rows},
                         {"class_inputs", class_inputs.str()},
                         {"residue_inputs", std::to_string(residue)},
                         {"residue_correct", std::to_string(residue_correct)}};
  return make_certificate_json(model, "hybrid/cubic+brute-force", std::move(steps), claim,
                               std::move(info));
}

nlohmann::json prove_hybrid_cubic(const LoadedModel& model, const ProveOptions& options) {
  const HybridPlan plan = plan_hybrid(model.weights, options);
  return hybrid_certificate(model, options, plan, 0, model.weights.v, false);
}

}  // namespace

nlohmann::json write_sharded_hybrid(const LoadedModel& model, const ProveOptions& options, int shards,
                                    const std::string& dir) {
  return with_biases_folded([shards, dir](const LoadedModel& m, const ProveOptions& o) {
    const int64_t v = m.weights.v;
    if (shards < 1 || shards > v)
      throw std::runtime_error("--shards " + std::to_string(shards) + ": a hybrid proof splits into 1.." +
                               std::to_string(v) + " parts of whole queries");
    const HybridPlan plan = plan_hybrid(m.weights, o);
    // Cut the queries where the residue (the check's cost) is split evenly, every part non-empty.
    std::vector<uint64_t> per_query(static_cast<size_t>(v), 0);
    uint64_t total = 0;
    for (int64_t mm = 0; mm < v; ++mm)
      for (int64_t q = 0; q <= mm; ++q) per_query[static_cast<size_t>(q)] += plan.walk.cases[static_cast<size_t>(mm * v + q)].inputs;
    for (uint64_t x : per_query) total += x;
    std::vector<int64_t> cuts{0};
    uint64_t running = 0;
    for (int64_t q = 0; q < v; ++q) {
      running += per_query[static_cast<size_t>(q)];
      const int64_t i = static_cast<int64_t>(cuts.size());  // next cut ends part i-1
      const bool room = v - (q + 1) >= shards - i;           // enough queries left for the rest
      const bool due = static_cast<double>(running) >= static_cast<double>(total) * static_cast<double>(i) / shards;
      if (i < shards && q + 1 < v && room && due) cuts.push_back(q + 1);
      else if (i < shards && v - (q + 1) == shards - i) cuts.push_back(q + 1);  // one query per part left
    }
    cuts.push_back(v);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());
    nlohmann::json parts = nlohmann::json::array();
    BigInt claimed = 0;
    const BigInt per = BigInt(boost::multiprecision::pow(BigInt(v), static_cast<unsigned>(m.weights.k - 1)));
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      const nlohmann::json cert = hybrid_certificate(m, o, plan, cuts[i], cuts[i + 1], true);
      const std::string text = cert.dump() + "\n";
      char name[32];
      std::snprintf(name, sizeof name, "part-%05zu.json", i);
      write_file_atomic((std::filesystem::path(dir) / name).string(), text);
      claimed += parse_decimal_integer(cert["claim"]["correct"].get<std::string>(), JsonPath{name, "claim"});
      parts.push_back({{"file", name},
                       {"sha256", sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size())},
                       {"inputs", {{"begin", BigInt(per * cuts[i]).str()}, {"end", BigInt(per * cuts[i + 1]).str()}}}});
    }
    nlohmann::json steps = nlohmann::json::array({{{"kind", "composition"}, {"parts", std::move(parts)}}});
    nlohmann::json manifest = make_certificate_json(
        m, "composition", std::move(steps), claimed,
        {{"program", "mechcert prove --shards"}, {"shards", static_cast<int>(cuts.size()) - 1}});
    write_file_atomic((std::filesystem::path(dir) / "manifest.json").string(), manifest.dump() + "\n");
    return manifest;
  })(model, options);
}

namespace {

const StrategyRegistration kRegistration{StrategyInfo{
    "hybrid/cubic+brute-force",
    "cubic classes, then every input they leave out by the brute-force lemma (exact accuracy at "
    "the residue's cost, SPEC 10)",
    &prove_hybrid_cubic, "hybrid"}};

}  // namespace
}  // namespace mechcert
