// The block list of a subcubic certificate and the exact count of the inputs it covers
// (SPEC.md 7.1 and 7.8).
//
// Why a separate file: this is the combinatorial half of the subcubic proof -- it decides *how
// many* inputs are claimed and proves, in code, that the listed classes Gap(m, q, c, g) are
// disjoint subsets of {0..v-1}^k. The other half (checker/subcubic.hpp) decides whether each
// listed class is correct. Cost O(rows) to parse, O(rows · k) big-integer operations to count.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/exact_matrix.hpp"
#include "format/json_fields.hpp"

namespace mechcert {

// At most one row per class (m, q, c), as for the cubic case list (SPEC 6.3).
inline constexpr size_t kMaxGapRows = size_t{1} << 26;

// One validated row: the class Gap(m, q, c, g) of SPEC 7.1.
struct GapRow {
  int64_t m = 0;  // max token
  int64_t q = 0;  // query token, q <= m
  int64_t c = 0;  // non-max tokens among the k-1 non-query positions
  int64_t g = 1;  // gap: the non-max tokens of the non-query positions are <= m - g (c = 0: 1)
  bool all_max() const { return q == m && c == 0; }  // the single input (m, ..., m)
};

// One validated block [m, c, avg, rows]: rows[first, end) of the flat row list share (m, c, ā).
struct GapBlock {
  int64_t m = 0, c = 0;
  double avg = 0;  // ā of Lemma S3, finite, in [0, 1]
  size_t first = 0, end = 0;
};

struct GapClasses {
  std::vector<GapBlock> blocks;
  std::vector<GapRow> rows;
  std::vector<size_t> row_index;  // per row: its index within its block's JSON `rows` (messages)
};

// Parses and validates `blocks` (the JSON array steps[i].blocks) against SPEC 7.1: ranges, the
// gap constraints, blocks strictly increasing in (m, c), rows strictly increasing in q, and (if
// `avg_must_be_zero`) ā = 0 in every block. Throws FormatError naming `where`[i]...
GapClasses parse_gap_classes(const nlohmann::json& blocks, int64_t v, int64_t k,
                             bool avg_must_be_zero, const JsonPath& where);

// SPEC 7.8: the exact number of inputs in the union of the classes, sum of C(k-1,c)·(m-g+1)^c
// (1 for the all-max row). Re-checks as code that every row is a valid class, that the rows are
// strictly increasing in (m, c, q) (so no class (m, q, c) is listed twice: disjoint), that each max token's rows stay within the
// (m+1)^k - m^k inputs with that max, and that the total is <= v^k; throws std::logic_error
// otherwise (impossible after parse_gap_classes; a second line of defence, tested directly).
BigInt gap_count(const std::vector<GapRow>& rows, int64_t v, int64_t k);

}  // namespace mechcert
