// The plots of `mechcert report`, rendered by gnuplot (Debian gnuplot-nox) run as a child process:
// every plot as PNG (pngcairo, else gnuplot's png terminal) and as SVG (inlined in index.html).
//   bound_vs_flops       normalized bound vs log2 paper-convention FLOPs: one colour per group,
//                        the frontier over the strategies' means, the paper's group means (§8.1)
//   bound_vs_check_seconds  the same against the checker's wall seconds (log axis)
//   bound_vs_dimension   the same against log2 of the unexplained dimension, with the paper's
//   heatmap_eqke/_evou/_eu, eqke_singular_values   one model's path matrices (path_tables.hpp)
// The data are written beside the plots as .dat files and the script as plots.gp, so a plot can
// be restyled by hand without rerunning anything.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generator/report_summary.hpp"

namespace mechcert {

struct Plot {
  std::string name;     // file stem: NAME.png, NAME.svg
  std::string title;    // caption in the documents
};

// The gnuplot program: $MECHCERT_GNUPLOT, else `gnuplot` on $PATH; throws std::runtime_error.
std::string find_gnuplot();

// Writes the sweep plots for one (k, vocab) configuration into `out` (file stems prefixed with
// `prefix`) and returns them in display order. Throws std::runtime_error if gnuplot fails.
std::vector<Plot> write_sweep_plots(const std::vector<nlohmann::json>& rows, const ConfigStats& config,
                                    const std::filesystem::path& out, const std::string& prefix);

// Heatmaps of EQKE, EVOU, EU and the singular values of EQKE for one model file.
std::vector<Plot> write_model_plots(const std::string& model_path, const std::string& label,
                                    const std::filesystem::path& out, const std::string& prefix);

}  // namespace mechcert
