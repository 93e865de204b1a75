#include "checker/gap_classes.hpp"

#include <cmath>
#include <stdexcept>
#include <tuple>

#include "checker/counting.hpp"
#include "format/exact_numbers.hpp"

namespace mechcert {
namespace {

// SPEC 7.1's constraints on one row; "" if it is a valid class.
std::string row_problem(const GapRow& r, int64_t v, int64_t k) {
  if (r.m < 0 || r.m >= v) return "m outside [0, v)";
  if (r.q < 0 || r.q > r.m) return "q = " + std::to_string(r.q) + " outside [0, m]";
  if (r.c < 0 || r.c > (r.q == r.m ? k - 1 : k - 2))
    return "c = " + std::to_string(r.c) + " outside [0, " +
           std::to_string(r.q == r.m ? k - 1 : k - 2) + "] for " + (r.q == r.m ? "q = m" : "q < m");
  if (r.g < 1) return "gap g = " + std::to_string(r.g) + " < 1";
  if (r.c == 0)  // a single input: no non-query position holds a non-max token
    return r.g == 1 ? "" : "a row with c = 0 has no gap to choose and must have g = 1";
  if (r.g > r.m) return "gap g = " + std::to_string(r.g) + " > m = " + std::to_string(r.m);
  return "";
}

}  // namespace

GapClasses parse_gap_classes(const nlohmann::json& blocks, int64_t v, int64_t k,
                             bool avg_must_be_zero, const JsonPath& where) {
  if (!blocks.is_array()) where.fail("expected an array of blocks");
  GapClasses out;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const nlohmann::json& block = blocks[b];
    // Paths are formed only to report a failure (hundreds of blocks per certificate).
    const auto name = [&] { return where.index(b); };
    if (!block.is_array() || block.size() != 4) name().fail("expected [m, c, avg, rows]");
    GapBlock gb;
    const auto m = json_integer_if_valid(block[0], 0, v - 1);
    gb.m = m ? *m : json_integer(block[0], name().index(0), 0, v - 1);
    const auto c = json_integer_if_valid(block[1], 0, k - 1);
    gb.c = c ? *c : json_integer(block[1], name().index(1), 0, k - 1);
    if (!block[2].is_string()) name().index(2).fail("avg: expected a hex-float string");
    gb.avg = parse_hex_double(block[2].get_ref<const std::string&>(), name().index(2));
    if (!(gb.avg >= 0 && gb.avg <= 1)) name().index(2).fail("avg outside [0, 1]");
    if (avg_must_be_zero && gb.avg != 0)
      name().index(2).fail("avg must be 0 for drop_average_query_per_output_logit_reasoning");
    if (!out.blocks.empty()) {
      const GapBlock& prev = out.blocks.back();
      if (std::tie(prev.m, prev.c) == std::tie(gb.m, gb.c))
        name().fail("duplicate block (m, c): same as the previous block");
      if (std::tie(gb.m, gb.c) < std::tie(prev.m, prev.c)) name().fail("blocks not sorted by (m, c)");
    }
    const nlohmann::json& rows = block[3];
    const auto rows_path = [&] { return name().index(3); };
    if (!rows.is_array() || rows.empty()) rows_path().fail("expected a non-empty array of [q, g]");
    if (rows.size() > kMaxGapRows - out.rows.size())
      rows_path().fail("more than " + std::to_string(kMaxGapRows) + " rows in all");
    gb.first = out.rows.size();
    const auto& row_list = rows.get_ref<const nlohmann::json::array_t&>();
    for (size_t i = 0; i < row_list.size(); ++i) {
      // The row's path is formed only to report a failure (thousands of rows per certificate).
      const auto row_path = [&] { return rows_path().index(i); };
      const auto* pair = row_list[i].get_ptr<const nlohmann::json::array_t*>();
      if (pair == nullptr || pair->size() != 2) row_path().fail("expected [q, g]");
      const nlohmann::json& q_json = (*pair)[0];
      const nlohmann::json& g_json = (*pair)[1];
      GapRow r;
      r.m = gb.m;
      r.c = gb.c;
      const auto q = json_integer_if_valid(q_json, 0, gb.m);
      r.q = q ? *q : json_integer(q_json, row_path().index(0), 0, gb.m);
      const auto g = json_integer_if_valid(g_json, 1, v);
      r.g = g ? *g : json_integer(g_json, row_path().index(1), 1, v);
      if (i > 0 && r.q <= out.rows.back().q) row_path().fail("rows not strictly increasing in q");
      if (const std::string problem = row_problem(r, v, k); !problem.empty())
        row_path().fail(problem);
      out.rows.push_back(r);
      out.row_index.push_back(i);
    }
    gb.end = out.rows.size();
    out.blocks.push_back(gb);
  }
  return out;
}

BigInt gap_count(const std::vector<GapRow>& rows, int64_t v, int64_t k) {
  ClassTally tally(v, k, "gap count");
  for (size_t i = 0; i < rows.size(); ++i) {
    const GapRow& r = rows[i];
    if (!row_problem(r, v, k).empty() ||
        (i > 0 && std::tie(rows[i - 1].m, rows[i - 1].c, rows[i - 1].q) >= std::tie(r.m, r.c, r.q)))
      throw std::logic_error("gap count: row " + std::to_string(i) + " is not a valid class");
    // C(k-1, c) placements of the non-max slots, m - g + 1 values each (c = 0: one input).
    tally.add_class(r.m, r.m - r.g + 1, r.c);
  }
  return tally.total();
}

}  // namespace mechcert
