// `mechcert report DIR|ROWS.jsonl... --out REPORT_DIR [--model-seed N] [--notes FILE]`: merges
// the rows of one or more sweeps (shards, resumed runs; duplicates by (seed, k, vocab, strategy)
// dropped), and writes REPORT_DIR/summary.md, index.html (plots inline as SVG) and every plot as
// PNG and SVG (report_summary.hpp, report_plots.hpp, report_document.hpp). docs/sweep.md.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "generator/commands.hpp"
#include "generator/report_document.hpp"
#include "generator/report_plots.hpp"
#include "generator/report_summary.hpp"
#include "generator/sweep_rows.hpp"

namespace mechcert {
namespace {

namespace fs = std::filesystem;

// The model whose matrices are drawn: DIR/models/seed-N.safetensors of the first input directory
// that has one; seed `wanted` if given, else the paper's example seed 123, else the lowest seed.
std::string choose_model(const std::vector<std::string>& inputs, const std::vector<nlohmann::json>& rows,
                         int64_t wanted, uint64_t* seed_out) {
  std::set<uint64_t> seeds;
  for (const nlohmann::json& row : rows) seeds.insert(row["seed"].get<uint64_t>());
  std::vector<uint64_t> order;
  if (wanted >= 0) {
    order.push_back(static_cast<uint64_t>(wanted));
  } else {
    order.push_back(123);
    order.insert(order.end(), seeds.begin(), seeds.end());
  }
  for (const uint64_t seed : order) {
    for (const std::string& in : inputs) {
      std::error_code ec;
      const fs::path dir = fs::is_directory(in, ec) ? fs::path(in) : fs::path(in).parent_path();
      const fs::path model = dir / "models" / ("seed-" + std::to_string(seed) + ".safetensors");
      if (fs::exists(model, ec)) {
        *seed_out = seed;
        return model.string();
      }
    }
  }
  return "";
}

}  // namespace

int cmd_report(int argc, char** argv) {
  CLI::App app{"Merge the rows of one or more sweeps and write REPORT_DIR/index.html (self-contained, "
               "plots inline as SVG), summary.md and every plot as PNG and SVG (gnuplot). "
               "docs/sweep.md.\nExit codes: 0 written, 1 gnuplot or writing failed, 2 usage error "
               "or unreadable rows."};
  app.name("mechcert report");
  std::vector<std::string> inputs;
  std::string out_dir, notes_path;
  int64_t model_seed = -1;
  bool no_model_plots = false;
  app.add_option("DIR", inputs, "sweep directories (their rows.jsonl) or rows.jsonl files")->required();
  app.add_option("--out", out_dir, "report directory (created)")->required();
  app.add_option("--model-seed", model_seed,
                 "seed whose model's EQKE/EVOU/EU are drawn (default: 123 if present, else the lowest)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--notes", notes_path, "Markdown appended to summary.md and index.html (e.g. notes.md)");
  app.add_flag("--no-model-plots", no_model_plots, "skip the heatmaps");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  ReportContent content;
  content.sources = inputs;
  std::vector<nlohmann::json> rows;
  try {
    rows = merge_rows(inputs);
    if (rows.empty()) throw std::invalid_argument("no rows in " + inputs.front());
    if (!notes_path.empty()) {
      std::ifstream in(notes_path, std::ios::binary);
      if (!in) throw std::invalid_argument(notes_path + ": cannot read");
      std::stringstream s;
      s << in.rdbuf();
      content.notes_markdown = s.str();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mechcert report: %s\n", e.what());
    return 2;
  }
  content.rows = static_cast<int64_t>(rows.size());
  try {
    const fs::path out = out_dir;
    fs::create_directories(out);
    content.configs = summarize_rows(rows);
    for (const ConfigStats& c : content.configs) {
      const std::string prefix = content.configs.size() == 1
                                     ? ""
                                     : "k" + std::to_string(c.k) + "-v" + std::to_string(c.vocab) + "-";
      content.config_plots.push_back(write_sweep_plots(rows, c, out, prefix));
    }
    if (!no_model_plots) {
      uint64_t seed = 0;
      const std::string model = choose_model(inputs, rows, model_seed, &seed);
      if (model.empty()) {
        content.model_note = "No model file found (DIR/models/seed-N.safetensors), so no heatmaps.";
      } else {
        const std::string label = "seed " + std::to_string(seed);
        content.model_plots = write_model_plots(model, label, out, "");
        content.model_note = "Model: " + model + " (" + label +
                             "; the sweep re-creates it: it trains deterministically per seed). "
                             "EQKE is the raw query-key score table; its singular values show how "
                             "close to rank one it is (what the subcubic proofs' EQKE "
                             "approximations rely on).";
      }
    }
    write_summary_markdown(content, out);
    write_index_html(content, out);
    std::fprintf(stderr, "mechcert report: %lld rows -> %s/index.html, summary.md, %zu plots\n",
                 static_cast<long long>(content.rows), out_dir.c_str(),
                 content.model_plots.size() + 3 * content.configs.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mechcert report: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace mechcert
