// Strategy "brute-force": the certificate is a single step {"kind": "brute-force"} and a claim.
// The claimed count is the generator's own strict count (mechcert eval's strict_correct: the
// correct logit strictly above every other, in double precision) minus the inputs that win by a
// relative margin below 1e-9, which double rounding could have decided either way. The checker
// recomputes a sound count with outward rounding and accepts the claim if it is not larger, so
// leaving the fragile inputs out keeps our own certificates from being rejected over a last bit.
#include "generator/prove_brute_force.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "format/sha256.hpp"
#include "generator/certificate_writer.hpp"
#include "generator/evaluate.hpp"

namespace mechcert {

namespace {

nlohmann::json prove_counted(const LoadedModel& model, const ProveOptions& options, uint64_t begin,
                             uint64_t end) {
  EvalOptions eval_options;
  eval_options.threads = options.threads;
  eval_options.progress = options.progress;
  eval_options.begin = begin;
  eval_options.end = end;
  const EvalResult r = evaluate_exact(model.weights, eval_options);
  nlohmann::json step = {{"kind", "brute-force"}};
  if (end != 0) step["inputs"] = {{"begin", std::to_string(begin)}, {"end", std::to_string(end)}};
  nlohmann::json steps = nlohmann::json::array({step});
  nlohmann::json info = {{"program", "mechcert prove"},
                         {"argmax_correct", std::to_string(r.argmax_correct)},
                         {"strict_correct", std::to_string(r.strict_correct)},
                         {"fragile_correct", std::to_string(r.fragile_correct)}};
  return make_certificate_json(model, "brute-force", std::move(steps),
                               BigInt(r.strict_correct - r.fragile_correct), std::move(info));
}

nlohmann::json prove_brute_force(const LoadedModel& model, const ProveOptions& options) {
  return prove_counted(model, options, 0, 0);
}

const StrategyRegistration kRegistration{StrategyInfo{
    "brute-force", "every input, sound forward pass (exact accuracy; O(v^k k v) checker time)",
    prove_brute_force, "brute-force"}};

std::string part_name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "part-%05d.json", i);
  return buf;
}

}  // namespace

nlohmann::json prove_brute_force_range(const LoadedModel& model, const ProveOptions& options,
                                       uint64_t begin, uint64_t end) {
  return with_biases_folded([begin, end](const LoadedModel& m, const ProveOptions& o) {
    return prove_counted(m, o, begin, end);
  })(model, options);
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw std::runtime_error("cannot write " + tmp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("cannot rename " + tmp + " to " + path);
  }
}

nlohmann::json write_sharded_brute_force(const LoadedModel& model, const ProveOptions& options,
                                         int shards, const std::string& dir) {
  const ModelWeights& w = model.weights;
  uint64_t total = 1;
  for (int64_t i = 0; i < w.k; ++i) {
    if (total > kMaxEvalInputs / static_cast<uint64_t>(w.v))
      throw std::runtime_error("vocab^k exceeds 2^40 inputs: brute force refused");
    total *= static_cast<uint64_t>(w.v);
  }
  const uint64_t unit = eval_range_unit(w), units = total / unit;
  if (shards < 1 || static_cast<uint64_t>(shards) > units)
    throw std::runtime_error("--shards " + std::to_string(shards) + ": this model splits into 1.." +
                             std::to_string(units) + " parts of " + std::to_string(unit) + " inputs");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());

  nlohmann::json parts = nlohmann::json::array();
  BigInt claimed = 0;
  for (int i = 0; i < shards; ++i) {
    // Shard i: work units [units*i/N, units*(i+1)/N), non-empty since N <= units.
    const uint64_t begin = units * static_cast<uint64_t>(i) / static_cast<uint64_t>(shards) * unit;
    const uint64_t end = units * static_cast<uint64_t>(i + 1) / static_cast<uint64_t>(shards) * unit;
    if (options.progress)
      std::fprintf(stderr, "prove: part %d of %d, inputs [%llu, %llu)\n", i + 1, shards,
                   static_cast<unsigned long long>(begin), static_cast<unsigned long long>(end));
    const nlohmann::json cert = prove_brute_force_range(model, options, begin, end);
    const std::string text = cert.dump() + "\n";
    const std::string name = part_name(i);
    write_file_atomic((std::filesystem::path(dir) / name).string(), text);
    claimed += parse_decimal_integer(cert["claim"]["correct"].get<std::string>(), JsonPath{name, "claim"});
    parts.push_back({{"file", name},
                     {"sha256", sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size())},
                     {"inputs", {{"begin", std::to_string(begin)}, {"end", std::to_string(end)}}}});
  }
  nlohmann::json steps = nlohmann::json::array({{{"kind", "composition"}, {"parts", std::move(parts)}}});
  nlohmann::json manifest = make_certificate_json(
      model, "composition", std::move(steps), claimed,
      {{"program", "mechcert prove --shards"}, {"shards", shards}});
  write_file_atomic((std::filesystem::path(dir) / "manifest.json").string(), manifest.dump() + "\n");
  return manifest;
}

}  // namespace mechcert
