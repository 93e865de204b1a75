// Enclosures of exp(x / sqrt(d_head)) for exact dyadic x, the attention weights of the model.
//
// glibc's exp is not correctly rounded and Boost's mpfr_float rounds to nearest only, so both
// bounds come from MPFR with directed rounding: for the lower bound x / sqrt(d_head) is rounded
// down (sqrt rounded up when x >= 0, down when x < 0) and exp rounded down (MPFR_RNDD); the upper
// bound symmetrically with MPFR_RNDU. The returned Interval satisfies
//     lo <= exp(x / sqrt(d_head)) <= hi,   0 <= lo,   hi finite.
// lo may underflow to 0 (sound: exp > 0). hi never rounds down; if it would overflow binary64 the
// function throws std::runtime_error (shift scores before exponentiating so they are <= 0).
// Cost: two MPFR exps at 64 bits, about 1-2 microseconds.
// See SPEC.md "Arithmetic".
#pragma once
#include <cstdint>

#include "checker/exact_matrix.hpp"
#include "checker/interval.hpp"

namespace mechcert {

// Encloses exp((z * 2^e) / sqrt(d_head)); d_head >= 1.
Interval exp_div_sqrt_enclose(const BigInt& z, long e, int64_t d_head);

// Per entry of `x`: encloses exp(x(i,j) / sqrt(d_head)).
IntervalMatrix exp_div_sqrt_enclose(const ExactMatrix& x, int64_t d_head);

}  // namespace mechcert
