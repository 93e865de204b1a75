// The cubic proof's bounds (SPEC.md section 5, Lemmas C1-C6; paper: reference-algorithms.md §5):
// decides, with outward-rounded binary64 enclosures of the path tables and outward-rounded
// binary64 bounds, whether every listed class Cls(m, q, c, S) consists of correctly classified
// inputs.
//
// What it costs: the five path tables as outward-rounded binary64 interval products of the
// weights (O(v^2·d + v·d^2) directed operations, SPEC 3.1 Lemma A1), one MPFR exp per entry of
// EQKE and EQKP (Lemma A2), then per max token m O(v·(m+1) + k·v) interval operations and
// O(1) per listed (m, q, c, n). Memory O(v^2 + v·k) besides the case list: no table of size v^3
// is ever formed. The exps and the rows run on `threads` threads; the result (verdict, message,
// counts) depends on nothing but the inputs.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "checker/attention_tables.hpp"
#include "checker/check.hpp"
#include "checker/cubic_cases.hpp"
#include "checker/exact_matrix.hpp"
#include "checker/proof_length.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

// At most one row per class (m, q, c): v^2 k / 2 for the largest v and k the format allows is far
// more than any real certificate; this bounds allocation before parsing.
inline constexpr size_t kMaxCubicRows = size_t{1} << 26;

// Lemma C1: enclosures of the path tables of a zero-bias model, exponentials already shifted
// (checker/attention_tables.hpp with the exact EQKE option).
using CubicTables = AttentionTables;

// The table stage (SPEC 5.2): attention_tables(w, EqkeOption::Exact, ...). Throws
// CertificateRejected if the model has a non-zero bias, v_out != v or k < 2 (the lemmas do not
// apply). The exps run on `threads` threads (>= 1); the tables do not depend on it.
CubicTables cubic_tables(const ModelWeights& w, OpCounts& ops, uint64_t& paper_flops,
                         int threads = 1);

struct CubicVerdict {
  BigInt count;  // inputs covered by the (all certified) rows, Lemma C7
  OpCounts ops;  // proof length by kind
  uint64_t paper_flops = 0;
};

// Checks every row of `cases` (already validated by parse_cubic_cases) against SPEC 5.8-5.9 and
// counts the covered inputs. Throws CertificateRejected naming `where`[i] and the first failing
// value. Requires require_sound_fp_environment() to have passed; sets the rounding mode itself.
// The threads worth using for check_cubic on these rows (at most `threads`; parallel.hpp).
int cubic_threads(const ModelWeights& w, const std::vector<CubicCase>& cases, int threads);

CubicVerdict check_cubic(const ModelWeights& w, const std::vector<CubicCase>& cases,
                         const std::string& where, int threads = 1);

// Steps 0 and 1 of a certificate, [path-tables, cubic-classes] (SPEC 5.1), parsed and validated;
// `where` names the case list in messages ("cert.json: steps[1].cases"). Shared by "cubic" and the
// hybrid strategies (SPEC 10); the caller checks the step kinds' count (expect_step_kinds).
struct CubicSteps {
  std::vector<CubicCase> cases;
  std::string where;
};
CubicSteps read_cubic_steps(const Certificate& cert, const ModelWeights& w);

// The strategy "cubic" (SPEC 5.1): steps [path-tables, cubic-classes]; parses, checks, counts.
StrategyOutcome check_cubic_strategy(const StrategyInput& input);

}  // namespace mechcert
