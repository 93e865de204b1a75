#include "generator/sweep_job.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "format/model_weights.hpp"
#include "generator/checker_program.hpp"
#include "generator/evaluate.hpp"
#include "generator/text_file.hpp"

namespace mechcert {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A name no other job or process uses: DIR/tmp/<stem>.<pid>.<counter>.
fs::path temp_path(const SweepSettings& s, const std::string& stem) {
  static std::atomic<uint64_t> counter{0};
  fs::create_directories(s.dir / "tmp");
  return s.dir / "tmp" /
         (stem + "." + std::to_string(::getpid()) + "." + std::to_string(counter++));
}

// The last non-empty line of a program's stderr (its one-line error), or a placeholder.
std::string last_line(const std::string& text) {
  std::string line, last;
  std::istringstream in(text);
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last.empty() ? "(no message)" : last;
}

// A count from the checker's JSON (a number or a decimal string) as a JSON integer when it fits
// in 64 bits, else the decimal string unchanged.
nlohmann::json count_value(const nlohmann::json& j) {
  if (j.is_number_unsigned() || j.is_number_integer()) return j;
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    try {
      size_t used = 0;
      const unsigned long long v = std::stoull(s, &used);
      if (used == s.size()) return static_cast<uint64_t>(v);
    } catch (const std::exception&) {
    }
    return s;
  }
  return nullptr;
}

std::optional<long double> as_long_double(const nlohmann::json& j) {
  if (j.is_number()) return j.get<long double>();
  if (j.is_string()) {
    try {
      return std::stold(j.get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

nlohmann::json base_row(const SweepSettings& s, const SeedModel& m, uint64_t seed,
                        const std::string& strategy, const std::string& group) {
  nlohmann::json row = {
      {"seed", seed},
      {"k", s.k},
      {"vocab", s.vocab},
      {"strategy", strategy},
      {"group", group},
      {"valid", false},
      {"certified", nullptr},
      {"total", m.total},
      {"exact_correct", m.exact_correct ? nlohmann::json(*m.exact_correct) : nlohmann::json()},
      {"bound", nullptr},
      {"normalized_bound", nullptr},
      {"paper_flops", nullptr},
      {"checker_ops", nullptr},
      {"check_seconds", nullptr},
      {"check_wall_seconds", nullptr},
      {"prove_seconds", nullptr},
      {"train_seconds", m.train_seconds ? nlohmann::json(*m.train_seconds) : nlohmann::json()},
      {"eval_seconds", m.eval_seconds ? nlohmann::json(*m.eval_seconds) : nlohmann::json()},
      {"unexplained_dimension", nullptr},
      {"reason", nullptr},
      {"checker_exit", nullptr},
      {"model_sha256", m.sha256},
  };
  return row;
}

// The test hook of sweep_job.hpp: alter the certificate's model hash (one hex digit).
void tamper_if_asked(const std::string& strategy, const fs::path& cert_path) {
  const char* hook = std::getenv("MECHCERT_SWEEP_TAMPER");
  if (!hook || strategy != hook) return;
  nlohmann::json cert = nlohmann::json::parse(read_text_file(cert_path.string()));
  std::string sha = cert.at("model").at("sha256").get<std::string>();
  sha[0] = sha[0] == '0' ? '1' : '0';
  cert["model"]["sha256"] = sha;
  write_text_file(cert_path.string(), cert.dump() + "\n");
}

}  // namespace

std::optional<uint64_t> power_u64(int64_t base, int64_t exponent) {
  if (base < 0 || exponent < 0) return std::nullopt;
  uint64_t r = 1;
  const auto b = static_cast<uint64_t>(base);
  for (int64_t i = 0; i < exponent; ++i) {
    if (b != 0 && r > UINT64_MAX / b) return std::nullopt;
    r *= b;
  }
  return r;
}

std::string strategy_file_name(const std::string& strategy) {
  std::string out;
  for (const char c : strategy) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '+';
    out.push_back(c == '/' ? '.' : plain ? c : '_');
  }
  return out;
}

SeedModel ModelStore::get(uint64_t seed) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = entries_[seed];
    if (!slot) slot = std::make_shared<Entry>();
    entry = slot;
  }
  std::lock_guard<std::mutex> lock(entry->mutex);  // other jobs of this seed wait here
  if (!entry->model) entry->model = build(seed);
  return *entry->model;
}

