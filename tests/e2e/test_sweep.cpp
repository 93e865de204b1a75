// `mechcert sweep` and `mechcert report` end to end through the real programs, on tiny models
// (k = 3, v = 6, d = 6, 200 training steps) with 2 seeds and 5 strategies: every row is JSON with
// every key; a run killed with SIGKILL mid-way resumes to the same rows as an uninterrupted one
// (times aside); --shard 1/2 and 2/2 are disjoint and merge to the whole; a torn last line is cut;
// a certificate the checker rejects (test hook $MECHCERT_SWEEP_TAMPER, sweep_job.hpp) and a
// checker that prints no verdict are rows with valid:false and the reason; the report writes
// non-empty PNGs that index.html names, and summary.md.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "generator/checker_program.hpp"
#include "generator/seed_list.hpp"
#include "generator/sweep_rows.hpp"

extern char** environ;

using namespace mechcert;
namespace fs = std::filesystem;

namespace {

const std::string kMechcert = std::string(MECHCERT_BINARY_DIR) + "/generator/mechcert";
const std::string kChecker = std::string(MECHCERT_BINARY_DIR) + "/checker/mechcert-check";
const std::string kStrategies =
    "brute-force,cubic,subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact,"
    "subcubic/global_max_diff_exact/drop_average_query_per_output_logit_reasoning/max_diff,"
    "subcubic/max_diff/mean_query+diff/svd";
constexpr size_t kJobs = 2 * 5;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> sweep_args(const fs::path& out, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> a = {"sweep",  "--seeds",       "3,7",       "--k",        "3",
                                "--vocab", "6",            "--d-model", "6",          "--train-steps",
                                "200",    "--strategies",  kStrategies, "--jobs",     "2",
                                "--threads", "1", "--checker", kChecker, "--quiet",   "--out",
                                out.string()};
  // `extra` options replace the defaults above (CLI11 takes each option once).
  for (size_t i = 0; i < extra.size(); ++i) {
    const auto it = std::find(a.begin(), a.end(), extra[i]);
    if (it != a.end() && i + 1 < extra.size() && extra[i].rfind("--", 0) == 0 && it + 1 != a.end()) {
      *(it + 1) = extra[++i];
    } else {
      a.push_back(extra[i]);
    }
  }
  return a;
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mechcert-test-sweep-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Rows without their measured times, sorted by key: what two runs must agree on.
std::vector<nlohmann::json> comparable(std::vector<nlohmann::json> rows) {
  rows = dedupe_rows(std::move(rows));
  for (nlohmann::json& row : rows) {
    std::vector<std::string> drop;
    for (const auto& [key, value] : row.items())
      if (is_timing_key(key)) drop.push_back(key);
    for (const std::string& key : drop) row.erase(key);
  }
  return rows;
}

size_t line_count(const fs::path& p) {
  const std::string s = slurp(p);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// The uninterrupted reference run, made once.
const std::vector<nlohmann::json>& whole_rows() {
  static const std::vector<nlohmann::json> rows = [] {
    const fs::path dir = scratch("whole");
    const ProgramRun r = run_program(kMechcert, sweep_args(dir));
    INFO(r.stderr_text);
    REQUIRE(r.exit_code == 0);
    return read_rows((dir / "rows.jsonl").string());
  }();
  return rows;
}

}  // namespace

TEST_CASE("seed lists: the paper's 151 seeds, ranges, files, errors") {
  CHECK(paper_seeds().size() == 151);
  CHECK(std::set<uint64_t>(paper_seeds().begin(), paper_seeds().end()).size() == 151);
  CHECK(paper_seeds().front() == 50);
  CHECK(paper_seeds().back() == 32382);
  CHECK(parse_seed_list("paper") == paper_seeds());
  CHECK(parse_seed_list("1,2,5-9") == std::vector<uint64_t>{1, 2, 5, 6, 7, 8, 9});
  const fs::path file = scratch("seeds") / "seeds.txt";
  std::ofstream(file) << "# two seeds\n50 104\n123, 7-8\n";
  CHECK(parse_seed_list(file.string()) == std::vector<uint64_t>{50, 104, 123, 7, 8});
  CHECK_THROWS(parse_seed_list("1,x"));
  CHECK_THROWS(parse_seed_list("9-5"));
  CHECK_THROWS(parse_seed_list("1,2,1"));
  CHECK_THROWS(parse_seed_list(","));
}

TEST_CASE("sweep: one row per job, valid JSON with every key, verdicts from the checker") {
  const auto& rows = whole_rows();
  REQUIRE(rows.size() == kJobs);
  std::set<std::pair<uint64_t, std::string>> keys;
  for (const nlohmann::json& row : rows) {
    for (const std::string& key : sweep_row_keys()) CHECK(row.contains(key));
    keys.insert({row["seed"].get<uint64_t>(), row["strategy"].get<std::string>()});
    CHECK(row["k"] == 3);
    CHECK(row["vocab"] == 6);
    CHECK(row["total"] == 216);
    if (row["valid"].get<bool>()) {
      CHECK(row["reason"].is_null());
      CHECK(row["checker_exit"] == 0);
      // A sound bound never exceeds the exact accuracy.
      CHECK(row["certified"].get<uint64_t>() <= row["exact_correct"].get<uint64_t>());
      CHECK(row["normalized_bound"].get<double>() <= 1.0);
      CHECK(row["paper_flops"].is_number());
      CHECK(row["checker_ops"].get<uint64_t>() > 0);
    } else {
      CHECK(row["reason"].is_string());
    }
  }
  CHECK(keys.size() == kJobs);
  for (const nlohmann::json& row : rows) {
    if (row["strategy"] == "brute-force") {
      CHECK(row["valid"] == true);
      CHECK(row["certified"] == row["exact_correct"]);  // the float count agrees on these models
    }
    if (row["strategy"] == "cubic") CHECK(row["valid"] == true);
  }
}

TEST_CASE("sweep: a rerun skips rows already present; a torn last line is cut") {
  const fs::path dir = scratch("rerun");
  REQUIRE(run_program(kMechcert, sweep_args(dir)).exit_code == 0);
  const std::string before = slurp(dir / "rows.jsonl");
  REQUIRE(run_program(kMechcert, sweep_args(dir)).exit_code == 0);
  CHECK(slurp(dir / "rows.jsonl") == before);  // nothing appended
  // A kill in the middle of an append: drop the last row and leave half of it.
  const size_t cut = before.rfind('\n', before.size() - 2);
  std::ofstream(dir / "rows.jsonl", std::ios::binary | std::ios::trunc)
      << before.substr(0, cut + 1) << before.substr(cut + 1, 40);
  CHECK(read_rows((dir / "rows.jsonl").string()).size() == kJobs - 1);
  REQUIRE(run_program(kMechcert, sweep_args(dir)).exit_code == 0);
  const auto rows = read_rows((dir / "rows.jsonl").string());
  CHECK(line_count(dir / "rows.jsonl") == kJobs);
  CHECK(comparable(rows) == comparable(whole_rows()));
}

TEST_CASE("sweep: killed with SIGKILL mid-way, the rerun gives the uninterrupted rows") {
  const fs::path dir = scratch("killed");
  // --jobs 1: a long enough run to be cut in the middle.
  const std::vector<std::string> args = sweep_args(dir, {"--jobs", "1"});
  std::vector<std::string> argv_strings = {kMechcert};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  REQUIRE(::posix_spawn(&pid, kMechcert.c_str(), nullptr, nullptr, argv.data(), environ) == 0);
  // Kill as soon as the first row is on disk (training and a few proofs remain).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline && line_count(dir / "rows.jsonl") < 1)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  const size_t rows_at_kill = read_rows((dir / "rows.jsonl").string()).size();
  INFO("rows when killed: " << rows_at_kill);
  CHECK(rows_at_kill >= 1);
  CHECK(rows_at_kill < kJobs);  // the kill did come mid-way
  const ProgramRun r = run_program(kMechcert, sweep_args(dir));
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  const auto rows = read_rows((dir / "rows.jsonl").string());
  CHECK(rows.size() == kJobs);  // no row twice, none lost
  CHECK(comparable(rows) == comparable(whole_rows()));
  // No half-written model: every file under models/ loads (the sweep reused them).
  for (const auto& e : fs::directory_iterator(dir / "models"))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("sweep: --shard 1/2 and 2/2 are disjoint and merge to the whole") {
  const fs::path a = scratch("shard1"), b = scratch("shard2");
  REQUIRE(run_program(kMechcert, sweep_args(a, {"--shard", "1/2"})).exit_code == 0);
  REQUIRE(run_program(kMechcert, sweep_args(b, {"--shard", "2/2"})).exit_code == 0);
  const auto ra = read_rows((a / "rows.jsonl").string());
  const auto rb = read_rows((b / "rows.jsonl").string());
  CHECK(ra.size() == kJobs / 2);
  CHECK(rb.size() == kJobs / 2);
  std::set<RowKey> ka, kb;
  for (const auto& r : ra) ka.insert(row_key(r));
  for (const auto& r : rb) kb.insert(row_key(r));
  for (const RowKey& k : ka) CHECK(!kb.count(k));
  CHECK(comparable(merge_rows({a.string(), b.string()})) == comparable(whole_rows()));
  CHECK(run_program(kMechcert, sweep_args(a, {"--shard", "3/2"})).exit_code == 2);
  CHECK(run_program(kMechcert, sweep_args(a, {"--shard", "0/2"})).exit_code == 2);
}

TEST_CASE("sweep: a certificate the checker rejects is a row with valid:false and the reason") {
  const fs::path dir = scratch("tamper");
  ::setenv("MECHCERT_SWEEP_TAMPER", "cubic", 1);
  const ProgramRun r = run_program(kMechcert, sweep_args(dir, {"--strategies", "brute-force,cubic"}));
  ::unsetenv("MECHCERT_SWEEP_TAMPER");
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);  // every job has its row
  const auto rows = read_rows((dir / "rows.jsonl").string());
  REQUIRE(rows.size() == 4);
  for (const nlohmann::json& row : rows) {
    if (row["strategy"] == "cubic") {
      CHECK(row["valid"] == false);
      CHECK(row["checker_exit"] == 1);
      REQUIRE(row["reason"].is_string());
      CHECK(row["reason"].get<std::string>().find("the certificate is for model") != std::string::npos);
      CHECK(row["normalized_bound"].is_null());
    } else {
      CHECK(row["valid"] == true);
    }
  }
  // A checker that dies without a verdict: recorded too, never dropped.
  const fs::path dir2 = scratch("nochecker");
  const std::vector<std::string> args =
      sweep_args(dir2, {"--strategies", "cubic", "--checker", "/bin/false"});
  const ProgramRun r2 = run_program(kMechcert, args);
  REQUIRE(r2.exit_code == 0);
  const auto rows2 = read_rows((dir2 / "rows.jsonl").string());
  REQUIRE(rows2.size() == 2);
  for (const nlohmann::json& row : rows2) {
    CHECK(row["valid"] == false);
    CHECK(row["reason"].get<std::string>().find("without a JSON verdict") != std::string::npos);
  }
}

TEST_CASE("sweep: usage errors exit 2 with one line") {
  const fs::path dir = scratch("usage");
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--strategies", "no-such-strategy"},
        std::vector<std::string>{"--strategies", "cubic,cubic"}}) {
    const ProgramRun r = run_program(kMechcert, sweep_args(dir, extra));
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n') == 1);
  }
  const ProgramRun r = run_program(kMechcert, sweep_args(dir, {"--seeds", "1,x"}));
  CHECK(r.exit_code == 2);
  CHECK(r.stderr_text == "mechcert sweep: --seeds: 'x' is not a seed (a non-negative integer)\n");
}

