// The numbers of `mechcert report`: the paper's table (reference-algorithms.md §8.1) computed
// from sweep rows. Per (k, vocab) and strategy group: for every seed the best normalized bound
// among the group's strategies (bound / exact accuracy; a seed whose certificates were all
// rejected or failed counts as 0, the trivial bound), then mean ± sample std over seeds; the
// configuration with the best mean; log2 of the checker's paper-convention FLOPs; the unexplained
// dimension; and the paper's final numbers beside them. Brute force is reported as accuracy, as
// in the paper.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mechcert {

// One row of the paper's §8.1 table.
struct PaperGroup {
  std::string group;      // the legend group name (`mechcert strategies --json`)
  bool accuracy = false;  // the paper reports accuracy (brute force), not the normalized bound
  double mean = 0, std = 0;
  double log2_flops_lo = 0, log2_flops_hi = 0;
  double dim_lo = 0, dim_hi = 0;
};
const std::vector<PaperGroup>& paper_groups();
const PaperGroup* paper_group(const std::string& group);

struct StrategyStats {
  std::string strategy;
  std::string group;
  int64_t rows = 0, valid = 0;
  double mean = 0, std = 0;        // normalized bound (0 for invalid rows) over seeds
  double mean_log2_flops = 0;      // over valid rows with FLOPs (NaN if none)
  double mean_check_seconds = 0;   // over valid rows (NaN if none)
  double log2_dimension = 0;       // NaN if unknown
  std::string dimension;           // as in the rows (an integer, or a decimal string)
  std::string first_reason;        // of the first invalid row
};

struct GroupStats {
  std::string group;
  int64_t seeds = 0, rows = 0, valid = 0;
  double mean = 0, std = 0;                 // per-seed best normalized bound
  double paper_options_mean = NAN, paper_options_std = NAN;  // same, the paper's options only
  double accuracy_mean = 0, accuracy_std = 0;  // per-seed best bound (= accuracy for brute force)
  std::string best;                          // strategy with the best mean ("" if none valid)
  double best_mean = 0;
  double log2_flops_lo = 0, log2_flops_hi = 0;  // over the group's strategies (NaN if none)
  double log2_flops_best = 0;
  double check_seconds_best = 0;
  std::string dim_lo, dim_hi;                // unexplained dimension range (strings)
  std::string note;                          // e.g. why no valid row
};

struct ConfigStats {
  int64_t k = 0, vocab = 0;
  int64_t seeds = 0;
  bool normalized = true;  // false when no exact accuracy is known (v^k > 2^40): raw bounds
  std::vector<GroupStats> groups;           // paper order first, then by name
  std::vector<StrategyStats> strategies;    // by name
  // Where the time goes (sums of the rows' wall times; training and evaluation once per seed).
  double train_seconds = 0, eval_seconds = 0, prove_seconds = 0, check_seconds = 0;
};

// Rows must be deduplicated (sweep_rows.hpp); one ConfigStats per (k, vocab), ascending.
std::vector<ConfigStats> summarize_rows(const std::vector<nlohmann::json>& rows);

// The Markdown tables of summary.md for one configuration.
std::string summary_markdown(const ConfigStats& c);

// False for strategies built from options the paper does not have (our EU option
// centered_max_exact), so the comparison with the paper can be made on its own 100 configurations.
bool is_paper_configuration(const std::string& strategy);

// "0.9539 ± 0.0080"-style formatting used by both documents.
std::string format_mean_std(double mean, double std, int digits);

// log2 of a row value that is an integer or a decimal string; NaN if absent.
double log2_of_count(const nlohmann::json& value);

}  // namespace mechcert
