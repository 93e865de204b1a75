#include "generator/report_plots.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>

#include <Eigen/SVD>

#include "format/model_weights.hpp"
#include "generator/checker_program.hpp"
#include "generator/path_tables.hpp"
#include "generator/text_file.hpp"

namespace mechcert {
namespace {

namespace fs = std::filesystem;

// One colour per group, paper order first (colour-blind-friendly palette, Okabe-Ito).
const char* group_colour(size_t i) {
  static const char* palette[] = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7",
                                  "#0072B2", "#D55E00", "#F0E442", "#999999"};
  return palette[i % (sizeof palette / sizeof palette[0])];
}

// gnuplot string literal (single quotes; a quote is doubled).
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

bool gnuplot_has_terminal(const std::string& gnuplot, const std::string& terminal) {
  const ProgramRun run = run_program(gnuplot, {"-e", "set terminal " + terminal});
  return run.exit_code == 0 && run.stderr_text.find("unknown") == std::string::npos;
}

// Runs `script` (which plots into the terminal set by `terminal_line` + `set output`) for the
// PNG and the SVG file.
void render(const std::string& body, const fs::path& out, const std::string& name, int width,
            int height) {
  static const std::string gnuplot = find_gnuplot();
  static const bool cairo = gnuplot_has_terminal(gnuplot, "pngcairo");
  std::ostringstream script;
  const std::string size = std::to_string(width) + "," + std::to_string(height);
  script << "set terminal " << (cairo ? "pngcairo" : "png") << " size " << size
         << " noenhanced font 'sans,10'\n"
         << "set output " << quoted((out / (name + ".png")).string()) << "\n"
         << body << "\n"
         << "set terminal svg size " << size << " noenhanced font 'sans,10' background '#ffffff'\n"
         << "set output " << quoted((out / (name + ".svg")).string()) << "\n"
         << "replot\nset output\n";
  const fs::path script_path = out / (name + ".gp");
  write_text_file(script_path.string(), script.str());
  const ProgramRun run = run_program(gnuplot, {script_path.string()});
  if (run.exit_code != 0) {
    std::string err = run.stderr_text;
    std::replace(err.begin(), err.end(), '\n', ' ');
    throw std::runtime_error("gnuplot failed on " + script_path.string() + ": " + err);
  }
}

struct Point {
  double x, y;
};

// Upper-left Pareto frontier of the strategies' mean points: cheaper and at least as good.
std::vector<Point> frontier(std::vector<Point> p) {
  std::sort(p.begin(), p.end(), [](const Point& a, const Point& b) {
    return a.x != b.x ? a.x < b.x : a.y > b.y;
  });
  std::vector<Point> f;
  for (const Point& q : p)
    if (f.empty() || q.y > f.back().y) f.push_back(q);
  return f;
}

enum class Axis { Flops, CheckSeconds, Dimension };

double x_of(const nlohmann::json& row, Axis axis) {
  switch (axis) {
    case Axis::Flops:
      return log2_of_count(row["paper_flops"]);
    case Axis::CheckSeconds:
      return row["check_seconds"].is_number() ? row["check_seconds"].get<double>() : NAN;
    case Axis::Dimension:
      return log2_of_count(row["unexplained_dimension"]);
  }
  return NAN;
}

Plot scatter_plot(const std::vector<nlohmann::json>& rows, const ConfigStats& c, const fs::path& out,
                  const std::string& prefix, Axis axis) {
  const std::string stem = axis == Axis::Flops          ? "bound_vs_flops"
                           : axis == Axis::CheckSeconds ? "bound_vs_check_seconds"
                                                        : "bound_vs_dimension";
  const std::string name = prefix + stem;
  const char* value_key = c.normalized ? "normalized_bound" : "bound";
  const std::string ylabel = c.normalized ? "normalized accuracy bound (bound / exact accuracy)"
                                          : "accuracy bound";
  const std::string xlabel = axis == Axis::Flops ? "proof length: log2 paper-convention FLOPs (checker)"
                             : axis == Axis::CheckSeconds ? "proof length: checker wall seconds (log scale)"
                                                          : "log2 unexplained dimension";
  // One data block per group (gnuplot `index`), in the summary's group order.
  std::ostringstream data;
  std::vector<std::string> groups;
  for (const GroupStats& g : c.groups) {
    groups.push_back(g.group);
    data << "# " << g.group << "\n";
    int64_t n = 0;
    for (const nlohmann::json& row : rows) {
      if (row["k"] != c.k || row["vocab"] != c.vocab || row["group"] != g.group) continue;
      if (!row["valid"].is_boolean() || !row["valid"].get<bool>() || !row[value_key].is_number()) continue;
      const double x = x_of(row, axis);
      if (std::isnan(x)) continue;
      data << x << " " << row[value_key].get<double>() << "\n";
      ++n;
    }
    if (n == 0) data << "NaN NaN\n";  // keeps the block (and its colour) in place
    data << "\n\n";
  }
  // Frontier over the strategies' means (x of the strategy's mean, y its mean bound).
  std::vector<Point> means;
  for (const StrategyStats& s : c.strategies) {
    if (s.valid == 0) continue;
    const double x = axis == Axis::Flops          ? s.mean_log2_flops
                     : axis == Axis::CheckSeconds ? s.mean_check_seconds
                                                  : s.log2_dimension;
    if (!std::isnan(x)) means.push_back({x, s.mean});
  }
  data << "# frontier (strategy means)\n";
  const std::vector<Point> f = frontier(means);
  for (const Point& p : f) data << p.x << " " << p.y << "\n";
  if (f.empty()) data << "NaN NaN\n";
  data << "\n\n";
  const bool paper = c.k == 4 && c.vocab == 64 && c.normalized && axis != Axis::CheckSeconds;
  if (paper) {
    data << "# paper group means (reference-algorithms.md 8.1): x y ystd\n";
    for (const PaperGroup& p : paper_groups()) {
      const double x = axis == Axis::Flops ? (p.log2_flops_lo + p.log2_flops_hi) / 2
                                           : std::log2((p.dim_lo + p.dim_hi) / 2);
      data << x << " " << (p.accuracy ? 1.0 : p.mean) << " " << (p.accuracy ? 0.0 : p.std) << "\n";
    }
    data << "\n\n";
  }
  const fs::path dat = out / (name + ".dat");
  write_text_file(dat.string(), data.str());

  std::ostringstream body;
  body << "set title " << quoted("Max-of-" + std::to_string(c.k) + ", v = " + std::to_string(c.vocab) +
                                 ", " + std::to_string(c.seeds) + " seeds")
       << "\nset xlabel " << quoted(xlabel) << "\nset ylabel " << quoted(ylabel)
       << "\nset key inside right center box opaque\nset grid\nset yrange [0:1.05]\n"
       << "set offsets graph 0.02, graph 0.02, 0, 0\n";
  if (axis == Axis::CheckSeconds) body << "set logscale x 10\nset format x '%g'\n";
  body << "plot ";
  for (size_t i = 0; i < groups.size(); ++i)
    body << quoted(dat.string()) << " index " << i << " using 1:2 with points pt 7 ps 0.5 lc rgb '"
         << group_colour(i) << "' title " << quoted(groups[i]) << ", \\\n     ";
  body << quoted(dat.string()) << " index " << groups.size()
       << " using 1:2 with steps lw 2 dt 2 lc rgb '#444444' title 'frontier (strategy means)'";
  if (paper)
    body << ", \\\n     " << quoted(dat.string()) << " index " << groups.size() + 1
         << " using 1:2:3 with yerrorbars pt 6 ps 2 lw 2 lc rgb '#C00000' title 'paper: group mean ± std'";
  body << "\n";
  render(body.str(), out, name, 1100, 650);
  const std::string what = axis == Axis::Flops          ? "paper-convention FLOPs"
                           : axis == Axis::CheckSeconds ? "checker seconds"
                                                        : "unexplained dimension";
  return Plot{name, (c.normalized ? "Normalized bound" : "Bound") + std::string(" vs ") + what +
                        " (K = " + std::to_string(c.k) + ", v = " + std::to_string(c.vocab) + ")"};
}

void write_matrix(const fs::path& p, const RowMatrix& m) {
  std::ostringstream s;
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) s << (j ? " " : "") << m(i, j);
    s << "\n";
  }
  write_text_file(p.string(), s.str());
}

