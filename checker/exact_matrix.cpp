#include "checker/exact_matrix.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <mpfr.h>

namespace mechcert {

namespace {

mpz_ptr raw(BigInt& x) { return x.backend().data(); }
mpz_srcptr raw(const BigInt& x) { return x.backend().data(); }

// Exact decomposition of a finite double: x = mant * 2^exp with mant odd (or x = 0).
void decompose(double x, int64_t& mant, long& exp) {
  if (!std::isfinite(x)) throw std::runtime_error("exact arithmetic: non-finite value");
  if (x == 0) {
    mant = 0;
    exp = 0;
    return;
  }
  int e = 0;
  const double m = std::frexp(x, &e);                  // x = m * 2^e, 0.5 <= |m| < 1
  mant = static_cast<int64_t>(std::ldexp(m, 53));      // exact: |m| * 2^53 < 2^53
  exp = static_cast<long>(e) - 53;
  while ((mant & 1) == 0) {
    mant /= 2;
    ++exp;
  }
}

ExactMatrix from_doubles(int64_t rows, int64_t cols, const std::vector<double>& values) {
  std::vector<int64_t> mants(values.size());
  std::vector<long> exps(values.size());
  long emin = std::numeric_limits<long>::max();
  for (size_t i = 0; i < values.size(); ++i) {
    decompose(values[i], mants[i], exps[i]);
    if (mants[i] != 0 && exps[i] < emin) emin = exps[i];
  }
  if (emin == std::numeric_limits<long>::max()) emin = 0;  // all zeros
  ExactMatrix out(rows, cols, emin);
  for (size_t i = 0; i < values.size(); ++i) {
    if (mants[i] == 0) continue;
    mpz_set_si(raw(out.data[i]), static_cast<long>(mants[i]));
    mpz_mul_2exp(raw(out.data[i]), raw(out.data[i]), static_cast<mp_bitcnt_t>(exps[i] - emin));
  }
  return out;
}

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("exact arithmetic: ") + what);
}

}  // namespace

ExactMatrix::ExactMatrix(int64_t r, int64_t c, long e)
    : rows(r), cols(c), exponent(e), data(static_cast<size_t>(r * c)) {}

ExactMatrix exact_from(const Matrix& m) { return from_doubles(m.rows, m.cols, m.data); }

ExactMatrix exact_from_vector(const std::vector<double>& v, bool as_row) {
  const auto n = static_cast<int64_t>(v.size());
  return as_row ? from_doubles(1, n, v) : from_doubles(n, 1, v);
}

ExactMatrix with_exponent(const ExactMatrix& a, long exponent) {
  require(exponent <= a.exponent, "with_exponent can only lower the exponent");
  ExactMatrix out = a;
  out.exponent = exponent;
  const auto shift = static_cast<mp_bitcnt_t>(a.exponent - exponent);
  if (shift != 0)
    for (auto& x : out.data) mpz_mul_2exp(raw(x), raw(x), shift);
  return out;
}

ExactMatrix multiply(const ExactMatrix& a, const ExactMatrix& b) {
  require(a.cols == b.rows, "multiply: inner dimensions differ");
  ExactMatrix bt = transpose(b);  // contiguous columns of b
  ExactMatrix out(a.rows, b.cols, a.exponent + b.exponent);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j) {
      mpz_ptr acc = raw(out.at(i, j));
      for (int64_t l = 0; l < a.cols; ++l) mpz_addmul(acc, raw(a.at(i, l)), raw(bt.at(j, l)));
    }
  return out;
}

namespace {
ExactMatrix add_or_subtract(const ExactMatrix& a, const ExactMatrix& b, bool subtract_b) {
  require(a.rows == b.rows && a.cols == b.cols, "add/subtract: shapes differ");
  const long e = a.exponent < b.exponent ? a.exponent : b.exponent;
  ExactMatrix out = with_exponent(a, e);
  const auto shift = static_cast<mp_bitcnt_t>(b.exponent - e);
  BigInt tmp;
  for (size_t i = 0; i < out.data.size(); ++i) {
    mpz_mul_2exp(raw(tmp), raw(b.data[i]), shift);
    if (subtract_b)
      mpz_sub(raw(out.data[i]), raw(out.data[i]), raw(tmp));
    else
      mpz_add(raw(out.data[i]), raw(out.data[i]), raw(tmp));
  }
  return out;
}
}  // namespace

ExactMatrix add(const ExactMatrix& a, const ExactMatrix& b) { return add_or_subtract(a, b, false); }
ExactMatrix subtract(const ExactMatrix& a, const ExactMatrix& b) {
  return add_or_subtract(a, b, true);
}

