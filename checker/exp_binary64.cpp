#include "checker/exp_binary64.hpp"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace mechcert {
namespace {

constexpr int kDegree = 14;

// 2^j as a binary64, exactly, for -1022 <= j <= 1023 (built from the exponent bits).
inline double pow2(int j) {
  const uint64_t bits = static_cast<uint64_t>(j + 1023) << 52;
  double x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// Thresholds outside which no polynomial is evaluated (binary64 values, compared exactly):
// exp(t) < 2^-1074 for t <= -745.2 (ln 2^-1074 = -744.44...), exp(t) > DBL_MAX for t >= 709.79
// (ln DBL_MAX = 709.78...).
constexpr double kUnderflowBelow = -745.2;
constexpr double kOverflowAbove = 709.79;

// y · 2^k rounded down (lower = true) or up, for y >= 0 and |k| <= 1100. The scalings by 2^j with
// |j| <= 1000 in the normal range are exact; only the last multiplication can round (subnormal or
// overflowing result), and it rounds in the requested direction. PRECONDITION: FE_UPWARD.
inline double scale_pow2(double y, int k, bool lower) {
  double a = y;
  int rest = k;
  if (rest < -1000) {
    a = a * pow2(-1000);  // exact: y >= 2^-2 so a >= 2^-1002 stays normal
    rest += 1000;
  } else if (rest > 1000) {
    a = a * pow2(1000);   // exact: y <= 2 so a <= 2^1001
    rest -= 1000;
  }
  return lower ? mul_down(a, pow2(rest)) : mul_up(a, pow2(rest));
}

// Lemma A3 for one point: lo <= exp(t) (kLower) or hi >= exp(t). Each end needs only its own
// Horner evaluation (at r_lo, resp. r_hi), so an interval's two ends cost two, not four.
// PRECONDITION: FE_UPWARD.
template <bool kLower>
inline double exp_point_bound_up(const Exp64Constants& c, double t) {
  if (!(t > kUnderflowBelow)) return kLower ? 0.0 : 0x1p-1074;  // NaN excluded by the callers
  if (!(t < kOverflowAbove)) return kLower ? DBL_MAX : HUGE_VAL;
  const double kd = std::round(t * c.inv_ln2);  // |kd| <= 1076; any integer would be sound
  const int k = static_cast<int>(kd);
  // k · ln 2 in [kl, kh]: k · head is exact (k has 11 bits, head 32), the tail enclosed.
  const double kh_exact = kd * c.ln2_head;
  const double tail_lo = kd >= 0 ? mul_down(kd, c.ln2_tail_lo) : mul_down(kd, c.ln2_tail_hi);
  const double tail_hi = kd >= 0 ? mul_up(kd, c.ln2_tail_hi) : mul_up(kd, c.ln2_tail_lo);
  const double r_lo = sub_down(sub_down(t, kh_exact), tail_hi);  // r = t − k ln 2 in [r_lo, r_hi]
  const double r_hi = sub_up(sub_up(t, kh_exact), tail_lo);
  if (!(r_lo >= -kReducedBound && r_hi <= kReducedBound)) return kLower ? 0.0 : HUGE_VAL;  // cannot happen
  // Taylor polynomial at the point r_lo (for the lower bound) or r_hi (upper), Horner in
  // interval arithmetic with the coefficient enclosures: P(r) in [lo, hi].
  auto horner = [&](double r) {
    double lo = c.coef_lo[kDegree], hi = c.coef_hi[kDegree];
    for (int i = kDegree - 1; i >= 0; --i) {
      const double plo = r >= 0 ? mul_down(lo, r) : mul_down(hi, r);
      const double phi = r >= 0 ? mul_up(hi, r) : mul_up(lo, r);
      lo = add_down(plo, c.coef_lo[i]);
      hi = add_up(phi, c.coef_hi[i]);
    }
    return Interval{lo, hi};
  };
  // Remainder bound at a point: e^ρ / 15! · |r|^15, every product rounded up (0 at r = 0).
  auto remainder_up = [&](double r) {
    const double a = std::fabs(r), a2 = a * a, a4 = a2 * a2, a8 = a4 * a4;
    return c.remainder * (a8 * (a4 * (a2 * a)));
  };
  if constexpr (kLower) {
    const double y_lo = sub_down(horner(r_lo).lo, remainder_up(r_lo));  // <= exp(r_lo) <= exp(r)
    return y_lo > 0 ? scale_pow2(y_lo, k, true) : 0.0;
  } else {
    const double y_hi = add_up(horner(r_hi).hi, remainder_up(r_hi));  // >= exp(r_hi) >= exp(r)
    return scale_pow2(y_hi, k, false);
  }
}

}  // namespace

const Exp64Constants& exp64_constants() {
  // MPFR's values rounded outward (checker_test_exp_binary64 derives them with MPFR at 256 bits
  // and compares bit for bit). Literals rather than a derivation at start-up: the MPFR calls and
  // the first touch of their code took ~0.12 ms of every check.
  static constexpr Exp64Constants c = {
      .ln2_head = 0x1.62e42ffp-1,
      .ln2_tail_lo = -0x1.718432a1b0e27p-35,
      .ln2_tail_hi = -0x1.718432a1b0e26p-35,
      .inv_ln2 = 0x1.71547652b82fep+0,
      .coef_lo = {0x1p+0, 0x1p+0, 0x1p-1, 0x1.5555555555555p-3, 0x1.5555555555555p-5,
                  0x1.1111111111111p-7, 0x1.6c16c16c16c16p-10, 0x1.a01a01a01a01ap-13,
                  0x1.a01a01a01a01ap-16, 0x1.71de3a556c733p-19, 0x1.27e4fb7789f5cp-22,
                  0x1.ae64567f544e3p-26, 0x1.1eed8eff8d897p-29, 0x1.6124613a86d09p-33,
                  0x1.93974a8c07c9dp-37},
      .coef_hi = {0x1p+0, 0x1p+0, 0x1p-1, 0x1.5555555555556p-3, 0x1.5555555555556p-5,
                  0x1.1111111111112p-7, 0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01bp-13,
                  0x1.a01a01a01a01bp-16, 0x1.71de3a556c734p-19, 0x1.27e4fb7789f5dp-22,
                  0x1.ae64567f544e4p-26, 0x1.1eed8eff8d898p-29, 0x1.6124613a86d0ap-33,
                  0x1.93974a8c07c9ep-37},
      .remainder = 0x1.392f4c00a6cc6p-40,
  };
  return c;
}

Interval exp_enclose_binary64_up(double t_lo, double t_hi) {
  const Exp64Constants& c = exp64_constants();
  return {exp_point_bound_up<true>(c, t_lo), exp_point_bound_up<false>(c, t_hi)};
}

}  // namespace mechcert
