// Lemma A2 (SPEC 3.3): exp_shifted_enclose_rows, the cubic strategy's attention-weight enclosure,
// contains exp((y - shift) / sqrt(d)) for every y of the input interval -- checked against MPFR at
// 300 bits at both endpoints and inside -- on both of its branches (one exp and the
// 1 + δ + δ² bound; a second exp for wide intervals), at underflow, and is tight. Checker only.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "checker/exp_bounds.hpp"
#include "checker/fp_environment.hpp"

using namespace mechcert;

// Lemma A2 / SPEC 3.3 are MPFR's: these tests pin that method (checker/exp_bounds.hpp); the
// binary64 enclosure (Lemma A3) has its own tests (test_exp_binary64.cpp).
static const bool kMpfrMethod = (set_exp_method(ExpMethod::mpfr), true);

namespace {

// Sign of exp((y - shift) / sqrt(d)) - bound, computed at 300 bits (exp of a nonzero rational is
// irrational, so a tie can only happen at y == shift, where exp = 1 exactly).
int compare_exp(double y, double shift, int64_t d, double bound) {
  mpfr_t x, s;
  mpfr_inits2(300, x, s, static_cast<mpfr_ptr>(nullptr));
  mpfr_set_d(x, y, MPFR_RNDN);
  mpfr_sub_d(x, x, shift, MPFR_RNDN);  // exact at 300 bits for the magnitudes used here
  mpfr_set_si(s, static_cast<long>(d), MPFR_RNDN);
  mpfr_sqrt(s, s, MPFR_RNDN);
  mpfr_div(x, x, s, MPFR_RNDN);
  mpfr_exp(x, x, MPFR_RNDN);
  const int c = mpfr_cmp_d(x, bound);
  mpfr_clears(x, s, static_cast<mpfr_ptr>(nullptr));
  return c;
}

Interval enclose_one(double lo, double hi, double shift, int64_t d) {
  IntervalMatrix x(1, 1), out(1, 1);
  x.lo[0] = lo;
  x.hi[0] = hi;
  exp_shifted_enclose_rows(x, {shift}, d, 0, 1, out);
  return out.at(0, 0);
}

void require_encloses(double lo, double hi, double shift, int64_t d, std::mt19937_64& g) {
  const Interval r = enclose_one(lo, hi, shift, d);
  INFO("[" << lo << ", " << hi << "] - " << shift << ", d = " << d << " -> [" << r.lo << ", "
           << r.hi << "]");
  REQUIRE(r.lo >= 0);
  REQUIRE(r.lo <= r.hi);
  REQUIRE(compare_exp(lo, shift, d, r.lo) >= 0);
  REQUIRE(compare_exp(hi, shift, d, r.hi) <= 0);
  std::uniform_real_distribution<double> inside(lo, hi);
  for (int i = 0; i < 3; ++i) {
    const double y = std::clamp(inside(g), lo, hi);
    REQUIRE(compare_exp(y, shift, d, r.lo) >= 0);
    REQUIRE(compare_exp(y, shift, d, r.hi) <= 0);
  }
}

double ulps_apart(double a, double b) {  // a <= b, both positive normal
  return (b - a) / (std::nextafter(a, INFINITY) - a);
}

// exp((hi - shift)/sqrt(d)) - exp((lo - shift)/sqrt(d)) at 300 bits, rounded to nearest.
double spread(double lo, double hi, double shift, int64_t d) {
  mpfr_t a, b, s;
  mpfr_inits2(300, a, b, s, static_cast<mpfr_ptr>(nullptr));
  mpfr_set_si(s, static_cast<long>(d), MPFR_RNDN);
  mpfr_sqrt(s, s, MPFR_RNDN);
  mpfr_set_d(a, lo, MPFR_RNDN);
  mpfr_sub_d(a, a, shift, MPFR_RNDN);
  mpfr_div(a, a, s, MPFR_RNDN);
  mpfr_exp(a, a, MPFR_RNDN);
  mpfr_set_d(b, hi, MPFR_RNDN);
  mpfr_sub_d(b, b, shift, MPFR_RNDN);
  mpfr_div(b, b, s, MPFR_RNDN);
  mpfr_exp(b, b, MPFR_RNDN);
  mpfr_sub(b, b, a, MPFR_RNDN);
  const double r = mpfr_get_d(b, MPFR_RNDN);
  mpfr_clears(a, b, s, static_cast<mpfr_ptr>(nullptr));
  return r;
}

}  // namespace

TEST_CASE("shifted exp encloses exp on point, narrow and wide intervals", "[arithmetic][a2]") {
  require_sound_fp_environment();
  std::mt19937_64 g(12);
  std::uniform_real_distribution<double> value(-400.0, 30.0), shift(-20.0, 300.0);
  std::uniform_int_distribution<int> width_exp(-60, 4), kind(0, 2);
  for (int i = 0; i < 6000; ++i) {
    const int64_t d = 1 + i % 97;
    const double s = shift(g), lo = value(g);
    const int k = kind(g);
    double hi = lo;                                                         // k == 0: a point
    if (k == 1) hi = lo + std::ldexp(1.0, width_exp(g)) * std::fabs(lo);  // any width
    if (k == 2) hi = std::nextafter(std::nextafter(lo, INFINITY), INFINITY);
    if (hi > s + 30) continue;  // keep exp((hi - s)/sqrt(d)) well inside binary64
    require_encloses(lo, hi, s, d, g);
  }
}