TEST_CASE("report: PNGs non-empty, index.html names each, summary.md has every group") {
  whole_rows();
  const fs::path sweep_dir = fs::temp_directory_path() / ("mechcert-test-sweep-" + std::to_string(::getpid())) / "whole";
  const fs::path out = scratch("report");
  const ProgramRun r = run_program(kMechcert, {"report", sweep_dir.string(), "--out", out.string()});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  const std::string html = slurp(out / "index.html");
  const std::string md = slurp(out / "summary.md");
  size_t pngs = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    if (e.path().extension() != ".png") continue;
    ++pngs;
    const std::string name = e.path().filename().string();
    CHECK(fs::file_size(e.path()) > 1000);
    CHECK(slurp(e.path()).substr(0, 4) == "\x89PNG");
    CHECK(html.find(name) != std::string::npos);
    CHECK(md.find(name) != std::string::npos);
  }
  CHECK(pngs == 3 + 4);  // three sweep plots, three heatmaps and the singular values
  CHECK(html.find("<svg") != std::string::npos);
  for (const nlohmann::json& row : whole_rows()) CHECK(md.find(row["group"].get<std::string>()) != std::string::npos);
  CHECK(md.find("brute-force") != std::string::npos);
  // Unreadable input: exit 2.
  CHECK(run_program(kMechcert, {"report", (out / "missing").string(), "--out", out.string()}).exit_code == 2);
}
