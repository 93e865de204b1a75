#include "checker/exp_bounds.hpp"

#include <cmath>
#include <stdexcept>

#include <mpfr.h>

namespace mechcert {

namespace {

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

}  // namespace

Interval exp_div_sqrt_enclose(const BigInt& z, long e, int64_t d_head) {
  if (d_head < 1) throw std::invalid_argument("exp_div_sqrt_enclose: d_head must be >= 1");
  MpfrScratch m;
  const Interval r{exp_bound(m, z.backend().data(), e, d_head, MPFR_RNDD),
                   exp_bound(m, z.backend().data(), e, d_head, MPFR_RNDU)};
  if (!std::isfinite(r.hi)) throw std::runtime_error("exp enclosure overflows binary64");
  return r;
}

IntervalMatrix exp_div_sqrt_enclose(const ExactMatrix& x, int64_t d_head) {
  if (d_head < 1) throw std::invalid_argument("exp_div_sqrt_enclose: d_head must be >= 1");
  IntervalMatrix out;
  out.rows = x.rows;
  out.cols = x.cols;
  out.lo.resize(x.data.size());
  out.hi.resize(x.data.size());
  MpfrScratch m;
  for (size_t i = 0; i < x.data.size(); ++i) {
    out.lo[i] = exp_bound(m, x.data[i].backend().data(), x.exponent, d_head, MPFR_RNDD);
    out.hi[i] = exp_bound(m, x.data[i].backend().data(), x.exponent, d_head, MPFR_RNDU);
    if (!std::isfinite(out.hi[i])) throw std::runtime_error("exp enclosure overflows binary64");
  }
  return out;
}

}  // namespace mechcert
