#include "checker/exp_bounds.hpp"

#include <atomic>
#include <cmath>
#include <stdexcept>

#include <mpfr.h>

#include "checker/exp_binary64.hpp"
#include "checker/fp_environment.hpp"

namespace mechcert {

namespace {

std::atomic<ExpMethod> g_method{ExpMethod::binary64};

// IEEE 754 square root is correctly rounded in the current mode: under FE_UPWARD it is RU(sqrt d),
// the least binary64 >= sqrt d. RD(sqrt d) is that value itself when its square is exactly d
// (sqrt d is a binary64; then the product is exact), else the binary64 just below it (the square,
// rounded up, is then > d). PRECONDITION: FE_UPWARD.
__attribute__((noinline)) Interval sqrt_enclose_up(double d) {
  const double up = std::sqrt(d);
  return {up * up == d ? up : std::nextafter(up, 0.0), up};
}

// sqrt(d) rounded down and up to binary64.
struct SqrtBounds {
  double down, up;
  explicit SqrtBounds(int64_t d_head) {
    const Interval s = sqrt_enclose(d_head);
    down = s.lo;
    up = s.hi;
  }
};

// Lemma A3 on a quotient: encloses exp(y / sqrt(d)) for every real y in [num_lo, num_hi]: the
// quotient's lower end divides by the larger divisor when num_lo >= 0 (else the smaller), the upper
// end symmetrically. PRECONDITION: FE_UPWARD.
inline Interval exp_quotient_up(double num_lo, double num_hi, const SqrtBounds& s) {
  const double t_lo = div_down(num_lo, num_lo >= 0 ? s.up : s.down);
  const double t_hi = div_up(num_hi, num_hi >= 0 ? s.down : s.up);
  return exp_enclose_binary64_up(t_lo, t_hi);
}

// Binary64 path of exp_shifted_enclose_rows (validated arguments). PRECONDITION: FE_UPWARD.
__attribute__((noinline)) void shifted_rows_binary64_up(const IntervalMatrix& x,
                                                        const std::vector<double>& shift,
                                                        const SqrtBounds& s, int64_t row_begin,
                                                        int64_t row_end, IntervalMatrix& out) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    const double sh = shift[static_cast<size_t>(r)];
    for (int64_t c = 0; c < x.cols; ++c) {
      const auto i = static_cast<size_t>(r * x.cols + c);
      const Interval e = exp_quotient_up(sub_down(x.lo[i], sh), sub_up(x.hi[i], sh), s);
      out.lo[i] = e.lo;
      out.hi[i] = e.hi;
    }
  }
}

// Binary64 path of exp_div_sqrt_enclose over exact entries enclosed in `num`.
// PRECONDITION: FE_UPWARD.
__attribute__((noinline)) void quotients_binary64_up(const IntervalMatrix& num,
                                                     const SqrtBounds& s, IntervalMatrix& out) {
  for (size_t i = 0; i < out.lo.size(); ++i) {
    const Interval e = exp_quotient_up(num.lo[i], num.hi[i], s);
    out.lo[i] = e.lo;
    out.hi[i] = e.hi;
  }
}

constexpr mpfr_prec_t kPrec = 64;  // working precision; results are rounded once more to binary64

struct MpfrScratch {
  mpfr_t t, s, q;
  MpfrScratch() { mpfr_inits2(kPrec, t, s, q, static_cast<mpfr_ptr>(nullptr)); }
  ~MpfrScratch() { mpfr_clears(t, s, q, static_cast<mpfr_ptr>(nullptr)); }
  MpfrScratch(const MpfrScratch&) = delete;
  MpfrScratch& operator=(const MpfrScratch&) = delete;
};