Plot heatmap(const RowMatrix& m, const std::string& what, const std::string& ylabel,
             const std::string& xlabel, const fs::path& out, const std::string& name,
             const std::string& label) {
  const fs::path dat = out / (name + ".dat");
  write_matrix(dat, m);
  const double a = std::max(std::fabs(m.minCoeff()), std::fabs(m.maxCoeff()));
  std::ostringstream body;
  body << "set title " << quoted(what + " (" + label + ")") << "\nset xlabel " << quoted(xlabel)
       << "\nset ylabel " << quoted(ylabel) << "\nset yrange [] reverse\nset size ratio -1\n"
       << "set palette defined (0 '#2166AC', 1 '#F7F7F7', 2 '#B2182B')\nset cbrange [" << -a << ":"
       << a << "]\nset autoscale xfix\nset autoscale yfix\nunset key\n"
       << "plot " << quoted(dat.string()) << " matrix with image\n";
  render(body.str(), out, name, 700, 620);
  return Plot{name, what + " heatmap (" + label + ")"};
}

}  // namespace

std::string find_gnuplot() {
  if (const char* env = std::getenv("MECHCERT_GNUPLOT"); env && *env) return env;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream in(path);
    std::string dir;
    while (std::getline(in, dir, ':')) {
      const fs::path candidate = fs::path(dir) / "gnuplot";
      if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  throw std::runtime_error("cannot find gnuplot (install Debian's gnuplot-nox, or set $MECHCERT_GNUPLOT)");
}

std::vector<Plot> write_sweep_plots(const std::vector<nlohmann::json>& rows, const ConfigStats& config,
                                    const fs::path& out, const std::string& prefix) {
  return {scatter_plot(rows, config, out, prefix, Axis::Flops),
          scatter_plot(rows, config, out, prefix, Axis::CheckSeconds),
          scatter_plot(rows, config, out, prefix, Axis::Dimension)};
}

std::vector<Plot> write_model_plots(const std::string& model_path, const std::string& label,
                                    const fs::path& out, const std::string& prefix) {
  const LoadedModel model = load_model(model_path);
  const PathTables t = compute_path_tables(model.weights, BiasPolicy::Fold);
  std::vector<Plot> plots;
  plots.push_back(heatmap(t.EQKE, "EQKE = (E + P_last) Q K^T E^T", "query token", "key token", out,
                          prefix + "heatmap_eqke", label));
  plots.push_back(heatmap(t.EVOU, "EVOU = E V O U", "input token", "output logit", out,
                          prefix + "heatmap_evou", label));
  plots.push_back(heatmap(t.EU, "EU = (E + P_last) U", "query token", "output logit", out,
                          prefix + "heatmap_eu", label));
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(t.EQKE));
  const Eigen::VectorXd sv = svd.singularValues();
  std::ostringstream data;
  for (Eigen::Index i = 0; i < sv.size(); ++i) data << i + 1 << " " << std::max(sv(i), 1e-300) << "\n";
  const std::string name = prefix + "eqke_singular_values";
  const fs::path dat = out / (name + ".dat");
  write_text_file(dat.string(), data.str());
  std::ostringstream body;
  body << "set title " << quoted("Singular values of EQKE (" + label + ")")
       << "\nset xlabel 'index'\nset ylabel 'singular value (log scale)'\nset logscale y 10\n"
          "set grid\nunset key\nplot "
       << quoted(dat.string()) << " using 1:2 with linespoints pt 7 ps 0.6 lc rgb '#0072B2'\n";
  render(body.str(), out, name, 800, 500);
  plots.push_back(Plot{name, "Singular values of EQKE, log scale (" + label + ")"});
  return plots;
}

}  // namespace mechcert
