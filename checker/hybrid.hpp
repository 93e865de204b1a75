// The hybrid strategy "hybrid/cubic+brute-force" (SPEC.md section 10, Lemma H1): the cubic class
// part certifies classes as in the strategy "cubic"; the checker then derives, by itself, the
// residue -- every input of the space that no listed class covers -- and decides each residue
// input by the brute-force lemma (SPEC 4.2 Lemma B). The count is the cubic count plus the
// certified residue inputs: the exact brute-force count at the cost of the residue.
//
// Why a file: the coverage argument (classes and residue are disjoint and cover {0..v-1}^k, no
// input visited twice) is the one new lemma; it lives here, in one enumeration shared by the check
// and by the tests that count every input's coverage. Cost: the cubic check, the brute-force
// tables for the queries whose residue is not empty (v·k·v_out interval operations and k·v exps
// each), then about v_out + 2 interval additions and v_out + 1 comparisons per residue input plus
// 2·v_out per shared prefix. Queries run on `threads` threads; results do not depend on it.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "checker/brute_force.hpp"
#include "checker/check.hpp"
#include "checker/cubic_cases.hpp"
#include "format/json_fields.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

// Refuses a residue larger than this (the brute-force bound of SPEC 6.3).
inline constexpr uint64_t kMaxResidueInputs = uint64_t{1} << 40;

// The listed classes indexed by (m, q, c) (validated rows, parse_cubic_cases).
class ClassIndex {
 public:
  ClassIndex(const std::vector<CubicCase>& cases, int64_t v, int64_t k);
  // The row of class (m, q, c), or nullptr if the list has none.
  const CubicCase* find(int64_t m, int64_t q, int64_t c) const {
    const int32_t i = row_[static_cast<size_t>((m * v_ + q) * k_ + c)];
    return i < 0 ? nullptr : &(*cases_)[static_cast<size_t>(i)];
  }
  int64_t v() const { return v_; }
  int64_t k() const { return k_; }

 private:
  const std::vector<CubicCase>* cases_;
  int64_t v_, k_;
  std::vector<int32_t> row_;  // [v, v, k]: index into cases or -1
};

// Lemma H1's enumeration for one query q: calls visit(t) for every input t (t[k-1] = q) in the
// residue of `classes`, in the checker's order. For tests (tiny models); the checker runs the same
// enumeration with Lemma B at the leaves.
// With `selected` ([m * v + q], SPEC 10.7), only the residue of the marked cases (m, q).
void for_each_residue_input(const ClassIndex& classes, int64_t q,
                            const std::function<void(const std::vector<int64_t>&)>& visit,
                            const std::vector<uint8_t>* selected = nullptr);

struct HybridResidue {
  uint64_t inputs = 0;     // residue inputs enumerated (= v^k - cubic count, checked)
  uint64_t certified = 0;  // of which Lemma B certifies
  OpCounts ops;
  uint64_t paper_flops = 0;
};

// Enumerates the residue of `cases` (which check_cubic has accepted) with Lemma B. Throws
// CertificateRejected if the residue exceeds kMaxResidueInputs, std::logic_error if the
// enumerated residue and the classes do not add up to v^k.
// With `selected` ([m * v + q], SPEC 10.7), only the residue of the marked cases (m, q).
HybridResidue check_residue(const ModelWeights& w, const std::vector<CubicCase>& cases,
                            int threads, const std::vector<uint8_t>* selected = nullptr);

// The exact number of residue inputs (SPEC 10.3 (iii); 10.7 for a selection).
BigInt residue_size(const std::vector<CubicCase>& cases, int64_t v, int64_t k,
                    const std::vector<uint8_t>* selected);

// SPEC 10.7: a step's "select" rows [m, q] (0 <= q <= m < v, strictly increasing in (m, q)) as
// flags [m * v + q]. Throws FormatError naming the row.
std::vector<uint8_t> parse_residue_selection(const nlohmann::json& rows, int64_t v,
                                             const JsonPath& where);

// The `inputs` range of a hybrid certificate's residue step (SPEC 10.8), as the queries
// [begin, end) it covers (the range must consist of whole queries); nullopt: the whole space.
// Throws FormatError naming the field.
std::optional<InputRange> hybrid_step_range(const Certificate& cert, int64_t v, int64_t k);

// The strategy "hybrid/cubic+brute-force" (SPEC 10.1): [path-tables, cubic-classes,
// brute-force-residue]; with `inputs` a part of a composition (SPEC 10.8).
StrategyOutcome check_hybrid_cubic_strategy(const StrategyInput& input);

// The strategy "hybrid/cubic+partial-brute-force" (SPEC 10.7): the same steps, the last one with
// "select": only the residue of the selected cases (m, q) is enumerated.
StrategyOutcome check_hybrid_partial_strategy(const StrategyInput& input);

}  // namespace mechcert
