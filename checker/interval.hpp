// Closed binary64 intervals [lo, hi] and outward-rounded operations on them.
//
// PRECONDITION for every function in this file: the calling thread's rounding mode is FE_UPWARD
// (an UpwardRounding guard from checker/fp_environment.hpp is alive). Then `a + b` rounds up, so
// `_up` results are >= the exact real result, and the `_down` results are computed as
// -((-a) op b), which is <= the exact real result. No function here checks the mode (that would
// cost more than the operation); misuse is caught by tests, not at run time.
//
// Inputs must be finite (the checker never builds an interval with an infinite or NaN endpoint:
// enclosures that would overflow are rejected where they are made).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mechcert {

struct Interval {
  double lo;  // lower endpoint (a real number >= lo is contained)
  double hi;  // upper endpoint, lo <= hi
};

// --- scalars (round up / round down of the exact real result) ---
inline double add_up(double a, double b) { return a + b; }
inline double add_down(double a, double b) { return -((-a) - b); }
inline double sub_up(double a, double b) { return a - b; }
inline double sub_down(double a, double b) { return -(b - a); }
inline double mul_up(double a, double b) { return a * b; }
inline double mul_down(double a, double b) { return -((-a) * b); }
// Division by b > 0 (callers guarantee the sign; a / b then rounds as the mode says).
inline double div_up(double a, double b) { return a / b; }
inline double div_down(double a, double b) { return -((-a) / b); }

// --- intervals: the result contains {x op y : x in a, y in b} ---
inline Interval add(Interval a, Interval b) { return {add_down(a.lo, b.lo), add_up(a.hi, b.hi)}; }
inline Interval sub(Interval a, Interval b) { return {sub_down(a.lo, b.hi), sub_up(a.hi, b.lo)}; }
inline Interval neg(Interval a) { return {-a.hi, -a.lo}; }

// General product: min/max of the four endpoint products, each rounded outward.
inline Interval mul(Interval a, Interval b) {
  double l1 = mul_down(a.lo, b.lo), l2 = mul_down(a.lo, b.hi);
  double l3 = mul_down(a.hi, b.lo), l4 = mul_down(a.hi, b.hi);
  double h1 = mul_up(a.lo, b.lo), h2 = mul_up(a.lo, b.hi);
  double h3 = mul_up(a.hi, b.lo), h4 = mul_up(a.hi, b.hi);
  double lo = l1 < l2 ? l1 : l2;
  lo = lo < l3 ? lo : l3;
  lo = lo < l4 ? lo : l4;
  double hi = h1 > h2 ? h1 : h2;
  hi = hi > h3 ? hi : h3;
  hi = hi > h4 ? hi : h4;
  return {lo, hi};
}

// Upper bound of w*c over w in [w.lo, w.hi] with 0 <= w.lo, c in [c_lo? , c_hi]: the maximum is
// at w.hi if c_hi >= 0, else at w.lo.
inline double mul_nonneg_upper(Interval w, double c_hi) {
  return c_hi >= 0 ? mul_up(w.hi, c_hi) : mul_up(w.lo, c_hi);
}
// Lower bound of w*c over w in [w.lo, w.hi] with 0 <= w.lo, c >= c_lo.
inline double mul_nonneg_lower(Interval w, double c_lo) {
  return c_lo >= 0 ? mul_down(w.lo, c_lo) : mul_down(w.hi, c_lo);
}
// Product with a nonnegative interval w (w.lo >= 0): contains {x*y : x in w, y in c}.
inline Interval mul_nonneg(Interval w, Interval c) {
  return {mul_nonneg_lower(w, c.lo), mul_nonneg_upper(w, c.hi)};
}

inline bool contains(Interval a, double x) { return a.lo <= x && x <= a.hi; }

// A matrix of enclosures: lo[i] <= exact value <= hi[i], row-major (index r * cols + c).
struct IntervalMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> lo, hi;

  IntervalMatrix() = default;
  IntervalMatrix(int64_t r, int64_t c)  // every entry [0, 0]
      : rows(r), cols(c), lo(static_cast<size_t>(r * c), 0.0), hi(lo) {}
  Interval at(int64_t r, int64_t c) const {
    const auto i = static_cast<size_t>(r * cols + c);
    return {lo[i], hi[i]};
  }
};

}  // namespace mechcert
