// The subcubic proof search (SPEC.md section 7; paper/reference-algorithms.md §6): for every block
// (max m, count c of non-max non-query tokens) choose the reference attention ā, and for every
// query q the smallest gap g whose class Gap(m, q, c, g) (non-max tokens <= m - g) the bound of
// Lemmas S1-S4 certifies, in double precision.
//
// Untrusted: it only proposes (ā, gaps). As in cubic_search.hpp, a row is proposed only when its
// bound is below -margin · scale (scale = 2 (max|EU| + max|EVOU| + 2 max|PVOU|), margin 1e-9), so
// the checker's outward-rounded recomputation never rejects our own certificate over a last bit.
// The bound is non-increasing in g in exact arithmetic (a larger gap shrinks [a_lo, a_hi] and W),
// so the smallest certifying gap is found by bisection. ā is a hint the checker never checks
// (S3 holds for every ā): for `mean_query+diff` we pick, per block, the ā that maximises the
// block's certified count over a grid, refined by the mean attention of the certified rows.
// Cost: O(v^2 k log v) per candidate ā (O(v) for F(ā) per block, O(log v) bound evaluations per
// row), about 100 candidates per block for `mean_query+diff`, one for `drop_average…`: ~0.04 s
// for v = 64, k = 4. Parallel over m; the result does not depend on the thread count.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/multiprecision/cpp_int.hpp>

#include "generator/path_tables.hpp"
#include "generator/subcubic_eu_bound.hpp"

namespace mechcert {

// MeanQueryWeightedDiff: SPEC 7.25 (Lemma S16), the rows decided in sign form with score-weighted
// non-max OV terms; exact EQKE only.
enum class SubcubicAttention { MeanQueryDiff, DropAverage, MeanQueryWeightedDiff };

// "mean_query+diff", "drop_average_query_per_output_logit_reasoning", "mean_query+weighted_diff".
std::string subcubic_attention_name(SubcubicAttention option);
std::optional<SubcubicAttention> parse_subcubic_attention(const std::string& name);

struct SubcubicRow {
  int64_t q = 0;  // query token, q <= m
  int64_t g = 1;  // gap: the non-max tokens of the non-query positions are <= m - g (c = 0: 1)
};

struct SubcubicBlock {
  int64_t m = 0;                 // max token
  int64_t c = 0;                 // non-max tokens among the k-1 non-query positions
  double avg = 0;                // ā of Lemma S3, in [0, 1]
  std::vector<SubcubicRow> rows;  // strictly increasing q, non-empty
};

struct SubcubicSearchOptions {
  SubcubicEU eu = SubcubicEU::MaxDiffExact;
  SubcubicAttention attention = SubcubicAttention::MeanQueryDiff;
  // SPEC 7.11: per query the residual bound b[q] of an EQKE approximation (the tables' EQKE is then
  // Ehat); empty for the exact option (b = 0).
  std::vector<double> eqke_residual;
  int threads = 0;       // 0 = hardware concurrency
  double margin = 1e-9;  // relative safety margin (see above)
  // Re-check every row with enclosures of the checker's weights (conservative_weights.hpp), so that
  // sharp attention never yields a row the checker rejects; changes nothing for moderate scores.
  bool recheck = true;
};

struct SubcubicSearchResult {
  std::vector<SubcubicBlock> blocks;     // sorted by (m, c); only blocks with certified rows
  boost::multiprecision::cpp_int count;  // Σ_rows C(k-1, c) (m - g + 1)^c (1 for the all-m row)
  size_t rows = 0;
  double seconds = 0;
};

// `w` supplies Eq and U for the EU options that need them (SPEC 7.6); zero biases assumed (the
// tables must come from compute_path_tables(w, BiasPolicy::Reject)).
SubcubicSearchResult subcubic_search(const PathTables& tables, const ModelWeights& w,
                                     const SubcubicSearchOptions& options = {});

}  // namespace mechcert
