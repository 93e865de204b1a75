// Outward-rounded binary64 matrix arithmetic on weights (SPEC.md 3.1, Lemma A1).
//
// A weight matrix (format/model_weights.hpp Matrix) holds exact binary64 values; products of
// weight matrices are enclosed entrywise in binary64 intervals by accumulating, with the rounding
// mode set to upward, every term's upper bound rounded up and every term's lower bound rounded
// down. No rounding error is estimated: each single operation is rounded in the direction that
// keeps the real result inside, so the enclosure holds for any inputs, including subnormal
// results, and an exactly representable result comes out exact. Each function sets and restores
// the rounding mode itself (UpwardRounding), so it has no precondition on the caller's mode.
// A result endpoint that overflows binary64 throws std::runtime_error (never an infinite bound).
// Cost: 2 multiplications and 2 additions per scalar multiply-add (about 1 ns each).
#pragma once
#include <cstdint>

#include "checker/interval.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

// [a, a] per entry (exact).
IntervalMatrix point_matrix(const Matrix& a);

// Exact.
IntervalMatrix transpose(const IntervalMatrix& a);
Matrix transpose(const Matrix& a);

// a + (row `row` of b, added to every row of a); a.cols == b.cols.
IntervalMatrix add_row_broadcast(const Matrix& a, const Matrix& b, int64_t row);

// Encloses {x·y : x = a, y ∈ b}: a point, b an interval matrix; a.cols == b.rows.
IntervalMatrix multiply(const Matrix& a, const IntervalMatrix& b);

// Encloses {x·y : x ∈ a, y = b}: computed as (bᵀ·aᵀ)ᵀ.
IntervalMatrix multiply(const IntervalMatrix& a, const Matrix& b);

// Encloses a·b for two point matrices.
inline IntervalMatrix multiply_points(const Matrix& a, const Matrix& b) {
  return multiply(a, point_matrix(b));
}

}  // namespace mechcert
