// report_summary: the per-group table of `mechcert report` from hand-made rows — best strategy
// per seed, mean and sample std over seeds, a rejected certificate counted as 0 (never dropped),
// the paper's options only, ranges of FLOPs and dimension; and sweep_rows' merge/dedupe.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "generator/report_summary.hpp"
#include "generator/sweep_rows.hpp"

using namespace mechcert;

namespace {

nlohmann::json row(uint64_t seed, const std::string& strategy, const std::string& group, bool valid,
                   double normalized, double flops, uint64_t dim) {
  nlohmann::json r;
  for (const std::string& key : sweep_row_keys()) r[key] = nullptr;
  r["seed"] = seed;
  r["k"] = 4;
  r["vocab"] = 64;
  r["strategy"] = strategy;
  r["group"] = group;
  r["valid"] = valid;
  r["exact_correct"] = 1000;
  if (valid) {
    r["normalized_bound"] = normalized;
    r["bound"] = normalized * 0.99;
    r["paper_flops"] = flops;
    r["check_seconds"] = 0.5;
    r["unexplained_dimension"] = dim;
  } else {
    r["reason"] = "steps[1]: rejected";
  }
  return r;
}

}  // namespace

TEST_CASE("summary: best per seed, mean ± sample std, rejected counts as 0") {
  const std::string a = "subcubic/max_diff_exact/x/y", b = "subcubic/centered_max_exact/x/y";
  std::vector<nlohmann::json> rows = {
      row(1, a, "subcubic", true, 0.6, 1 << 20, 4418),  row(1, b, "subcubic", true, 0.8, 1 << 21, 12352),
      row(2, a, "subcubic", true, 0.7, 1 << 20, 4418),  row(2, b, "subcubic", false, 0, 0, 0),
      row(1, "cubic", "cubic", true, 0.95, 1 << 22, 12800), row(2, "cubic", "cubic", true, 0.97, 1 << 22, 12800),
  };
  const std::vector<ConfigStats> stats = summarize_rows(dedupe_rows(rows));
  REQUIRE(stats.size() == 1);
  const ConfigStats& c = stats[0];
  CHECK(c.seeds == 2);
  CHECK(c.normalized);
  REQUIRE(c.groups.size() == 2);
  CHECK(c.groups[0].group == "cubic");  // paper order
  const GroupStats& g = c.groups[1];
  CHECK(g.group == "subcubic");
  CHECK(g.rows == 4);
  CHECK(g.valid == 3);
  // Seed 1: max(0.6, 0.8) = 0.8; seed 2: max(0.7, 0 for the rejected row) = 0.7.
  CHECK(g.mean == Approx(0.75));
  CHECK(g.std == Approx(std::sqrt(0.005)));
  // Paper's options only: 0.6 and 0.7.
  CHECK(g.paper_options_mean == Approx(0.65));
  // Best mean: a (0.65) beats b (0.4: 0.8 and the rejected 0).
  CHECK(g.best == a);
  CHECK(g.log2_flops_lo == Approx(20));
  CHECK(g.log2_flops_hi == Approx(21));
  CHECK(g.dim_lo == "4418");
  CHECK(g.dim_hi == "12352");
  const std::string md = summary_markdown(c);
  CHECK(md.find("0.7500 ± 0.0707") != std::string::npos);
  CHECK(md.find("3/4") != std::string::npos);
  CHECK(md.find("0.700 ± 0.036") != std::string::npos);  // the paper's subcubic group beside it
  CHECK(md.find("not implemented here") != std::string::npos);  // groups we have no rows for
}

TEST_CASE("summary: raw bounds when the exact accuracy is unknown (K = 10)") {
  nlohmann::json r = row(1, "cubic", "cubic", true, 0.9, 1 << 23, 1000);
  r["k"] = 10;
  r["exact_correct"] = nullptr;
  r["normalized_bound"] = nullptr;
  nlohmann::json bf = row(1, "brute-force", "brute-force", false, 0, 0, 0);
  bf["k"] = 10;
  bf["exact_correct"] = nullptr;
  bf["reason"] = "prove failed (exit 1): v^k too large";
  const auto stats = summarize_rows({bf, r});
  REQUIRE(stats.size() == 1);
  CHECK(!stats[0].normalized);
  CHECK(stats[0].groups[1].mean == Approx(0.9 * 0.99));
  const std::string md = summary_markdown(stats[0]);
  CHECK(md.find("infeasible") != std::string::npos);
  CHECK(md.find("v^k too large") != std::string::npos);
}

TEST_CASE("rows: merge keeps the first row of a key, sorted; missing keys are errors") {
  const auto dir = std::filesystem::temp_directory_path() / "mechcert-test-report-summary";
  std::filesystem::create_directories(dir);
  nlohmann::json first = row(2, "cubic", "cubic", true, 0.9, 1, 1);
  nlohmann::json second = first;
  second["normalized_bound"] = 0.1;
  std::ofstream(dir / "a.jsonl") << first.dump() << "\n" << row(1, "cubic", "cubic", true, 0.8, 1, 1).dump() << "\n";
  std::ofstream(dir / "b.jsonl") << second.dump() << "\n";
  const auto merged = merge_rows({(dir / "a.jsonl").string(), (dir / "b.jsonl").string()});
  REQUIRE(merged.size() == 2);
  CHECK(merged[0]["seed"] == 1);
  CHECK(merged[1]["normalized_bound"] == 0.9);
  nlohmann::json incomplete = first;
  incomplete.erase("checker_ops");
  std::ofstream(dir / "c.jsonl") << incomplete.dump() << "\n";
  CHECK_THROWS_WITH(read_rows((dir / "c.jsonl").string()), Catch::Contains("checker_ops"));
  std::ofstream(dir / "d.jsonl") << "{not json\n" << first.dump() << "\n";
  CHECK_THROWS_WITH(read_rows((dir / "d.jsonl").string()), Catch::Contains("d.jsonl:1"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("summary: our own options are not the paper's configurations") {
  CHECK(is_paper_configuration("cubic"));
  CHECK(is_paper_configuration("subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact"));
  CHECK_FALSE(is_paper_configuration("subcubic/centered_max_exact/mean_query+diff/exact_EQKE+max_diff_exact"));
  CHECK_FALSE(is_paper_configuration("subcubic/max_diff_exact/mean_query+weighted_diff/exact_EQKE+max_diff_exact"));
  CHECK_FALSE(is_paper_configuration("subcubic/joint_exact/mean_query+weighted_diff/exact_EQKE+max_diff_exact"));
}
