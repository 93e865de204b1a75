// The generator's walk of a hybrid certificate's residue (SPEC.md section 10): every input no
// cubic class covers, per (max token m, query q), decided in double precision, with the checker's
// work predicted.
//
// Why a file: the hybrid provers need, without enumerating all v^k inputs (evaluate_exact costs as
// much as brute force), (a) the number of correct residue inputs -- the claim is the class count
// plus that -- and (b) for the partial-residue strategy, per (m, q), the inputs gained and the
// checker operations they cost. The walk visits exactly the inputs the checker's walk visits
// (same pruning, same order) and counts the same prefixes, leaves and steps, so the predicted ops
// are the checker's up to the quick-bound outcomes (float here, intervals there).
// Untrusted, as everything in the generator: "correct" is the brute-force prover's rule (strict
// win by a relative margin above 1e-9), so the claim stays at or below what the checker certifies.
#pragma once
#include <cstdint>
#include <vector>

#include "generator/cubic_search.hpp"
#include "generator/path_tables.hpp"

namespace mechcert {

// What the walk of one (m, q) costs and yields (counters mirror checker/hybrid.cpp).
struct ResidueCaseStats {
  uint64_t inputs = 0;       // residue inputs of the case
  uint64_t correct = 0;      // of which the model answers m strictly (margin > 1e-9 relative)
  uint64_t prefixes = 0;     // prefixes entered
  uint64_t full_tests = 0;   // leaves the quick bound does not decide
  uint64_t sum_vectors = 0;  // prefix-sum vectors formed for the full tests
  uint64_t max_vectors = 0;  // their maxima over x != m (Lemma H3)
  uint64_t second_tests = 0; // leaves tested by Lemma H3
  uint64_t leaf_steps = 0, inner_steps = 0;
};

struct ResidueWalkResult {
  int64_t v = 0, k = 0, v_out = 0;
  std::vector<ResidueCaseStats> cases;  // [m * v + q]; zero for q > m and unselected cases
  std::vector<uint8_t> sharp;           // [q]: scores span too much for one shift; not walked
  // [q * v + M]: comparisons of the checker's top-2 scan over the rows of query q's tables built
  // for tokens <= M (SPEC 10.5), predicted from the float rows.
  std::vector<uint64_t> top2_compares;
};

// The checker's ops for query q's tables when the largest walked max token is M (SPEC 10.5);
// 0 for M < 0.
uint64_t residue_query_table_ops(const ResidueWalkResult& walk, int64_t q, int64_t max_token);

// Walks the residue of `rows` for every (m, q) with selected[m * v + q] != 0 (nullptr: all).
// Queries without a selected case get no top2_compares (zero).
// Queries whose attention is sharp (SPEC 3.8) are skipped and flagged in `sharp`.
ResidueWalkResult walk_residue(const PathTables& tables, const std::vector<CubicRow>& rows,
                               const std::vector<uint8_t>* selected, int threads);

// The checker's op count (SPEC 10.5) for walking one case, without the per-query tables.
uint64_t residue_case_ops(const ResidueCaseStats& s, int64_t k, int64_t v_out);

}  // namespace mechcert
