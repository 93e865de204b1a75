// A rigorous exp enclosure in binary64 (SPEC.md 3.7, Lemma A3), the fast alternative to MPFR for
// the attention weights (`mechcert-check --exp binary64`).
//
// Why: the checker's exps were MPFR calls (about a microsecond each, 8-12 ms of a subcubic check).
// This evaluates exp(t) = 2^k · exp(r), r = t − k·ln2, with ln2 split into a 32-bit head and an
// enclosed tail, a degree-14 Taylor polynomial with interval coefficients, a proven remainder
// bound, and every operation rounded outward (upward mode, checker/interval.hpp); the scaling by
// 2^k is exact except where the result is subnormal or overflows, and there it is rounded outward
// too. Cost: about 60 binary64 operations per bound, some tens of nanoseconds.
// Contract (the same as checker/exp_bounds.hpp): lo <= exp(t) <= hi, lo >= 0 (lo may underflow to
// 0), hi is +inf only when exp(t) may exceed the largest binary64 (callers refuse that).
#pragma once

#include "checker/interval.hpp"

namespace mechcert {

// The constants of Lemma A3: MPFR's 256-bit values rounded outward to binary64, held as literals
// (checker_test_exp_binary64 derives them with MPFR and requires the same bits).
struct Exp64Constants {
  double ln2_head = 0;                 // ln 2 rounded to 32 bits: k · ln2_head is exact for |k| < 2^21
  double ln2_tail_lo = 0, ln2_tail_hi = 0;  // ln2_tail_lo <= ln 2 − ln2_head <= ln2_tail_hi
  double inv_ln2 = 0;                  // ≈ 1/ln 2 (only chooses k; soundness does not depend on it)
  double coef_lo[15] = {}, coef_hi[15] = {};  // coef_lo[i] <= 1/i! <= coef_hi[i]
  double remainder = 0;                // >= e^ρ / 15!: |exp(r) − P(r)| <= remainder · |r|^15
};
inline constexpr double kReducedBound = 0.375;  // |r| <= ρ after the reduction (SPEC 3.7)
const Exp64Constants& exp64_constants();

// Lemma A3: lo <= exp(t_lo) and hi >= exp(t_hi) (so [lo, hi] contains exp(t) for every real
// t in [t_lo, t_hi]). t_lo, t_hi must not be NaN. PRECONDITION: FE_UPWARD.
Interval exp_enclose_binary64_up(double t_lo, double t_hi);

}  // namespace mechcert