ExactMatrix transpose(const ExactMatrix& a) {
  ExactMatrix out(a.cols, a.rows, a.exponent);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) out.at(j, i) = a.at(i, j);
  return out;
}

ExactMatrix select_rows(const ExactMatrix& a, const std::vector<int64_t>& rows) {
  ExactMatrix out(static_cast<int64_t>(rows.size()), a.cols, a.exponent);
  for (size_t r = 0; r < rows.size(); ++r) {
    require(rows[r] >= 0 && rows[r] < a.rows, "select_rows: index out of range");
    for (int64_t j = 0; j < a.cols; ++j) out.at(static_cast<int64_t>(r), j) = a.at(rows[r], j);
  }
  return out;
}

ExactMatrix select_cols(const ExactMatrix& a, const std::vector<int64_t>& cols) {
  ExactMatrix out(a.rows, static_cast<int64_t>(cols.size()), a.exponent);
  for (size_t c = 0; c < cols.size(); ++c) {
    require(cols[c] >= 0 && cols[c] < a.cols, "select_cols: index out of range");
    for (int64_t i = 0; i < a.rows; ++i) out.at(i, static_cast<int64_t>(c)) = a.at(i, cols[c]);
  }
  return out;
}

ExactMatrix add_row_broadcast(const ExactMatrix& a, const ExactMatrix& b, int64_t row) {
  require(a.cols == b.cols && row >= 0 && row < b.rows, "add_row_broadcast: bad shape or row");
  ExactMatrix r = select_rows(b, std::vector<int64_t>(static_cast<size_t>(a.rows), row));
  return add(a, r);
}

int compare_entries(const ExactMatrix& a, int64_t i, int64_t j, const ExactMatrix& b, int64_t k,
                    int64_t l) {
  BigInt x = a.at(i, j), y = b.at(k, l);
  if (a.exponent > b.exponent)
    mpz_mul_2exp(raw(x), raw(x), static_cast<mp_bitcnt_t>(a.exponent - b.exponent));
  else if (b.exponent > a.exponent)
    mpz_mul_2exp(raw(y), raw(y), static_cast<mp_bitcnt_t>(b.exponent - a.exponent));
  const int c = mpz_cmp(raw(x), raw(y));
  return (c > 0) - (c < 0);
}

namespace {
// x = z * 2^e rounded in direction `rnd` to binary64. MPFR at 53 bits rounds once to a 53-bit
// number with unbounded exponent; mpfr_get_d then rounds (again in the same direction) into the
// binary64 range, which keeps the direction. Overflow is an error, never an infinite bound.
double dyadic_round(const BigInt& z, long e, mpfr_rnd_t rnd) {
  mpfr_t x;
  mpfr_init2(x, 53);
  mpfr_set_z_2exp(x, raw(z), e, rnd);
  const double d = mpfr_get_d(x, rnd);
  mpfr_clear(x);
  if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<double>::max())
    throw std::runtime_error("exact arithmetic: value overflows binary64");
  // mpfr_get_d with RNDD on a huge positive value returns DBL_MAX (still a valid lower bound);
  // with RNDU on a huge negative value -DBL_MAX (still a valid upper bound); both are fine.
  return d;
}
}  // namespace

double dyadic_down(const BigInt& z, long e) { return dyadic_round(z, e, MPFR_RNDD); }
double dyadic_up(const BigInt& z, long e) { return dyadic_round(z, e, MPFR_RNDU); }
Interval enclose(const BigInt& z, long e) { return {dyadic_down(z, e), dyadic_up(z, e)}; }

IntervalMatrix enclose(const ExactMatrix& a) {
  IntervalMatrix out(a.rows, a.cols);
  mpfr_t x;
  mpfr_init2(x, 53);
  for (size_t i = 0; i < a.data.size(); ++i) {
    mpfr_set_z_2exp(x, raw(a.data[i]), a.exponent, MPFR_RNDD);
    out.lo[i] = mpfr_get_d(x, MPFR_RNDD);
    mpfr_set_z_2exp(x, raw(a.data[i]), a.exponent, MPFR_RNDU);
    out.hi[i] = mpfr_get_d(x, MPFR_RNDU);
    if (!std::isfinite(out.lo[i]) || !std::isfinite(out.hi[i])) {
      mpfr_clear(x);
      throw std::runtime_error("exact arithmetic: value overflows binary64");
    }
  }
  mpfr_clear(x);
  return out;
}

}  // namespace mechcert