SeedModel ModelStore::build(uint64_t seed) {
  const SweepSettings& s = settings_;
  const fs::path models = s.dir / "models";
  fs::create_directories(models);
  const std::string stem = "seed-" + std::to_string(seed);
  const fs::path model_path = models / (stem + ".safetensors");
  const fs::path eval_path = models / (stem + ".eval.json");
  const std::string threads = std::to_string(s.threads);

  SeedModel m;
  m.path = model_path.string();
  std::error_code ec;
  if (!fs::exists(model_path, ec)) {
    const fs::path tmp = temp_path(s, stem + ".safetensors");
    const auto start = Clock::now();
    const ProgramRun run = run_program(
        s.mechcert_program,
        {"train", "--k", std::to_string(s.k), "--vocab", std::to_string(s.vocab), "--d-model",
         std::to_string(s.d_model), "--steps", std::to_string(s.steps), "--seed",
         std::to_string(seed), "--threads", threads, "--quiet", "--out", tmp.string()});
    if (run.exit_code != 0) {
      fs::remove(tmp, ec);
      throw std::runtime_error("seed " + std::to_string(seed) + ": mechcert train failed (exit " +
                               std::to_string(run.exit_code) + "): " + last_line(run.stderr_text));
    }
    m.train_seconds = seconds_since(start);
    fs::rename(tmp, model_path);
  }
  const LoadedModel loaded = load_model(model_path.string());
  if (loaded.weights.k != s.k || loaded.weights.v != s.vocab)
    throw std::runtime_error(model_path.string() + ": a model for k=" +
                             std::to_string(loaded.weights.k) + ", vocab=" +
                             std::to_string(loaded.weights.v) + ", not k=" + std::to_string(s.k) +
                             ", vocab=" + std::to_string(s.vocab) + " (use another --out)");
  m.sha256 = loaded.sha256;
  const std::optional<uint64_t> total = power_u64(s.vocab, s.k);
  if (!total) throw std::runtime_error("vocab^k does not fit in 64 bits");
  m.total = *total;

  // The evaluation is cached beside the model, keyed by its hash (a retrained file re-evaluates).
  nlohmann::json cached;
  if (fs::exists(eval_path, ec)) {
    cached = nlohmann::json::parse(read_text_file(eval_path.string()), nullptr, false);
    if (!cached.is_object() || cached.value("model_sha256", "") != m.sha256) cached = nullptr;
  }
  if (cached.is_null() && m.total <= kMaxEvalInputs) {
    const auto start = Clock::now();
    const ProgramRun run = run_program(
        s.mechcert_program, {"eval", model_path.string(), "--json", "--quiet", "--threads", threads});
    if (run.exit_code != 0)
      throw std::runtime_error("seed " + std::to_string(seed) + ": mechcert eval failed (exit " +
                               std::to_string(run.exit_code) + "): " + last_line(run.stderr_text));
    cached = nlohmann::json::parse(run.stdout_text, nullptr, false);
    if (!cached.is_object() || !cached.contains("argmax_correct"))
      throw std::runtime_error("seed " + std::to_string(seed) + ": mechcert eval printed no JSON");
    cached["eval_seconds"] = seconds_since(start);
    if (m.train_seconds) cached["train_seconds"] = *m.train_seconds;
    write_text_file(eval_path.string(), cached.dump() + "\n");
  }
  if (cached.is_object()) {
    m.exact_correct = cached.at("argmax_correct").get<uint64_t>();
    if (cached.contains("eval_seconds")) m.eval_seconds = cached["eval_seconds"].get<double>();
    if (!m.train_seconds && cached.contains("train_seconds"))
      m.train_seconds = cached["train_seconds"].get<double>();
  }
  return m;
}