TEST_CASE("shifted exp is tight", "[arithmetic][a2]") {
  require_sound_fp_environment();
  std::mt19937_64 g(3);
  std::uniform_real_distribution<double> value(-500.0, 0.0);
  for (int i = 0; i < 3000; ++i) {
    const double lo = value(g);
    // A point: at most 2 ulps wide (the lower bound rounds down, the upper bound exceeds the
    // 64-bit lower bound by far less than one binary64 ulp before rounding up).
    const Interval p = enclose_one(lo, lo, 0.0, 32);
    REQUIRE(ulps_apart(p.lo, p.hi) <= 2);
    // An interval of relative width 1e-14 (the path tables' widths are of this order): the
    // bound's width is that of exp over the interval plus at most 2 ulps.
    const double hi = lo * (1 - 1e-14);
    const Interval r = enclose_one(lo, hi, 0.0, 32);
    const double ulp = std::nextafter(r.hi, INFINITY) - r.hi;
    REQUIRE(r.hi - r.lo <= spread(lo, hi, 0.0, 32) * (1 + 1e-6) + 3 * ulp);
  }
}

TEST_CASE("shifted exp: exp(0), underflow, overflow and bad inputs", "[arithmetic][a2]") {
  require_sound_fp_environment();
  const Interval one = enclose_one(5.0, 5.0, 5.0, 16);  // exp(0) = 1
  CHECK(one.lo == 1.0);
  CHECK(one.hi >= 1.0);
  CHECK(one.hi <= std::nextafter(1.0, 2.0));
  // exp(-1e6 / 1) underflows binary64: the lower bound is 0, the upper bound the least subnormal.
  const Interval tiny = enclose_one(-1e6, -1e6, 0.0, 1);
  CHECK(tiny.lo == 0.0);
  CHECK(tiny.hi == std::numeric_limits<double>::denorm_min());
  // ... even below MPFR's own exponent range (exp(-1e300) is below 2^(emin - 1)).
  const Interval tinier = enclose_one(-1e300, -1e300, 0.0, 1);
  CHECK(tinier.lo == 0.0);
  CHECK(tinier.hi == std::numeric_limits<double>::denorm_min());
  // Near the subnormal range the bounds stay ordered and contain the value.
  std::mt19937_64 g(1);
  for (double y = -745.5; y < -700; y += 0.37) require_encloses(y, y, 0.0, 1, g);
  // An upper bound that overflows binary64 is an error.
  REQUIRE_THROWS_AS(enclose_one(800.0, 800.0, 0.0, 1), std::runtime_error);
  REQUIRE_THROWS_AS(enclose_one(0.0, 1e300, -1e300, 1), std::runtime_error);
  // Non-finite or inverted intervals, bad shapes and d_head are refused.
  REQUIRE_THROWS_AS(enclose_one(std::nan(""), 0.0, 0.0, 1), std::invalid_argument);
  REQUIRE_THROWS_AS(enclose_one(0.0, INFINITY, 0.0, 1), std::invalid_argument);
  REQUIRE_THROWS_AS(enclose_one(1.0, 0.0, 0.0, 1), std::invalid_argument);
  REQUIRE_THROWS_AS(enclose_one(0.0, 0.0, 0.0, 0), std::invalid_argument);
  IntervalMatrix x(2, 2), out(2, 3);
  REQUIRE_THROWS_AS(exp_shifted_enclose_rows(x, {0.0, 0.0}, 4, 0, 2, out), std::invalid_argument);
}

TEST_CASE("shifted exp: row ranges fill only their rows and do not change the values",
          "[arithmetic][a2]") {
  require_sound_fp_environment();
  std::mt19937_64 g(8);
  std::uniform_real_distribution<double> value(-50.0, 0.0);
  IntervalMatrix x(5, 4);
  for (size_t i = 0; i < x.lo.size(); ++i) {
    x.lo[i] = value(g);
    x.hi[i] = x.lo[i] + 1e-12;
  }
  const std::vector<double> shift{0.0, 1.0, -1.0, 2.5, 0.0};
  IntervalMatrix whole(5, 4), split(5, 4);
  exp_shifted_enclose_rows(x, shift, 7, 0, 5, whole);
  exp_shifted_enclose_rows(x, shift, 7, 3, 5, split);
  CHECK(split.lo[0] == 0.0);  // rows 0..2 untouched
  exp_shifted_enclose_rows(x, shift, 7, 0, 3, split);
  CHECK(whole.lo == split.lo);
  CHECK(whole.hi == split.hi);
}
