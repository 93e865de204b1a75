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
#include <vector>

#include "checker/exact_matrix.hpp"
#include "checker/interval.hpp"

namespace mechcert {

// How the functions below enclose exp: with MPFR (SPEC 3.3, Lemma A2) or with the binary64
// enclosure of checker/exp_binary64.hpp (SPEC 3.7, Lemma A3). Both satisfy the contract above.
// Process-wide; set once before checking (`mechcert-check --exp`). The op counts do not depend on
// it (one `exp` per enclosure either way).
enum class ExpMethod { mpfr, binary64 };
// [RD(sqrt d), RU(sqrt d)] in binary64 for an integer 1 <= d <= 2^53 (SPEC 3.3): the attention
// scale's two roundings. Sets the rounding mode itself.
Interval sqrt_enclose(int64_t d);

void set_exp_method(ExpMethod method);
ExpMethod exp_method();

// Encloses exp((z * 2^e) / sqrt(d_head)); d_head >= 1.
Interval exp_div_sqrt_enclose(const BigInt& z, long e, int64_t d_head);

// Per entry of `x`: encloses exp(x(i,j) / sqrt(d_head)).
IntervalMatrix exp_div_sqrt_enclose(const ExactMatrix& x, int64_t d_head);

// For the rows r in [row_begin, row_end) of `x` (an enclosure of a real matrix X): out(r,c)
// encloses exp((y - shift[r]) / sqrt(d_head)) for every real y in [x.lo(r,c), x.hi(r,c)], hence
// exp((X(r,c) - shift[r]) / sqrt(d_head)). One MPFR exp per entry (SPEC 3.3, Lemma A2): the lower
// bound is exp of the rounded-down argument t_lo, rounded down to y (64 bits); the upper bound is
// the next 64-bit number above y times up(1 + δ + δ²), δ = up(t_hi - t_lo), when δ <= 2^-20, else
// a second exp rounded up. `out` must already have the shape of `x`; other rows are not touched,
// so threads may fill disjoint row ranges. Throws std::runtime_error if an upper bound overflows.
void exp_shifted_enclose_rows(const IntervalMatrix& x, const std::vector<double>& shift,
                              int64_t d_head, int64_t row_begin, int64_t row_end,
                              IntervalMatrix& out);

}  // namespace mechcert