// One-sided bound of exp(z 2^e / sqrt(d)): rnd = MPFR_RNDD gives a lower, MPFR_RNDU an upper bound.
// Each step rounds in the direction that moves the result the same way:
//   t  = z 2^e rounded in `rnd`;
//   s  = sqrt(d) rounded so that t / s moves in `rnd` (up for a lower bound of a nonnegative t);
//   q  = t / s rounded in `rnd`;  exp(q) rounded in `rnd`; then to binary64 in `rnd`.
double exp_bound(MpfrScratch& m, mpz_srcptr z, long e, int64_t d_head, mpfr_rnd_t rnd) {
  const bool lower = rnd == MPFR_RNDD;
  mpfr_set_z_2exp(m.t, z, e, rnd);
  const bool t_nonneg = mpfr_sgn(m.t) >= 0;
  // lower bound: larger s for t >= 0, smaller s for t < 0; upper bound: the opposite.
  const mpfr_rnd_t s_rnd = (lower == t_nonneg) ? MPFR_RNDU : MPFR_RNDD;
  mpfr_set_si(m.s, static_cast<long>(d_head), MPFR_RNDN);  // exact: d_head < 2^63 fits 64 bits
  mpfr_sqrt(m.s, m.s, s_rnd);
  mpfr_div(m.q, m.t, m.s, rnd);
  mpfr_exp(m.q, m.q, rnd);
  return mpfr_get_d(m.q, rnd);
}

// Scratch for exp_shifted_enclose_rows: sqrt(d) rounded both ways once, and temporaries.
struct ShiftedExp {
  mpfr_t s_up, s_down, num, t_lo, t_hi, y, delta;
  explicit ShiftedExp(int64_t d_head) {
    mpfr_inits2(kPrec, s_up, s_down, num, t_lo, t_hi, y, delta, static_cast<mpfr_ptr>(nullptr));
    mpfr_set_si(s_up, static_cast<long>(d_head), MPFR_RNDN);  // exact, as above
    mpfr_sqrt(s_down, s_up, MPFR_RNDD);
    mpfr_sqrt(s_up, s_up, MPFR_RNDU);
  }
  ~ShiftedExp() {
    mpfr_clears(s_up, s_down, num, t_lo, t_hi, y, delta, static_cast<mpfr_ptr>(nullptr));
  }
  ShiftedExp(const ShiftedExp&) = delete;
  ShiftedExp& operator=(const ShiftedExp&) = delete;

  // t = (x - shift) / sqrt(d) rounded in `rnd` (the divisor chosen as in exp_bound).
  void argument(mpfr_t t, double x, double shift, mpfr_rnd_t rnd) {
    mpfr_set_d(num, x, MPFR_RNDN);  // exact: 53 <= kPrec bits
    mpfr_sub_d(num, num, shift, rnd);
    const bool nonneg = mpfr_sgn(num) >= 0;
    mpfr_div(t, num, ((rnd == MPFR_RNDD) == nonneg) ? s_up : s_down, rnd);
  }

  // Lemma A2: an enclosure of exp((y - shift) / sqrt(d)) for all y in [lo, hi].
  Interval enclose(double lo, double hi, double shift) {
    argument(t_lo, lo, shift, MPFR_RNDD);
    argument(t_hi, hi, shift, MPFR_RNDU);
    mpfr_exp(y, t_lo, MPFR_RNDD);  // y <= exp(t_lo) < next(y): MPFR rounds correctly
    Interval r{mpfr_get_d(y, MPFR_RNDD), 0.0};
    mpfr_sub(delta, t_hi, t_lo, MPFR_RNDU);  // δ >= t_hi - t_lo >= 0
    if (mpfr_cmp_si_2exp(delta, 1, -20) <= 0) {
      mpfr_add_ui(t_hi, delta, 1, MPFR_RNDU);  // t_hi is reused: up(1 + δ)
      mpfr_mul(t_hi, t_hi, delta, MPFR_RNDU);  // up(δ + δ²)
      mpfr_add_ui(t_hi, t_hi, 1, MPFR_RNDU);   // up(1 + δ + δ²) >= exp(δ) for 0 <= δ <= 1
      mpfr_nextabove(y);                        // > exp(t_lo)
      mpfr_mul(y, y, t_hi, MPFR_RNDU);          // >= exp(t_lo) exp(δ) >= exp(t_hi)
    } else {
      mpfr_exp(y, t_hi, MPFR_RNDU);
    }
    r.hi = mpfr_get_d(y, MPFR_RNDU);
    return r;
  }
};

}  // namespace

Interval sqrt_enclose(int64_t d) {
  if (d < 1 || d > (int64_t{1} << 53)) throw std::invalid_argument("sqrt_enclose: d outside [1, 2^53]");
  UpwardRounding upward;
  return sqrt_enclose_up(static_cast<double>(d));  // exact conversion: d <= 2^53
}

void set_exp_method(ExpMethod method) { g_method = method; }
ExpMethod exp_method() { return g_method; }

