// `mechcert prove MODEL --strategy NAME --out CERT [--json] [--threads N] [--shards N]` and
// `mechcert strategies`: run a registered proof strategy and write its certificate.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "format/certificate.hpp"
#include "generator/commands.hpp"
#include "generator/prove_brute_force.hpp"
#include "generator/prove_hybrid.hpp"
#include "generator/strategy_registry.hpp"

namespace mechcert {

int cmd_strategies(int argc, char** argv) {
  CLI::App app{"mechcert strategies: list the proof strategies (one name and description a line)"};
  bool json = false;
  app.add_flag("--json", json,
               "print a JSON array of objects {\"name\", \"group\", \"description\"}");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [name, info] : strategy_registry())
      list.push_back({{"name", name}, {"group", info.group}, {"description", info.description}});
    std::cout << list.dump() << "\n";
    return 0;
  }
  for (const auto& [name, info] : strategy_registry())
    std::printf("%-60s %-18s %s\n", name.c_str(), info.group.c_str(), info.description.c_str());
  return 0;
}

int cmd_prove(int argc, char** argv) {
  CLI::App app{"mechcert prove: write a certificate for a model (check it with mechcert-check)"};
  std::string model_path, strategy, out_path;
  bool json = false, quiet = false;
  int threads = 0;
  app.add_option("MODEL", model_path, "model file (.safetensors)")->required();
  app.add_option("--strategy", strategy, "proof strategy (see `mechcert strategies`)")->required();
  app.add_option("--out", out_path,
                 "certificate file to write (.json); with --shards, the directory for manifest.json "
                 "and the parts")->required();
  int shards = 0;
  app.add_option("--shards", shards,
                 "brute-force and hybrid/cubic+brute-force only: split the input space into N parts (SPEC 9, "
                 "10.8), each its own certificate, composed by OUT/manifest.json")
      ->check(CLI::Range(1, 65536));
  double residue_ops_log2 = 0;
  app.add_option("--residue-ops", residue_ops_log2,
                 "hybrid/cubic+partial-brute-force only: budget of checker ops for the residue, as "
                 "log2 (default 23.15)")
      ->check(CLI::Range(10.0, 40.0));
  app.add_flag("--json", json, "print a JSON summary");
  app.add_flag("--quiet", quiet, "no progress lines");
  app.add_option("--threads", threads, "worker threads (default: all cores)")->check(CLI::Range(0, 1024));
  ModelOverrides overrides;
  app.add_option("--task", overrides.task, "override the file's task (SPEC 1.3; e.g. max-of-k)");
  app.add_option("--k", overrides.k, "override the file's sequence length k")->check(CLI::PositiveNumber);
  app.add_option("--vocab", overrides.v, "override the file's vocabulary size")->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const auto it = strategy_registry().find(strategy);
  if (it == strategy_registry().end()) {
    std::fprintf(stderr, "mechcert prove: unknown strategy '%s' (see `mechcert strategies`)\n",
                 strategy.c_str());
    return 2;
  }
  LoadedModel model;
  try {
    model = load_model(model_path, overrides);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mechcert prove: %s\n", e.what());
    return 2;
  }
  if (shards > 0 && strategy != "brute-force" && strategy != "hybrid/cubic+brute-force") {
    std::fprintf(stderr, "mechcert prove: --shards needs --strategy brute-force or hybrid/cubic+brute-force\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  nlohmann::json cert;
  ProveOptions options;
  options.threads = threads;
  options.progress = !quiet && !json;
  options.residue_ops_log2 = residue_ops_log2;
  try {
    if (shards > 0) {
      cert = strategy == "brute-force" ? write_sharded_brute_force(model, options, shards, out_path)
                                       : write_sharded_hybrid(model, options, shards, out_path);
      out_path += "/manifest.json";
    } else {
      cert = it->second.prove(model, options);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mechcert prove: %s\n", e.what());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (shards == 0) {
    try {
      write_file_atomic(out_path, cert.dump() + "\n");  // compact: cubic case lists are 5x smaller
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mechcert prove: %s\n", e.what());
      return 2;
    }
  }
  const std::string correct = cert["claim"]["correct"].get<std::string>();
  const std::string total = cert["claim"]["total"].get<std::string>();
  const std::string written = cert["strategy"].get<std::string>();  // "composition" with --shards
  if (json) {
    nlohmann::json j = {{"certificate", out_path},
                        {"strategy", written},
                        {"claim", {{"correct", correct}, {"total", total}}},
                        {"seconds", seconds}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("wrote %s: strategy %s claims %s/%s correct (%.3f s)\n", out_path.c_str(),
                written.c_str(), correct.c_str(), total.c_str(), seconds);
  }
  return 0;
}

}  // namespace mechcert
