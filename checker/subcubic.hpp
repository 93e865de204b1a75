// The subcubic proofs' bounds (SPEC.md section 7, Lemmas S1-S4; paper: reference-algorithms.md
// §6): decides, from the enclosed path tables of the cubic strategy, whether every listed class
// Gap(m, q, c, g) -- all inputs whose non-max tokens are <= m - g -- is correctly classified,
// without enumerating the non-max values.
//
// What it costs: the path tables and exps of checker/attention_tables.hpp (SPEC 5.2, 7.11), the EU option
// (checker/eu_bound.hpp), O(v^2) prefix extremes, then O(v + k·v) per max token, O(v) per block
// and O(1) per row: no O(v^3) work. Memory O(v^2 + v·k) besides the row list.
#pragma once
#include <string>
#include <vector>

#include "checker/check.hpp"
#include "checker/subcubic_options.hpp"

namespace mechcert {

// The strategy names of SPEC 7: subcubic_strategy_names() (checker/subcubic_options.hpp).

// Any of those strategies: steps [path-tables, eu-bound, gap-classes]; parses, checks, counts.
// With an EQKE approximation (SPEC 7.11) the path-tables step carries the option and its hints
// and the score table is Ehat with the residual bound, never the v×v product EQKE.
// Throws CertificateRejected naming the first failing row, FormatError for malformed steps.
StrategyOutcome check_subcubic_strategy(const StrategyInput& input);

}  // namespace mechcert
