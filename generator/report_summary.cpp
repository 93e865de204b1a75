#include "generator/report_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace mechcert {
namespace {

struct Stats {
  double mean = NAN, std = NAN;
};

// Mean and sample standard deviation (n - 1), as the paper reports.
Stats mean_std(const std::vector<double>& x) {
  Stats s;
  if (x.empty()) return s;
  double sum = 0;
  for (double v : x) sum += v;
  s.mean = sum / static_cast<double>(x.size());
  if (x.size() < 2) {
    s.std = 0;
    return s;
  }
  double ss = 0;
  for (double v : x) ss += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(ss / static_cast<double>(x.size() - 1));
  return s;
}

double number_or_nan(const nlohmann::json& row, const char* key) {
  return row.contains(key) && row[key].is_number() ? row[key].get<double>() : NAN;
}

std::string dimension_text(const nlohmann::json& v) {
  if (v.is_number_unsigned() || v.is_number_integer()) return std::to_string(v.get<uint64_t>());
  if (v.is_string()) return v.get<std::string>();
  return "";
}

int paper_rank(const std::string& group) {
  const auto& groups = paper_groups();
  for (size_t i = 0; i < groups.size(); ++i)
    if (groups[i].group == group) return static_cast<int>(i);
  return static_cast<int>(groups.size());
}

std::string fmt(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

std::string log2_range(double lo, double hi) {
  if (std::isnan(lo)) return "—";
  if (std::fabs(hi - lo) < 0.05) return fmt("%.1f", lo);
  return fmt("%.1f", lo) + "–" + fmt("%.1f", hi);
}

std::string dim_range(const std::string& lo, const std::string& hi) {
  if (lo.empty()) return "—";
  return lo == hi ? lo : lo + "–" + hi;
}

}  // namespace

const std::vector<PaperGroup>& paper_groups() {
  // reference-algorithms.md §8.1 (authors' final data, K = 4, v = 64, 151 seeds).
  static const std::vector<PaperGroup> groups = {
      {"brute-force", true, 0.9992, 0.0015, 39.7, 39.7, 1073741824, 1073741824},
      {"cubic", false, 0.9539, 0.0080, 25.1, 25.1, 12800, 12800},
      {"subcubic", false, 0.700, 0.036, 21.3, 21.9, 4418, 8384},
      {"attention-d_vocab d_model^2", false, 0.675, 0.035, 21.4, 22.2, 4290, 4544},
      {"direct-quadratic", false, 0.633, 0.062, 21.1, 21.7, 6466, 10370},
      {"attention-d_vocab d_model^2, direct-quadratic", false, 0.610, 0.060, 21.2, 22.1, 6338, 6530},
      {"attention-quadratic", false, 0.316, 0.037, 21.1, 21.1, 4354, 4544},
      {"attention-quadratic, direct-quadratic", false, 0.283, 0.037, 20.9, 20.9, 6402, 6530},
  };
  return groups;
}

const PaperGroup* paper_group(const std::string& group) {
  for (const PaperGroup& g : paper_groups())
    if (g.group == group) return &g;
  return nullptr;
}

// Our own options (SPEC 7.6 centered_max_exact, 7.25 joint_exact and mean_query+weighted_diff):
// the column "paper's options only" compares like with like.
bool is_paper_configuration(const std::string& strategy) {
  for (const char* ours : {"/centered_max_exact/", "/joint_exact/", "/mean_query+weighted_diff/"})
    if (strategy.find(ours) != std::string::npos) return false;
  return true;
}

std::string format_mean_std(double mean, double std, int digits) {
  if (std::isnan(mean)) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f ± %.*f", digits, mean, digits, std::isnan(std) ? 0.0 : std);
  return buf;
}

double log2_of_count(const nlohmann::json& value) {
  if (value.is_number()) {
    const double v = value.get<double>();
    return v > 0 ? std::log2(v) : NAN;
  }
  if (value.is_string()) {
    try {
      const long double v = std::stold(value.get<std::string>());
      return v > 0 ? static_cast<double>(std::log2(v)) : NAN;
    } catch (const std::exception&) {
    }
  }
  return NAN;
}

std::vector<ConfigStats> summarize_rows(const std::vector<nlohmann::json>& rows) {
  std::map<std::pair<int64_t, int64_t>, std::vector<const nlohmann::json*>> by_config;
  for (const nlohmann::json& row : rows)
    by_config[{row["k"].get<int64_t>(), row["vocab"].get<int64_t>()}].push_back(&row);

  std::vector<ConfigStats> out;
  for (const auto& [config, config_rows] : by_config) {
    ConfigStats c;
    c.k = config.first;
    c.vocab = config.second;
    std::set<uint64_t> seeds;
    bool any_normalized = false;
    std::map<uint64_t, const nlohmann::json*> per_seed_model;  // first row of each seed: its times
    for (const nlohmann::json* row : config_rows) {
      seeds.insert((*row)["seed"].get<uint64_t>());
      if ((*row)["exact_correct"].is_number()) any_normalized = true;
      per_seed_model.emplace((*row)["seed"].get<uint64_t>(), row);
      const double p = number_or_nan(*row, "prove_seconds");
      const double w = number_or_nan(*row, "check_wall_seconds");
      if (!std::isnan(p)) c.prove_seconds += p;
      if (!std::isnan(w)) c.check_seconds += w;
    }
    for (const auto& [seed, row] : per_seed_model) {
      const double t = number_or_nan(*row, "train_seconds");
      const double e = number_or_nan(*row, "eval_seconds");
      if (!std::isnan(t)) c.train_seconds += t;
      if (!std::isnan(e)) c.eval_seconds += e;
    }
    c.seeds = static_cast<int64_t>(seeds.size());
    c.normalized = any_normalized;
    const char* value_key = c.normalized ? "normalized_bound" : "bound";

    // Per strategy: value per seed (0 when not valid), flops, seconds, dimension.
    struct Acc {
      std::string group;
      std::map<uint64_t, double> value, bound;
      std::vector<double> log2_flops, check_seconds;
      int64_t rows = 0, valid = 0;
      std::string dimension, first_reason;
    };
    std::map<std::string, Acc> acc;
    for (const nlohmann::json* row : config_rows) {
      Acc& a = acc[(*row)["strategy"].get<std::string>()];
      a.group = (*row)["group"].is_string() ? (*row)["group"].get<std::string>() : "";
      const uint64_t seed = (*row)["seed"].get<uint64_t>();
      ++a.rows;
      const bool valid = (*row)["valid"].is_boolean() && (*row)["valid"].get<bool>();
      const double v = valid ? number_or_nan(*row, value_key) : 0.0;
      a.value[seed] = std::isnan(v) ? 0.0 : v;
      const double b = valid ? number_or_nan(*row, "bound") : 0.0;
      a.bound[seed] = std::isnan(b) ? 0.0 : b;
      if (valid) {
        ++a.valid;
        const double f = log2_of_count((*row)["paper_flops"]);
        if (!std::isnan(f)) a.log2_flops.push_back(f);
        const double s = number_or_nan(*row, "check_seconds");
        if (!std::isnan(s)) a.check_seconds.push_back(s);
        if (a.dimension.empty()) a.dimension = dimension_text((*row)["unexplained_dimension"]);
      } else if (a.first_reason.empty() && (*row)["reason"].is_string()) {
        a.first_reason = (*row)["reason"].get<std::string>();
      }
    }
    std::map<std::string, std::vector<std::string>> group_members;
    for (const auto& [name, a] : acc) {
      StrategyStats s;
      s.strategy = name;
      s.group = a.group;
      s.rows = a.rows;
      s.valid = a.valid;
      std::vector<double> values;
      for (const auto& [seed, v] : a.value) values.push_back(v);
      const Stats st = mean_std(values);
      s.mean = st.mean;
      s.std = st.std;
      s.mean_log2_flops = mean_std(a.log2_flops).mean;
      s.mean_check_seconds = mean_std(a.check_seconds).mean;
      s.dimension = a.dimension;
      s.log2_dimension = a.dimension.empty() ? NAN : log2_of_count(nlohmann::json(a.dimension));
      s.first_reason = a.first_reason;
      c.strategies.push_back(s);
      group_members[a.group].push_back(name);
    }
    for (const auto& [group, members] : group_members) {
      GroupStats g;
      g.group = group;
      std::map<uint64_t, double> best_value, best_bound, best_paper;
      bool any_paper = false;
      double best_mean = -1;
      g.log2_flops_lo = NAN;
      g.log2_flops_hi = NAN;
      double dim_lo = INFINITY, dim_hi = -INFINITY;
      for (const std::string& name : members) {
        const Acc& a = acc.at(name);
        const StrategyStats& s =
            *std::find_if(c.strategies.begin(), c.strategies.end(),
                          [&](const StrategyStats& x) { return x.strategy == name; });
        g.rows += a.rows;
        g.valid += a.valid;
        for (const auto& [seed, v] : a.value) best_value[seed] = std::max(best_value[seed], v);
        if (is_paper_configuration(name)) {
          any_paper = true;
          for (const auto& [seed, v] : a.value) best_paper[seed] = std::max(best_paper[seed], v);
        }
        for (const auto& [seed, v] : a.bound) best_bound[seed] = std::max(best_bound[seed], v);
        if (a.valid > 0 && s.mean > best_mean) {
          best_mean = s.mean;
          g.best = name;
          g.best_mean = s.mean;
          g.log2_flops_best = s.mean_log2_flops;
          g.check_seconds_best = s.mean_check_seconds;
        }
        if (!std::isnan(s.mean_log2_flops)) {
          g.log2_flops_lo = std::isnan(g.log2_flops_lo) ? s.mean_log2_flops : std::min(g.log2_flops_lo, s.mean_log2_flops);
          g.log2_flops_hi = std::isnan(g.log2_flops_hi) ? s.mean_log2_flops : std::max(g.log2_flops_hi, s.mean_log2_flops);
        }
        if (!std::isnan(s.log2_dimension)) {
          if (s.log2_dimension < dim_lo) {
            dim_lo = s.log2_dimension;
            g.dim_lo = s.dimension;
          }
          if (s.log2_dimension > dim_hi) {
            dim_hi = s.log2_dimension;
            g.dim_hi = s.dimension;
          }
        }
        if (a.valid == 0 && g.note.empty()) g.note = a.first_reason;
      }
      if (g.valid > 0) g.note.clear();
      std::vector<double> values, bounds;
      for (const auto& [seed, v] : best_value) values.push_back(v);
      for (const auto& [seed, v] : best_bound) bounds.push_back(v);
      g.seeds = static_cast<int64_t>(values.size());
      const Stats sv = mean_std(values), sb = mean_std(bounds);
      g.mean = sv.mean;
      g.std = sv.std;
      g.accuracy_mean = sb.mean;
      g.accuracy_std = sb.std;
      if (any_paper) {
        std::vector<double> paper_values;
        for (const auto& [seed, v] : best_paper) paper_values.push_back(v);
        const Stats sp = mean_std(paper_values);
        g.paper_options_mean = sp.mean;
        g.paper_options_std = sp.std;
      }
      c.groups.push_back(g);
    }
    std::stable_sort(c.groups.begin(), c.groups.end(), [](const GroupStats& a, const GroupStats& b) {
      const int ra = paper_rank(a.group), rb = paper_rank(b.group);
      return ra != rb ? ra < rb : a.group < b.group;
    });
    out.push_back(std::move(c));
  }
  return out;
}

std::string summary_markdown(const ConfigStats& c) {
  std::ostringstream md;
  const bool paper = c.k == 4 && c.vocab == 64;
  const std::string what = c.normalized ? "normalized bound" : "bound (not normalized)";
  md << "### K = " << c.k << ", v = " << c.vocab << " (" << c.seeds << " seeds)\n\n";
  if (!c.normalized)
    md << "v^k is too large to enumerate, so the exact accuracy (and brute force) is infeasible: "
          "bounds are raw accuracy bounds, not normalized.\n\n";
  md << "Per group: for each seed the best " << what
     << " among the group's strategies (a rejected or failed certificate counts as 0), then mean ± "
        "sample std over seeds; \"paper's options only\" leaves out strategies with options the paper "
        "does not have (EU `centered_max_exact` and `joint_exact`, attention `mean_query+weighted_diff`). Brute force: accuracy. log2 FLOPs: the checker's paper-convention "
        "FLOPs (range over the group's strategies; best configuration's in brackets). The last column compares the paper's options only.\n\n";
  md << "| group | " << what << " | paper's options only | valid rows | best configuration | log2 FLOPs | unexplained dim. | check s (best) |";
  if (paper) md << " paper | paper log2 FLOPs | paper dim. | differs by > 1 paper σ |";
  md << "\n|---|---|---|---:|---|---|---|---:|";
  if (paper) md << "---|---|---|---|";
  md << "\n";
  for (const GroupStats& g : c.groups) {
    const bool accuracy = g.group == "brute-force";
    md << "| " << g.group << " | ";
    if (g.valid == 0) {
      md << "infeasible / none valid";
      if (!g.note.empty()) md << " (" << g.note << ")";
    } else if (accuracy) {
      md << "acc " << format_mean_std(g.accuracy_mean, g.accuracy_std, 5);
    } else {
      md << format_mean_std(g.mean, g.std, 4);
    }
    md << " | "
       << (accuracy || g.valid == 0 || std::fabs(g.paper_options_mean - g.mean) < 1e-12
               ? std::string("same")
               : format_mean_std(g.paper_options_mean, g.paper_options_std, 4));
    md << " | " << g.valid << "/" << g.rows << " | " << (g.best.empty() ? "—" : "`" + g.best + "`")
       << " | " << log2_range(g.log2_flops_lo, g.log2_flops_hi);
    if (!std::isnan(g.log2_flops_best) && !g.best.empty() &&
        std::fabs(g.log2_flops_hi - g.log2_flops_lo) >= 0.05)
      md << " [" << fmt("%.1f", g.log2_flops_best) << "]";
    md << " | " << dim_range(g.dim_lo, g.dim_hi) << " | "
       << (g.best.empty() || std::isnan(g.check_seconds_best) ? "—" : fmt("%.3f", g.check_seconds_best))
       << " |";
    if (paper) {
      const PaperGroup* p = paper_group(g.group);
      if (p) {
        // Compared on the paper's own configurations where the group has any.
        const double ours = accuracy                              ? g.accuracy_mean
                            : std::isnan(g.paper_options_mean) ? g.mean
                                                                : g.paper_options_mean;
        md << " " << (p->accuracy ? "acc " : "") << format_mean_std(p->mean, p->std, p->accuracy ? 4 : 3)
           << " | " << log2_range(p->log2_flops_lo, p->log2_flops_hi) << " | "
           << fmt("%.0f", p->dim_lo) << (p->dim_hi != p->dim_lo ? "–" + fmt("%.0f", p->dim_hi) : "")
           << " | " << (g.valid == 0 ? "—" : std::fabs(ours - p->mean) > p->std ? "**yes**" : "no") << " |";
      } else {
        md << " — | — | — | — |";
      }
    }
    md << "\n";
  }
  if (paper) {
    for (const PaperGroup& p : paper_groups()) {
      const bool present = std::any_of(c.groups.begin(), c.groups.end(),
                                       [&](const GroupStats& g) { return g.group == p.group; });
      if (!present)
        md << "| " << p.group << " | not implemented here | — | 0/0 | — | — | — | — | "
           << format_mean_std(p.mean, p.std, 3) << " | " << log2_range(p.log2_flops_lo, p.log2_flops_hi)
           << " | " << fmt("%.0f", p.dim_lo) << "–" << fmt("%.0f", p.dim_hi) << " | — |\n";
    }
  }
  md << "\nWall time summed over jobs (train and eval once per seed; with --jobs N the sweep's "
        "wall time is about 1/N of the total): train "
     << fmt("%.0f", c.train_seconds) << " s, eval " << fmt("%.0f", c.eval_seconds) << " s, prove "
     << fmt("%.0f", c.prove_seconds) << " s, check " << fmt("%.0f", c.check_seconds) << " s.\n\n";
  md << "<details><summary>Every strategy</summary>\n\n| strategy | group | " << what
     << " | valid | log2 FLOPs | unexplained dim. | check s |\n|---|---|---|---:|---:|---:|---:|\n";
  for (const StrategyStats& s : c.strategies) {
    md << "| `" << s.strategy << "` | " << s.group << " | " << format_mean_std(s.mean, s.std, 4) << " | "
       << s.valid << "/" << s.rows << " | "
       << (std::isnan(s.mean_log2_flops) ? "—" : fmt("%.1f", s.mean_log2_flops)) << " | "
       << (s.dimension.empty() ? "—" : s.dimension) << " | "
       << (std::isnan(s.mean_check_seconds) ? "—" : fmt("%.3f", s.mean_check_seconds)) << " |\n";
  }
  md << "\n</details>\n";
  return md.str();
}

}  // namespace mechcert