Interval exp_div_sqrt_enclose(const BigInt& z, long e, int64_t d_head) {
  if (d_head < 1) throw std::invalid_argument("exp_div_sqrt_enclose: d_head must be >= 1");
  if (exp_method() == ExpMethod::binary64) {
    ExactMatrix one(1, 1);
    one.data[0] = z;
    one.exponent = e;
    return exp_div_sqrt_enclose(one, d_head).at(0, 0);
  }
  MpfrScratch m;
  const Interval r{exp_bound(m, z.backend().data(), e, d_head, MPFR_RNDD),
                   exp_bound(m, z.backend().data(), e, d_head, MPFR_RNDU)};
  if (!std::isfinite(r.hi)) throw std::runtime_error("exp enclosure overflows binary64");
  return r;
}

IntervalMatrix exp_div_sqrt_enclose(const ExactMatrix& x, int64_t d_head) {
  if (d_head < 1) throw std::invalid_argument("exp_div_sqrt_enclose: d_head must be >= 1");
  IntervalMatrix out(x.rows, x.cols);
  if (exp_method() == ExpMethod::binary64) {
    const SqrtBounds s(d_head);
    const IntervalMatrix num = enclose(x);  // exact -> binary64 down/up (MPFR)
    {
      UpwardRounding upward;
      quotients_binary64_up(num, s, out);
    }
    for (double hi : out.hi)
      if (!std::isfinite(hi)) throw std::runtime_error("exp enclosure overflows binary64");
    return out;
  }
  MpfrScratch m;
  for (size_t i = 0; i < x.data.size(); ++i) {
    out.lo[i] = exp_bound(m, x.data[i].backend().data(), x.exponent, d_head, MPFR_RNDD);
    out.hi[i] = exp_bound(m, x.data[i].backend().data(), x.exponent, d_head, MPFR_RNDU);
    if (!std::isfinite(out.hi[i])) throw std::runtime_error("exp enclosure overflows binary64");
  }
  return out;
}

void exp_shifted_enclose_rows(const IntervalMatrix& x, const std::vector<double>& shift,
                              int64_t d_head, int64_t row_begin, int64_t row_end,
                              IntervalMatrix& out) {
  if (d_head < 1) throw std::invalid_argument("exp_shifted_enclose_rows: d_head must be >= 1");
  if (out.rows != x.rows || out.cols != x.cols || shift.size() != static_cast<size_t>(x.rows) ||
      row_begin < 0 || row_end > x.rows)
    throw std::invalid_argument("exp_shifted_enclose_rows: shapes differ");
  if (exp_method() == ExpMethod::binary64) {
    for (int64_t r = row_begin; r < row_end; ++r) {
      const double sh = shift[static_cast<size_t>(r)];
      for (int64_t c = 0; c < x.cols; ++c) {
        const auto i = static_cast<size_t>(r * x.cols + c);
        if (!std::isfinite(x.lo[i]) || !std::isfinite(x.hi[i]) || !(x.lo[i] <= x.hi[i]) ||
            !std::isfinite(sh))
          throw std::invalid_argument("exp_shifted_enclose_rows: not a finite interval");
      }
    }
    const SqrtBounds s(d_head);
    {
      UpwardRounding upward;
      shifted_rows_binary64_up(x, shift, s, row_begin, row_end, out);
    }
    for (int64_t r = row_begin; r < row_end; ++r)
      for (int64_t c = 0; c < x.cols; ++c)
        if (!std::isfinite(out.hi[static_cast<size_t>(r * x.cols + c)]))
          throw std::runtime_error("exp enclosure overflows binary64");
    return;
  }
  ShiftedExp m(d_head);
  for (int64_t r = row_begin; r < row_end; ++r)
    for (int64_t c = 0; c < x.cols; ++c) {
      const auto i = static_cast<size_t>(r * x.cols + c);
      const double lo = x.lo[i], hi = x.hi[i], s = shift[static_cast<size_t>(r)];
      if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo <= hi) || !std::isfinite(s))
        throw std::invalid_argument("exp_shifted_enclose_rows: not a finite interval");
      const Interval e = m.enclose(lo, hi, s);
      if (!std::isfinite(e.hi)) throw std::runtime_error("exp enclosure overflows binary64");
      out.lo[i] = e.lo;
      out.hi[i] = e.hi;
    }
}

}  // namespace mechcert
