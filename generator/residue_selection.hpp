// Which cases (max token m, query q) a partial-residue certificate lets the checker enumerate
// (SPEC.md 10.7): the most correct residue inputs for a budget of checker operations.
//
// Why a file: the choice is a small knapsack with a fixed cost per query (the checker builds the
// brute-force tables of query q for the tokens up to the largest selected m, SPEC 10.5), solved by
// a Lagrangian threshold: for a price λ per op, each query independently takes the largest max
// token M and the cases m <= M worth more than they cost; λ is bisected to the budget, and the
// budget left over is filled case by case. Untrusted: the checker recounts everything.
#pragma once
#include <cstdint>
#include <vector>

#include "generator/residue_walk.hpp"

namespace mechcert {

struct ResidueSelection {
  std::vector<uint8_t> selected;  // [m * v + q]
  uint64_t predicted_ops = 0;     // tables + walks of the selected cases (without the shared tables)
  uint64_t correct = 0;           // correct residue inputs of the selected cases
  uint64_t inputs = 0;            // residue inputs of the selected cases
};

// Cases of `walk` (sharp queries excluded) within `budget` predicted checker ops.
ResidueSelection select_residue_cases(const ResidueWalkResult& walk, uint64_t budget);

}  // namespace mechcert
