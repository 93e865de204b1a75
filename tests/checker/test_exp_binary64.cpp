// Lemma A3 (SPEC 3.7): the binary64 exp enclosure contains exp(t), checked against MPFR at 256
// bits rounded both ways (lo <= RNDD(exp t), hi >= RNDU(exp t)), on a dense grid (step 2^-8) over the
// whole domain [-750, 712] and at random points: every binade of |t| from subnormal arguments up, around
// the subnormal-result range (t < -708.4), the underflow threshold (-745.13) and the overflow
// threshold (709.78); it is tight (a few ulps) in the normal range; exp(0) = 1 exactly; and the
// exp_bounds functions give the same contract with either method. Checker only.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "checker/exp_binary64.hpp"
#include "checker/exp_bounds.hpp"
#include "checker/fp_environment.hpp"

#include "tests/support/sanitizer_build.hpp"

using namespace mechcert;

// A sanitizer build visits every 16th grid point (the run is about memory errors).
constexpr int kGridStride = mechcert::test::kSanitizedBuild ? 16 : 1;

namespace {

__attribute__((noinline)) std::vector<Interval> enclose_all_up(const std::vector<double>& t) {
  std::vector<Interval> out(t.size());
  for (size_t i = 0; i < t.size(); ++i) out[i] = exp_enclose_binary64_up(t[i], t[i]);
  return out;
}

std::vector<Interval> enclose_all(const std::vector<double>& t) {
  UpwardRounding upward;
  return enclose_all_up(t);
}

double ulps_apart(double a, double b) {
  int64_t ia, ib;
  std::memcpy(&ia, &a, 8);
  std::memcpy(&ib, &b, 8);
  return static_cast<double>(ib - ia);
}

// Lemma A3's constants from MPFR at 256 bits, each rounded outward (SPEC 3.7): what the checker's
// literals (exp64_constants) must be.
Exp64Constants derive_exp64_constants() {
  constexpr int kDegree = 14;
  constexpr mpfr_prec_t kPrec = 256;
  Exp64Constants c;
  mpfr_t a, b;
  mpfr_inits2(kPrec, a, b, static_cast<mpfr_ptr>(nullptr));
  // ln 2: head rounded to 32 bits; the tail enclosed from both 256-bit roundings of ln 2.
  mpfr_t head;
  mpfr_init2(head, 32);
  mpfr_const_log2(head, MPFR_RNDN);
  c.ln2_head = mpfr_get_d(head, MPFR_RNDN);  // exact: 32 bits
  mpfr_clear(head);
  mpfr_const_log2(a, MPFR_RNDD);
  mpfr_sub_d(a, a, c.ln2_head, MPFR_RNDD);
  c.ln2_tail_lo = mpfr_get_d(a, MPFR_RNDD);
  mpfr_const_log2(a, MPFR_RNDU);
  mpfr_sub_d(a, a, c.ln2_head, MPFR_RNDU);
  c.ln2_tail_hi = mpfr_get_d(a, MPFR_RNDU);
  mpfr_const_log2(a, MPFR_RNDN);
  mpfr_ui_div(a, 1, a, MPFR_RNDN);
  c.inv_ln2 = mpfr_get_d(a, MPFR_RNDN);
  // 1/i!, both ways.
  for (int i = 0; i <= kDegree; ++i) {
    mpfr_fac_ui(b, static_cast<unsigned long>(i), MPFR_RNDN);  // exact: i! < 2^256
    mpfr_ui_div(a, 1, b, MPFR_RNDD);
    c.coef_lo[i] = mpfr_get_d(a, MPFR_RNDD);
    mpfr_ui_div(a, 1, b, MPFR_RNDU);
    c.coef_hi[i] = mpfr_get_d(a, MPFR_RNDU);
  }
  // Remainder factor: e^ρ / (n+1)!, rounded up at every step.
  mpfr_set_d(a, kReducedBound, MPFR_RNDN);  // exact (a binary64)
  mpfr_exp(a, a, MPFR_RNDU);
  mpfr_fac_ui(b, static_cast<unsigned long>(kDegree + 1), MPFR_RNDN);  // exact
  mpfr_div(a, a, b, MPFR_RNDU);
  c.remainder = mpfr_get_d(a, MPFR_RNDU);
  mpfr_clears(a, b, static_cast<mpfr_ptr>(nullptr));
  return c;
}

struct Mp256 {
  mpfr_t d, u;
  Mp256() { mpfr_inits2(256, d, u, static_cast<mpfr_ptr>(nullptr)); }
  ~Mp256() { mpfr_clears(d, u, static_cast<mpfr_ptr>(nullptr)); }
};

// Containment, both directions: lo <= RNDD_256(exp t) and RNDU_256(exp t) <= hi. Returns the
// number of failures (reported with the first few).
uint64_t count_failures(const std::vector<double>& t, const std::vector<Interval>& r) {
  Mp256 m;
  uint64_t bad = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    mpfr_set_d(m.d, t[i], MPFR_RNDN);  // exact
    mpfr_exp(m.u, m.d, MPFR_RNDU);
    mpfr_exp(m.d, m.d, MPFR_RNDD);
    const bool ok = r[i].lo >= 0 && r[i].lo <= r[i].hi && mpfr_cmp_d(m.d, r[i].lo) >= 0 &&
                    mpfr_cmp_d(m.u, r[i].hi) <= 0;
    if (!ok && bad++ < 5)
      UNSCOPED_INFO("t = " << t[i] << " (" << std::hexfloat << t[i] << std::defaultfloat
                           << "): [" << r[i].lo << ", " << r[i].hi << "]");
  }
  return bad;
}

}  // namespace

