#include "generator/report_document.hpp"

#include "generator/text_file.hpp"

#include <sstream>
#include <stdexcept>

namespace mechcert {
namespace {

namespace fs = std::filesystem;

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// An SVG file without its XML prolog and DOCTYPE, ready to sit inside HTML.
std::string inline_svg(const fs::path& p) {
  std::string svg = read_text_file(p.string());
  const size_t start = svg.find("<svg");
  if (start == std::string::npos) throw std::runtime_error(p.string() + ": not an SVG file");
  return svg.substr(start);
}

// Minimal Markdown table -> HTML (the only Markdown the summary generates besides headings,
// paragraphs, `code` and **bold**).
std::string inline_markup(const std::string& text) {
  std::string s = html_escape(text), out;
  bool code = false, bold = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '`') {
      out += code ? "</code>" : "<code>";
      code = !code;
    } else if (!code && s.compare(i, 2, "**") == 0) {
      out += bold ? "</b>" : "<b>";
      bold = !bold;
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|') {
      const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
      cell.clear();
    } else {
      cell.push_back(line[i]);
    }
  }
  return cells;
}

std::string markdown_to_html(const std::string& md) {
  std::istringstream in(md);
  std::ostringstream html;
  std::string line;
  bool in_table = false, header_done = false;
  while (std::getline(in, line)) {
    const bool table_line = !line.empty() && line[0] == '|';
    if (in_table && !table_line) {
      html << "</table>\n";
      in_table = false;
    }
    if (table_line) {
      if (!in_table) {
        html << "<table>\n";
        in_table = true;
        header_done = false;
      }
      if (line.find("|---") == 0) {
        header_done = true;
        continue;
      }
      const char* tag = header_done ? "td" : "th";
      html << "<tr>";
      for (const std::string& c : split_cells(line)) html << "<" << tag << ">" << inline_markup(c) << "</" << tag << ">";
      html << "</tr>\n";
    } else if (line.rfind("### ", 0) == 0) {
      html << "<h3>" << inline_markup(line.substr(4)) << "</h3>\n";
    } else if (line.rfind("## ", 0) == 0) {
      html << "<h2>" << inline_markup(line.substr(3)) << "</h2>\n";
    } else if (line.rfind("# ", 0) == 0) {
      html << "<h1>" << inline_markup(line.substr(2)) << "</h1>\n";
    } else if (line.rfind("<details>", 0) == 0 || line.rfind("</details>", 0) == 0) {
      html << line << "\n";  // our own literal HTML
    } else if (line.rfind("![", 0) == 0) {
      continue;  // image links: the HTML inlines the SVGs instead
    } else if (line.empty()) {
      html << "\n";
    } else if (line.rfind("- ", 0) == 0) {
      html << "<p>&bull; " << inline_markup(line.substr(2)) << "</p>\n";
    } else {
      html << "<p>" << inline_markup(line) << "</p>\n";
    }
  }
  if (in_table) html << "</table>\n";
  return html.str();
}

std::string summary_text(const ReportContent& c) {
  std::ostringstream md;
  md << "# mechcert sweep report\n\n";
  md << "Made by `mechcert report` from " << c.rows << " rows (";
  for (size_t i = 0; i < c.sources.size(); ++i) md << (i ? ", " : "") << "`" << c.sources[i] << "`";
  md << "). Every bound is the independent checker program's verdict (`mechcert-check --json`); "
        "the paper's numbers are its final ones (reference-algorithms.md §8.1, authors' weights).\n\n";
  for (size_t i = 0; i < c.configs.size(); ++i) {
    md << summary_markdown(c.configs[i]) << "\n";
    for (const Plot& p : c.config_plots[i]) md << "![" << p.title << "](" << p.name << ".png)\n\n";
  }
  if (!c.model_plots.empty() || !c.model_note.empty()) {
    md << "## One model's path matrices\n\n" << c.model_note << "\n\n";
    for (const Plot& p : c.model_plots) md << "![" << p.title << "](" << p.name << ".png)\n\n";
  }
  if (!c.notes_markdown.empty()) md << c.notes_markdown << (c.notes_markdown.back() == '\n' ? "" : "\n");
  return md.str();
}

}  // namespace

void write_summary_markdown(const ReportContent& content, const fs::path& out) {
  write_text_file((out / "summary.md").string(), summary_text(content));
}

void write_index_html(const ReportContent& c, const fs::path& out) {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>mechcert sweep report</title>\n<style>\n"
          "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}\n"
          "table{border-collapse:collapse;margin:1em 0;font-size:90%}\n"
          "td,th{border:1px solid #bbb;padding:3px 6px;text-align:left}th{background:#eee}\n"
          "figure{margin:1.5em 0}figcaption{font-size:90%;color:#444}svg{max-width:100%;height:auto}\n"
          "code{font-size:90%}\n</style></head><body>\n";
  // The tables and notes are the summary's Markdown rendered; plots are inline SVG.
  std::ostringstream md_head;
  md_head << "# mechcert sweep report\n\nMade by `mechcert report` from " << c.rows << " rows. "
          << "Every bound is the independent checker program's verdict (`mechcert-check --json`).\n";
  html << markdown_to_html(md_head.str());
  auto figure = [&](const Plot& p) {
    html << "<figure id=\"" << html_escape(p.name) << "\">\n" << inline_svg(out / (p.name + ".svg"))
         << "\n<figcaption>" << html_escape(p.title) << " — PNG: <a href=\"" << html_escape(p.name)
         << ".png\">" << html_escape(p.name) << ".png</a></figcaption></figure>\n";
  };
  for (size_t i = 0; i < c.configs.size(); ++i) {
    html << markdown_to_html(summary_markdown(c.configs[i]));
    for (const Plot& p : c.config_plots[i]) figure(p);
  }
  if (!c.model_plots.empty() || !c.model_note.empty()) {
    html << "<h2>One model's path matrices</h2>\n<p>" << html_escape(c.model_note) << "</p>\n";
    for (const Plot& p : c.model_plots) figure(p);
  }
  if (!c.notes_markdown.empty()) html << markdown_to_html(c.notes_markdown);
  html << "</body></html>\n";
  write_text_file((out / "index.html").string(), html.str());
}

}  // namespace mechcert
