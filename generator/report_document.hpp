// The documents of `mechcert report`: summary.md (the tables, every PNG as an image link, the
// notes) and index.html (self-contained: the same tables, every plot's SVG inline, and a link
// naming each PNG file). Both are written to a temporary name and renamed.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "generator/report_plots.hpp"
#include "generator/report_summary.hpp"

namespace mechcert {

struct ReportContent {
  std::vector<std::string> sources;         // the rows files / directories read
  int64_t rows = 0;                         // after deduplication
  std::vector<ConfigStats> configs;
  std::vector<std::vector<Plot>> config_plots;  // parallel to configs
  std::vector<Plot> model_plots;            // heatmaps of one model (may be empty)
  std::string model_note;                   // which model, or why none
  std::string notes_markdown;               // --notes file, verbatim (may be empty)
};

void write_summary_markdown(const ReportContent& content, const std::filesystem::path& out);
void write_index_html(const ReportContent& content, const std::filesystem::path& out);

}  // namespace mechcert
