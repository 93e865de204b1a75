// `mechcert sweep --seeds LIST|FILE|paper --k K --vocab V --strategies all|NAME,... --jobs N
//  --out DIR [--shard I/N]`: every (seed, strategy) job of sweep_job.hpp, N at a time, one row
// each appended to DIR/rows.jsonl (sweep_rows.hpp). Resumable: jobs whose row is already in
// DIR/rows.jsonl are skipped. --shard I/N takes the I-th of N contiguous, disjoint blocks of the
// (seed, strategy) list, so any scheduler can spread a sweep over machines; `mechcert report`
// merges the shards' rows.jsonl files. docs/sweep.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "generator/checker_program.hpp"
#include "generator/commands.hpp"
#include "generator/progress_bar.hpp"
#include "generator/seed_list.hpp"
#include "generator/strategy_registry.hpp"
#include "generator/sweep_job.hpp"
#include "generator/sweep_rows.hpp"

namespace mechcert {
namespace {

namespace fs = std::filesystem;

struct Job {
  uint64_t seed;
  std::string strategy;
  std::string group;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// "I/N" with 1 <= I <= N.
std::pair<int64_t, int64_t> parse_shard(const std::string& s) {
  const size_t slash = s.find('/');
  try {
    if (slash != std::string::npos) {
      size_t a = 0, b = 0;
      const int64_t i = std::stoll(s.substr(0, slash), &a);
      const int64_t n = std::stoll(s.substr(slash + 1), &b);
      if (a == slash && b == s.size() - slash - 1 && n >= 1 && i >= 1 && i <= n) return {i, n};
    }
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--shard '" + s + "': expected I/N with 1 <= I <= N");
}

std::string self_program() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the running mechcert (/proc/self/exe)");
  return exe.string();
}

}  // namespace

int cmd_sweep(int argc, char** argv) {
  CLI::App app{
      "Train, evaluate, prove and check every (seed, strategy) and append one JSON row per job to "
      "DIR/rows.jsonl (resumable; safe to kill). The verdicts are the independent checker "
      "program's. docs/sweep.md.\n"
      "Exit codes: 0 every job has its row (rows may be valid:false), 1 some job could not run "
      "(training, evaluation or I/O failed; rerun to retry), 2 usage error."};
  app.name("mechcert sweep");
  std::string seeds_spec, strategies_spec = "all", shard_spec = "1/1", checker;
  SweepSettings settings;
  int jobs = 1;
  int threads = 0;
  bool quiet = false;
  std::string out_dir;
  app.add_option("--seeds", seeds_spec,
                 "'paper' (the paper's 151 seeds), a list such as 1,2,5-9, or a file of seeds")
      ->required();
  app.add_option("--k", settings.k, "sequence length")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--vocab", settings.vocab, "vocabulary size")
      ->capture_default_str()
      ->check(CLI::Range(2, 1 << 20));
  app.add_option("--strategies", strategies_spec,
                 "'all' (every strategy `mechcert strategies` lists) or NAME,NAME,...")
      ->capture_default_str();
  app.add_option("--jobs", jobs, "jobs run at once (each a few child processes)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--threads", threads,
                 "threads of each child process (0 = cores / jobs, at least 1)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--shard", shard_spec, "run only the I-th of N disjoint parts of the job list")
      ->capture_default_str();
  app.add_option("--out", out_dir, "sweep directory (rows.jsonl, models/)")->required();
  app.add_option("--checker", checker,
                 "the checker program (default: $MECHCERT_CHECK, beside mechcert, then $PATH)");
  app.add_option("--d-model", settings.d_model,
                 "d_model of trained models (the paper's: 32; others only for tests)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--train-steps", settings.steps,
                 "training steps (the paper's: 3000; fewer only for tests)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000000));
  app.add_flag("--keep-certificates", settings.keep_certificates,
               "keep every certificate as DIR/certs/seed-N/<strategy>.cert.json");
  app.add_flag("--quiet", quiet, "no progress bar (it is off anyway when stderr is not a terminal)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  std::vector<uint64_t> seeds;
  std::vector<Job> all_jobs;
  std::pair<int64_t, int64_t> shard;
  try {
    seeds = parse_seed_list(seeds_spec);
    shard = parse_shard(shard_spec);
    std::vector<std::pair<std::string, std::string>> strategies;  // name, group
    if (strategies_spec == "all") {
      for (const auto& [name, info] : strategy_registry()) strategies.emplace_back(name, info.group);
    } else {
      std::set<std::string> seen;
      for (const std::string& name : split_commas(strategies_spec)) {
        const auto it = strategy_registry().find(name);
        if (it == strategy_registry().end())
          throw std::invalid_argument("unknown strategy '" + name + "' (see `mechcert strategies`)");
        if (!seen.insert(name).second)
          throw std::invalid_argument("strategy '" + name + "' is listed twice");
        strategies.emplace_back(name, it->second.group);
      }
      if (strategies.empty()) throw std::invalid_argument("--strategies: no strategy named");
    }
    for (const uint64_t seed : seeds)
      for (const auto& [name, group] : strategies) all_jobs.push_back(Job{seed, name, group});
    settings.checker_program = find_checker_program(checker);
    settings.mechcert_program = self_program();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mechcert sweep: %s\n", e.what());
    return 2;
  }

  // The shard: a contiguous block, so each shard trains as few seeds as possible.
  const auto n = static_cast<int64_t>(all_jobs.size());
  const int64_t begin = n * (shard.first - 1) / shard.second;
  const int64_t end = n * shard.first / shard.second;

  settings.dir = out_dir;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  settings.threads = threads > 0 ? threads : static_cast<int>(std::max(1u, cores / static_cast<unsigned>(jobs)));
  std::vector<Job> pending;
  std::unique_ptr<RowWriter> writer;
  try {
    fs::create_directories(settings.dir);
    const fs::path rows_path = settings.dir / "rows.jsonl";
    std::set<RowKey> done;
    for (const nlohmann::json& row : read_rows(rows_path.string())) done.insert(row_key(row));
    for (int64_t i = begin; i < end; ++i) {
      const Job& job = all_jobs[static_cast<size_t>(i)];
      if (!done.count(RowKey{job.seed, settings.k, settings.vocab, job.strategy}))
        pending.push_back(job);
    }
    writer = std::make_unique<RowWriter>(rows_path.string());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mechcert sweep: %s\n", e.what());
    return 2;
  }

  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar(static_cast<int64_t>(pending.size()), !quiet && ProgressBar::stderr_is_terminal());
  ModelStore models(settings);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> failures{0}, invalid{0};
  auto worker = [&] {
    for (size_t i = next++; i < pending.size(); i = next++) {
      const Job& job = pending[i];
      const std::string label = "seed " + std::to_string(job.seed) + " " + job.strategy;
      try {
        const nlohmann::json row = run_sweep_job(settings, models, job.seed, job.strategy, job.group);
        if (!row["valid"].get<bool>()) {
          ++invalid;
          if (!quiet)
            bar.note("mechcert sweep: " + label + ": not valid: " +
                     row["reason"].get<std::string>());
        }
        writer->append(row);
      } catch (const std::exception& e) {
        ++failures;
        bar.note("mechcert sweep: " + label + ": " + e.what());
      }
      bar.advance(label);
    }
  };
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j) workers.emplace_back(worker);
  for (std::thread& t : workers) t.join();
  bar.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet)
    std::fprintf(stderr,
                 "mechcert sweep: %zu jobs run (%lld already done), %lld not valid, %lld failed, "
                 "%.1f s; rows in %s\n",
                 pending.size(), static_cast<long long>((end - begin) - static_cast<int64_t>(pending.size())),
                 static_cast<long long>(invalid.load()), static_cast<long long>(failures.load()),
                 seconds, (settings.dir / "rows.jsonl").c_str());
  return failures > 0 ? 1 : 0;
}

}  // namespace mechcert