nlohmann::json run_sweep_job(const SweepSettings& s, ModelStore& models, uint64_t seed,
                             const std::string& strategy, const std::string& group) {
  const SeedModel m = models.get(seed);
  nlohmann::json row = base_row(s, m, seed, strategy, group);
  const std::string threads = std::to_string(s.threads);
  const std::string name = strategy_file_name(strategy);

  fs::path cert_path = temp_path(s, "seed-" + std::to_string(seed) + "." + name + ".cert.json");
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ec;
      if (!path.empty()) fs::remove(path, ec);
    }
  } cleanup{cert_path};

  const auto prove_start = Clock::now();
  const ProgramRun prove =
      run_program(s.mechcert_program, {"prove", m.path, "--strategy", strategy, "--out",
                                       cert_path.string(), "--json", "--quiet", "--threads", threads});
  row["prove_seconds"] = seconds_since(prove_start);
  if (prove.exit_code != 0) {
    row["reason"] = "prove failed (exit " + std::to_string(prove.exit_code) +
                    "): " + last_line(prove.stderr_text);
    return row;
  }
  tamper_if_asked(strategy, cert_path);

  const auto check_start = Clock::now();
  const ProgramRun check = run_program(
      s.checker_program, {m.path, cert_path.string(), "--json", "--threads", threads});
  row["check_wall_seconds"] = seconds_since(check_start);
  row["checker_exit"] = check.exit_code;
  const nlohmann::json verdict = nlohmann::json::parse(check.stdout_text, nullptr, false);
  if (!verdict.is_object() || !verdict.contains("valid") || !verdict["valid"].is_boolean()) {
    row["reason"] = "checker exit " + std::to_string(check.exit_code) +
                    " without a JSON verdict: " + last_line(check.stderr_text);
    return row;
  }
  const bool valid = verdict["valid"].get<bool>() && check.exit_code == 0;
  row["valid"] = valid;
  if (!valid) {
    row["reason"] = verdict.contains("reason") && verdict["reason"].is_string()
                        ? verdict["reason"].get<std::string>()
                        : "checker exit " + std::to_string(check.exit_code) + ": " +
                              last_line(check.stderr_text);
  }
  if (verdict.contains("certified")) row["certified"] = count_value(verdict["certified"]);
  if (verdict.contains("unexplained_dimension"))
    row["unexplained_dimension"] = count_value(verdict["unexplained_dimension"]);
  if (verdict.contains("proof_length") && verdict["proof_length"].is_object()) {
    const nlohmann::json& pl = verdict["proof_length"];
    if (pl.contains("paper_flops")) row["paper_flops"] = pl["paper_flops"];
    if (pl.contains("seconds")) row["check_seconds"] = pl["seconds"];
    if (pl.contains("cpu_seconds")) row["check_cpu_seconds"] = pl["cpu_seconds"];
    if (pl.contains("ops") && pl["ops"].is_object()) {
      long double ops = 0;
      for (const auto& [kind, count] : pl["ops"].items())
        if (const auto c = as_long_double(count)) ops += *c;
      row["checker_ops"] = ops < 1.8e19L ? nlohmann::json(static_cast<uint64_t>(ops))
                                         : nlohmann::json(static_cast<double>(ops));
    }
  }
  if (valid && verdict.contains("bound") && verdict["bound"].is_object()) {
    const auto num = as_long_double(verdict["bound"].value("num", nlohmann::json()));
    const auto den = as_long_double(verdict["bound"].value("den", nlohmann::json()));
    if (num && den && *den > 0) {
      row["bound"] = static_cast<double>(*num / *den);
      if (m.exact_correct && *m.exact_correct > 0)
        row["normalized_bound"] =
            static_cast<double>(*num * (static_cast<long double>(m.total) / *den) /
                                static_cast<long double>(*m.exact_correct));
    }
  }
  if (s.keep_certificates) {
    const fs::path keep = s.dir / "certs" / ("seed-" + std::to_string(seed)) / (name + ".cert.json");
    fs::create_directories(keep.parent_path());
    fs::rename(cert_path, keep);
    cleanup.path.clear();
  }
  return row;
}

}  // namespace mechcert