TEST_CASE("sqrt_enclose is MPFR's two roundings of sqrt(d), every d_head and beyond", "[exp]") {
  mpfr_t r;
  mpfr_init2(r, 64);
  auto check = [&](int64_t d) {
    const Interval s = sqrt_enclose(d);
    mpfr_set_si(r, static_cast<long>(d), MPFR_RNDN);  // exact: d <= 2^53
    mpfr_sqrt(r, r, MPFR_RNDD);
    const double down = mpfr_get_d(r, MPFR_RNDD);
    mpfr_set_si(r, static_cast<long>(d), MPFR_RNDN);
    mpfr_sqrt(r, r, MPFR_RNDU);
    const double up = mpfr_get_d(r, MPFR_RNDU);
    return s.lo == down && s.hi == up;
  };
  int64_t bad = 0;
  for (int64_t d = 1; d <= (int64_t{1} << 16); ++d) bad += check(d) ? 0 : 1;  // every d_head (<= 1024) and more
  CHECK(bad == 0);
  for (int64_t root : {int64_t{3}, int64_t{1} << 20, (int64_t{1} << 26) - 1, int64_t{94906265}}) {
    CHECK(check(root * root));  // perfect squares: down == up
    CHECK(check(root * root + 1));
    CHECK(check(root * root - 1));
  }
  CHECK(check(int64_t{1} << 53));
  const Interval four = sqrt_enclose(4);
  CHECK((four.lo == 2.0 && four.hi == 2.0));
  const Interval two = sqrt_enclose(2);
  CHECK(std::nextafter(two.lo, 2.0) == two.hi);
  CHECK_THROWS(sqrt_enclose(0));
  mpfr_clear(r);
}

TEST_CASE("Lemma A3's literal constants are MPFR's outward roundings, bit for bit", "[exp]") {
  const Exp64Constants derived = derive_exp64_constants();
  const Exp64Constants& used = exp64_constants();
  const auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  CHECK(same(derived.ln2_head, used.ln2_head));
  CHECK(same(derived.ln2_tail_lo, used.ln2_tail_lo));
  CHECK(same(derived.ln2_tail_hi, used.ln2_tail_hi));
  CHECK(same(derived.inv_ln2, used.inv_ln2));
  CHECK(same(derived.remainder, used.remainder));
  for (int i = 0; i < 15; ++i) {
    INFO("coefficient " << i);
    CHECK(same(derived.coef_lo[i], used.coef_lo[i]));
    CHECK(same(derived.coef_hi[i], used.coef_hi[i]));
  }
  // The enclosures the literals must be: a 32-bit head, tails and coefficients outward.
  CHECK(used.ln2_tail_lo < used.ln2_tail_hi);
  for (int i = 3; i < 15; ++i) CHECK(used.coef_lo[i] < used.coef_hi[i]);  // 1/i! is not a binary64
}

TEST_CASE("binary64 exp contains exp(t) on a dense grid of [-750, 712]", "[arithmetic][a3]") {
  require_sound_fp_environment();
  std::vector<double> t;
  for (int64_t i = -750 * 256; i <= 712 * 256; i += kGridStride) t.push_back(std::ldexp(static_cast<double>(i), -8));
  const std::vector<Interval> r = enclose_all(t);
  REQUIRE(count_failures(t, r) == 0);
  // Tight in the normal range: at most 6 ulps apart (measured: 3-5; the two Horner chains).
  uint64_t loose = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i] > -708 && t[i] < 709 && ulps_apart(r[i].lo, r[i].hi) > 6) ++loose;
  REQUIRE(loose == 0);
}

TEST_CASE("binary64 exp contains exp(t) at random points of every magnitude", "[arithmetic][a3]") {
  require_sound_fp_environment();
  std::mt19937_64 g(2026);
  std::uniform_real_distribution<double> whole(-750, 712), sub(-745.3, -708.3), top(709.7, 709.8),
      under(-745.3, -745.0);
  std::uniform_int_distribution<int> binade(-1074, 9);
  std::vector<double> t;
  for (int i = 0; i < 40000 / kGridStride; ++i) {
    t.push_back(whole(g));
    t.push_back(sub(g));    // subnormal results
    t.push_back(top(g));    // around overflow
    t.push_back(under(g));  // around underflow to 0
    // |t| of every binade, subnormal arguments included, both signs
    const double mag = std::ldexp(1.0 + std::uniform_real_distribution<double>(0, 1)(g), binade(g));
    t.push_back(mag);
    t.push_back(-mag);
  }
  for (double x : {0.0, -0.0, DBL_MIN, -DBL_MIN, 0x1p-1074, -0x1p-1074, 1.0, -1.0, 709.78, 709.79,
                   -708.39, -745.13, -745.2, -744.44, 0.34657359027997264, -0.34657359027997264})
    t.push_back(x);
  const std::vector<Interval> r = enclose_all(t);
  REQUIRE(count_failures(t, r) == 0);
}

