// Containment tests (Arb/MPFR style) for the checker's arithmetic: for random inputs, the exact
// result computed at high precision must lie inside every computed enclosure.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include <mpfr.h>

#include "checker/exact_matrix.hpp"
#include "checker/exp_bounds.hpp"
#include "checker/fp_environment.hpp"
#include "checker/interval.hpp"

using namespace mechcert;

// Lemma A2 / SPEC 3.3 are MPFR's: these tests pin that method (checker/exp_bounds.hpp); the
// binary64 enclosure (Lemma A3) has its own tests (test_exp_binary64.cpp).
static const bool kMpfrMethod = (set_exp_method(ExpMethod::mpfr), true);

namespace {

double random_double(std::mt19937_64& g) {
  std::uniform_real_distribution<double> mant(-1.0, 1.0);
  std::uniform_int_distribution<int> ex(-30, 30);
  return std::ldexp(mant(g), ex(g));
}

// exact a op b at 4096 bits (exact for products/sums of doubles) compared with [lo, hi].
bool contains_exact(double lo, double hi, double a, double b, char op) {
  mpfr_t x, y;
  mpfr_inits2(4096, x, y, static_cast<mpfr_ptr>(nullptr));
  mpfr_set_d(x, a, MPFR_RNDN);
  mpfr_set_d(y, b, MPFR_RNDN);
  if (op == '+') mpfr_add(x, x, y, MPFR_RNDN);
  if (op == '-') mpfr_sub(x, x, y, MPFR_RNDN);
  if (op == '*') mpfr_mul(x, x, y, MPFR_RNDN);
  const bool ok = mpfr_cmp_d(x, lo) >= 0 && mpfr_cmp_d(x, hi) <= 0;
  mpfr_clears(x, y, static_cast<mpfr_ptr>(nullptr));
  return ok;
}

struct Ops {
  Interval s, d, p, pn;
};

__attribute__((noinline)) Ops compute_up(double a, double b, Interval w) {
  UpwardRounding up;
  return {add(Interval{a, a}, Interval{b, b}), sub(Interval{a, a}, Interval{b, b}),
          mul(Interval{a, a}, Interval{b, b}), mul_nonneg(w, Interval{b, b})};
}

}  // namespace

TEST_CASE("interval add/sub/mul enclose the exact result") {
  std::mt19937_64 g(7);
  int strict = 0;
  for (int i = 0; i < 20000; ++i) {
    const double a = random_double(g), b = random_double(g);
    const double wa = std::fabs(random_double(g));
    const Ops r = compute_up(a, b, Interval{wa, wa});
    REQUIRE(contains_exact(r.s.lo, r.s.hi, a, b, '+'));
    REQUIRE(contains_exact(r.d.lo, r.d.hi, a, b, '-'));
    REQUIRE(contains_exact(r.p.lo, r.p.hi, a, b, '*'));
    REQUIRE(contains_exact(r.pn.lo, r.pn.hi, wa, b, '*'));
    REQUIRE(r.p.hi <= std::nextafter(r.p.lo, INFINITY));  // at most one ulp wide
    strict += r.p.lo < r.p.hi;
  }
  REQUIRE(strict > 1000);  // inexact products really were rounded both ways
}

TEST_CASE("exact matrix product equals the exact rational product and encloses tightly") {
  std::mt19937_64 g(11);
  Matrix a(5, 7), b(7, 3);
  for (double& x : a.data) x = static_cast<float>(random_double(g));
  for (double& x : b.data) x = static_cast<float>(random_double(g));
  const ExactMatrix c = multiply(exact_from(a), exact_from(b));
  const IntervalMatrix e = enclose(c);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      mpfr_t s, t;
      mpfr_inits2(8192, s, t, static_cast<mpfr_ptr>(nullptr));
      mpfr_set_zero(s, 1);
      for (int64_t l = 0; l < 7; ++l) {
        mpfr_set_d(t, a(i, l), MPFR_RNDN);
        mpfr_mul_d(t, t, b(l, j), MPFR_RNDN);
        mpfr_add(s, s, t, MPFR_RNDN);  // exact at 8192 bits
      }
      mpfr_set_z_2exp(t, c.at(i, j).backend().data(), c.exponent, MPFR_RNDN);
      REQUIRE(mpfr_cmp(s, t) == 0);
      REQUIRE(mpfr_cmp_d(s, e.at(i, j).lo) >= 0);
      REQUIRE(mpfr_cmp_d(s, e.at(i, j).hi) <= 0);
      REQUIRE(e.at(i, j).hi <= std::nextafter(e.at(i, j).lo, INFINITY));
      mpfr_clears(s, t, static_cast<mpfr_ptr>(nullptr));
    }
  // add / subtract / transpose / compare are exact too
  const ExactMatrix ea = exact_from(a);
  const ExactMatrix z = subtract(add(ea, ea), ea);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 7; ++j) REQUIRE(compare_entries(z, i, j, ea, i, j) == 0);
  REQUIRE(compare_entries(transpose(ea), 2, 1, ea, 1, 2) == 0);
}

TEST_CASE("exp enclosure contains exp(x / sqrt(d)) computed at high precision") {
  std::mt19937_64 g(5);
  std::uniform_int_distribution<int64_t> mant(-(int64_t{1} << 40), int64_t{1} << 40);
  std::uniform_int_distribution<long> ex(-45, -36);  // |x| <= 16
  for (int i = 0; i < 3000; ++i) {
    const BigInt z(mant(g));
    const long e = ex(g);
    const int64_t d = 1 + (i % 64);
    const Interval r = exp_div_sqrt_enclose(z, e, d);
    mpfr_t x, s;
    mpfr_inits2(300, x, s, static_cast<mpfr_ptr>(nullptr));
    mpfr_set_z_2exp(x, z.backend().data(), e, MPFR_RNDN);
    mpfr_set_si(s, d, MPFR_RNDN);
    mpfr_sqrt(s, s, MPFR_RNDN);
    mpfr_div(x, x, s, MPFR_RNDN);
    mpfr_exp(x, x, MPFR_RNDN);
    REQUIRE(mpfr_cmp_d(x, r.lo) > 0);  // exp of a nonzero rational is irrational: strict
    REQUIRE(mpfr_cmp_d(x, r.hi) < 0);
    REQUIRE(r.hi <= std::nextafter(std::nextafter(r.lo, INFINITY), INFINITY));  // <= 2 ulps
    mpfr_clears(x, s, static_cast<mpfr_ptr>(nullptr));
  }
  // exp(0) = 1 exactly; very negative arguments may underflow the lower bound to 0, never hi.
  REQUIRE(exp_div_sqrt_enclose(BigInt(0), 0, 32).lo == 1.0);
  REQUIRE(exp_div_sqrt_enclose(BigInt(0), 0, 32).hi == 1.0);
  const Interval tiny = exp_div_sqrt_enclose(BigInt(-100000), 0, 1);
  REQUIRE(tiny.lo == 0.0);
  REQUIRE(tiny.hi > 0.0);
}
