// The cubic proof search (paper/reference-algorithms.md §5; SPEC.md section 5): for every class
// (max m, query q, count c of non-max non-query tokens) decide, in double precision, which non-max
// values n the cubic bound certifies.
//
// Untrusted: it only proposes the case list. To keep the checker (which recomputes every bound
// with exact tables and outward rounding) from rejecting the certificate over a last-ulp
// difference, a value is proposed only when its normalised bound is below -margin · scale, with
// scale = 2 (max|EU| + max|EVOU| + 2 max|PVOU|) and margin 1e-9: a band far wider than any
// rounding error of either side, and far narrower than what the reference's float32 resolves.
// Cost: O(v^2·d + v·d^2) for the tables, then O(v^3·k) with O(1) per (m, q, c, n) thanks to prefix
// sums of the sorted positional weights; memory O(v^2 + v·k) plus the output rows. Parallel over m;
// the result does not depend on the thread count.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <boost/multiprecision/cpp_int.hpp>

#include "generator/path_tables.hpp"

namespace mechcert {

struct CubicRow {
  int64_t m = 0;          // max token
  int64_t q = 0;          // query token, q <= m
  int64_t c = 0;          // non-max tokens among the k-1 non-query positions
  std::string mask;       // c >= 1: hex bit mask of certified n < m (SPEC 5.1); c == 0: ""
  int64_t certified = 0;  // |S| (c == 0: 1)
};

struct CubicSearchResult {
  std::vector<CubicRow> rows;            // sorted by (m, q, c); only classes that certify something
  boost::multiprecision::cpp_int count;  // sum over rows of C(k-1, c) * |S|^c
  double seconds = 0;
};

struct CubicSearchOptions {
  int threads = 0;       // 0 = hardware concurrency
  double margin = 1e-9;  // relative safety margin (see above); 0 = the reference's plain "< 0"
  // The model the tables come from: if given, every proposed value also passes the conservative
  // re-check of conservative_weights.hpp (enclosures of the checker's weights), so that sharp
  // attention never yields a row the checker rejects. prove_cubic always gives it.
  const ModelWeights* weights = nullptr;
};

CubicSearchResult cubic_search(const PathTables& tables, const CubicSearchOptions& options = {});

// Hex mask of SPEC 5.1 (⌈m/4⌉ lowercase digits, most significant first) from per-n flags.
std::string cubic_mask_hex(const std::vector<uint8_t>& certified_n);

}  // namespace mechcert