TEST_CASE("binary64 exp: exact one, subnormal results, underflow and overflow", "[arithmetic][a3]") {
  require_sound_fp_environment();
  const std::vector<double> t = {0.0, -0.0, -720.0, -745.0, -745.2, -1e6, 709.0, 709.79, 800.0};
  const std::vector<Interval> r = enclose_all(t);
  CHECK(r[0].lo == 1.0);
  CHECK(r[0].hi == 1.0);
  CHECK(r[1].lo == 1.0);
  CHECK(r[1].hi == 1.0);
  // exp(-720) = 2^-1038.7: subnormal, enclosed to within a few subnormal ulps (2^-1074).
  CHECK(r[2].lo > 0);
  CHECK(r[2].lo < DBL_MIN);
  CHECK(r[2].hi - r[2].lo <= 4 * 0x1p-1074);
  // exp(-745) = 2^-1074.8...: between 0 and the least subnormal.
  CHECK(r[3].lo == 0.0);
  CHECK(r[3].hi == 0x1p-1074);
  CHECK(r[4].lo == 0.0);  // below the threshold: [0, 2^-1074]
  CHECK(r[4].hi == 0x1p-1074);
  CHECK(r[5].lo == 0.0);
  CHECK(r[5].hi == 0x1p-1074);
  CHECK(std::isfinite(r[6].hi));  // exp(709) = 8.2e307 < DBL_MAX
  CHECK(r[7].hi == HUGE_VAL);     // may exceed DBL_MAX: refused by the callers
  CHECK(r[8].hi == HUGE_VAL);
  CHECK(r[8].lo == DBL_MAX);
  REQUIRE(count_failures(t, r) == 0);
}

TEST_CASE("exp_bounds with the binary64 method keeps the contract", "[arithmetic][a3]") {
  require_sound_fp_environment();
  const ExpMethod saved = exp_method();
  set_exp_method(ExpMethod::binary64);
  std::mt19937_64 g(7);
  std::uniform_real_distribution<double> value(-300.0, 0.0), width(0, 1e-6);
  Mp256 m;
  mpfr_t s;
  mpfr_init2(s, 256);
  for (int i = 0; i < 3000; ++i) {
    const int64_t d = 1 + i % 64;
    mpfr_set_si(s, d, MPFR_RNDN);
    mpfr_sqrt(s, s, MPFR_RNDN);
    // exp_shifted_enclose_rows on [lo, hi] - shift
    const double lo = value(g), hi = lo + width(g) * std::fabs(lo), shift = value(g) / 4;
    IntervalMatrix x(1, 1), out(1, 1);
    x.lo[0] = lo;
    x.hi[0] = hi;
    exp_shifted_enclose_rows(x, {shift}, d, 0, 1, out);
    for (const auto& [y, bound, below] : {std::tuple{lo, out.lo[0], true}, std::tuple{hi, out.hi[0], false}}) {
      mpfr_set_d(m.d, y, MPFR_RNDN);
      mpfr_sub_d(m.d, m.d, shift, MPFR_RNDN);  // exact at 256 bits
      mpfr_div(m.d, m.d, s, MPFR_RNDN);
      mpfr_exp(m.d, m.d, MPFR_RNDN);  // 2^-250 relative: far inside the binary64 ulp
      if (below) REQUIRE(mpfr_cmp_d(m.d, bound) > 0);
      else REQUIRE(mpfr_cmp_d(m.d, bound) < 0);
    }
    // exp_div_sqrt_enclose on an exact dyadic z 2^e
    const BigInt z(static_cast<int64_t>(lo * 0x1p20));
    const Interval r = exp_div_sqrt_enclose(z, -20, d);
    mpfr_set_z_2exp(m.d, z.backend().data(), -20, MPFR_RNDN);
    mpfr_div(m.d, m.d, s, MPFR_RNDN);
    mpfr_exp(m.d, m.d, MPFR_RNDN);
    REQUIRE(mpfr_cmp_d(m.d, r.lo) > 0);
    REQUIRE(mpfr_cmp_d(m.d, r.hi) < 0);
  }
  mpfr_clear(s);
  // Overflow is refused, underflow gives [0, least subnormal].
  IntervalMatrix big(1, 1), out(1, 1);
  big.lo[0] = big.hi[0] = 2000.0;
  REQUIRE_THROWS_AS(exp_shifted_enclose_rows(big, {0.0}, 1, 0, 1, out), std::runtime_error);
  const Interval tiny = exp_div_sqrt_enclose(BigInt(-100000), 0, 1);
  REQUIRE(tiny.lo == 0.0);
  REQUIRE(tiny.hi == 0x1p-1074);
  set_exp_method(saved);
}
