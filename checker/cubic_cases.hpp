// The case list of a cubic certificate and the exact count of the inputs it covers
// (SPEC.md 5.1 and 5.10, Lemma C7).
//
// Why a separate file: this is the combinatorial half of the cubic proof -- it decides *how many*
// inputs are claimed and proves, in code, that the listed classes are disjoint subsets of the input
// space {0..v-1}^k. The other half (checker/cubic.hpp) decides whether each listed class is
// correct. Cost: O(rows · v/64) to parse, O(rows) big-integer operations to count; memory
// O(rows · v/64).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/exact_matrix.hpp"
#include "format/json_fields.hpp"

namespace mechcert {

// One validated case row [m, q, c, mask]: the class Cls(m, q, c, S) of SPEC 5.1.
struct CubicCase {
  int64_t m = 0;               // max token, 0 <= m < v
  int64_t q = 0;               // query token, 0 <= q <= m
  int64_t c = 0;               // non-max non-query tokens: 0 <= c <= k-1, c <= k-2 if q < m
  std::vector<uint64_t> bits;  // S as a bit set over n < m (bit n of word n/64); empty if c == 0
  int64_t size = 1;            // |S| (1 for c == 0: the class is a single input)

  bool contains(int64_t n) const { return (bits[static_cast<size_t>(n >> 6)] >> (n & 63)) & 1u; }
};

// Parses and validates `cases` (the JSON array of steps[i].cases) against SPEC 5.1: every row is
// [m, q, c, mask] with integers in range, the mask has exactly ceil(m/4) lowercase hex digits,
// no bit >= m, a non-empty set for c >= 1 and "" for c == 0, and the rows are strictly increasing
// in (m, q, c) -- so no class is listed twice. Throws FormatError naming `where`[i].
std::vector<CubicCase> parse_cubic_cases(const nlohmann::json& cases, int64_t v, int64_t k,
                                         const JsonPath& where);

// Lemma C7: the exact number of inputs in the union of the classes, sum of C(k-1, c)·|S|^c.
// Re-checks as code (not as a comment) that the classes are disjoint subsets of {0..v-1}^k: each
// row within its class (|S| <= m), each max token's rows within the (m+1)^k - m^k inputs whose max
// is m, and the total <= v^k. Throws std::logic_error if one of these fails (impossible for a list
// that passed parse_cubic_cases: it is a second line of defence, tested directly).
BigInt cubic_count(const std::vector<CubicCase>& cases, int64_t v, int64_t k);

}  // namespace mechcert
