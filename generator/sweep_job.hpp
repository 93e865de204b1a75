// One job of `mechcert sweep`: one (seed, strategy). Trains the seed's model once (or reuses
// DIR/models/seed-N.safetensors), evaluates it once (DIR/models/seed-N.eval.json), proves the
// strategy and checks the certificate with the independent checker *program* (checker_program.hpp),
// whose --json verdict is the only source of `valid`, `certified`, the bound and the proof length.
// Training, evaluation and proving run as child processes of this same `mechcert` binary, so a
// sweep's models are exactly `mechcert train`'s (docs/training.md) and a crash in one job is a
// row, not a lost sweep. Files appear under their final name only when complete (temp + rename).
//
// Test hook (documented in docs/sweep.md): when $MECHCERT_SWEEP_TAMPER names the job's strategy,
// the certificate's model hash is altered between prove and check, so the checker must reject it;
// tests use it to show that a rejected certificate is recorded as valid:false with the reason.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mechcert {

struct SweepSettings {
  int64_t k = 4;
  int64_t vocab = 64;
  int64_t d_model = 32;        // `mechcert train` default (the paper's)
  int64_t steps = 3000;        // `mechcert train` default (the paper's)
  std::filesystem::path dir;   // DIR: rows.jsonl, models/, tmp/, certs/
  std::string mechcert_program;  // this binary (children: train, eval, prove)
  std::string checker_program;   // mechcert-check
  int threads = 1;               // --threads of each child
  bool keep_certificates = false;  // keep DIR/certs/seed-N/<strategy>.cert.json
};

// What the sweep knows about one seed's model.
struct SeedModel {
  std::string path;
  std::string sha256;
  uint64_t total = 0;                    // v^k
  std::optional<uint64_t> exact_correct;  // `mechcert eval` argmax_correct; none if v^k > 2^40
  std::optional<double> train_seconds;   // when this sweep (or an earlier one) trained it
  std::optional<double> eval_seconds;
};

// Trains and evaluates each seed at most once, even with several jobs on one seed at a time.
class ModelStore {
 public:
  explicit ModelStore(SweepSettings settings) : settings_(std::move(settings)) {}
  // Throws std::runtime_error (one line) when training or evaluation fails.
  SeedModel get(uint64_t seed);

 private:
  struct Entry {
    std::mutex mutex;
    std::optional<SeedModel> model;
  };
  SeedModel build(uint64_t seed);
  SweepSettings settings_;
  std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<Entry>> entries_;
};

// v^k, or nullopt if it does not fit in 64 bits.
std::optional<uint64_t> power_u64(int64_t base, int64_t exponent);

// A file-name-safe form of a strategy name ("subcubic/a/b" -> "subcubic.a.b").
std::string strategy_file_name(const std::string& strategy);

// Runs one job and returns its row (every key of sweep_row_keys()). A failed proof or a rejected
// certificate is a row with valid:false and the reason; only a failure to train or evaluate the
// model, or to write files, throws (std::runtime_error), so a rerun retries it.
nlohmann::json run_sweep_job(const SweepSettings& settings, ModelStore& models, uint64_t seed,
                             const std::string& strategy, const std::string& group);

}  // namespace mechcert
