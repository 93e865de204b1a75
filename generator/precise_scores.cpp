#include "generator/precise_scores.hpp"

#include <mpfr.h>

namespace mechcert {
namespace {

constexpr mpfr_prec_t kBits = 256;

// A matrix of MPFR numbers (RAII).
struct BigMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<mpfr_t> x;
  BigMatrix(int64_t r, int64_t c) : rows(r), cols(c), x(static_cast<size_t>(r * c)) {
    for (auto& e : x) mpfr_init2(e, kBits), mpfr_set_zero(e, 1);
  }
  ~BigMatrix() {
    for (auto& e : x) mpfr_clear(e);
  }
  BigMatrix(const BigMatrix&) = delete;
  BigMatrix& operator=(const BigMatrix&) = delete;
  mpfr_ptr at(int64_t r, int64_t c) { return x[static_cast<size_t>(r * cols + c)]; }
};

// out = a · b for a [n, m] (MPFR) and b [m, l] (doubles).
void multiply(BigMatrix& a, const Matrix& b, BigMatrix& out) {
  mpfr_t t;
  mpfr_init2(t, kBits);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j) {
      mpfr_ptr o = out.at(i, j);
      mpfr_set_zero(o, 1);
      for (int64_t l = 0; l < a.cols; ++l) {
        mpfr_mul_d(t, a.at(i, l), b(l, j), MPFR_RNDN);
        mpfr_add(o, o, t, MPFR_RNDN);
      }
    }
  mpfr_clear(t);
}

void load(const Matrix& m, BigMatrix& out) {
  for (int64_t i = 0; i < m.rows; ++i)
    for (int64_t j = 0; j < m.cols; ++j) mpfr_set_d(out.at(i, j), m(i, j), MPFR_RNDN);
}

// Dot products of the rows of a [n, h] and b [l, h] as double-doubles.
std::vector<DoubleDouble> row_dots(BigMatrix& a, BigMatrix& b) {
  std::vector<DoubleDouble> out(static_cast<size_t>(a.rows * b.rows));
  mpfr_t s, t;
  mpfr_init2(s, kBits);
  mpfr_init2(t, kBits);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.rows; ++j) {
      mpfr_set_zero(s, 1);
      for (int64_t l = 0; l < a.cols; ++l) {
        mpfr_mul(t, a.at(i, l), b.at(j, l), MPFR_RNDN);
        mpfr_add(s, s, t, MPFR_RNDN);
      }
      DoubleDouble& d = out[static_cast<size_t>(i * b.rows + j)];
      d.hi = mpfr_get_d(s, MPFR_RNDN);
      mpfr_sub_d(t, s, d.hi, MPFR_RNDN);
      d.lo = mpfr_get_d(t, MPFR_RNDN);
    }
  mpfr_clear(s);
  mpfr_clear(t);
  return out;
}

}  // namespace

double dd_difference(DoubleDouble a, DoubleDouble b) { return (a.hi - b.hi) + (a.lo - b.lo); }

DoubleDouble PreciseScores::cell(int64_t q, int64_t p, int64_t t) const {
  const DoubleDouble e = EQKE[static_cast<size_t>(q * v + t)];
  const DoubleDouble f = EQKP[static_cast<size_t>(q * k + p)];
  // Two-sum of the high parts, then the low parts added (double-double addition).
  const double s = e.hi + f.hi;
  const double bb = s - e.hi;
  const double err = (e.hi - (s - bb)) + (f.hi - bb);
  const double lo = err + e.lo + f.lo;
  const double hi = s + lo;
  return DoubleDouble{hi, lo - (hi - s)};
}

PreciseScores precise_scores(const ModelWeights& w) {
  const int64_t v = w.v, k = w.k, d = w.d, h = w.d_head;
  BigMatrix Eq(v, d), E(v, d), P(k, d), query(v, h), keyE(v, h), keyP(k, h);
  load(w.W_E, E);
  load(w.W_pos, P);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t i = 0; i < d; ++i) mpfr_add_d(Eq.at(q, i), E.at(q, i), w.W_pos(k - 1, i), MPFR_RNDN);
  multiply(Eq, w.W_Q, query);
  for (int64_t q = 0; q < v; ++q)
    for (int64_t j = 0; j < h; ++j) mpfr_add_d(query.at(q, j), query.at(q, j), w.b_Q[static_cast<size_t>(j)], MPFR_RNDN);
  multiply(E, w.W_K, keyE);
  multiply(P, w.W_K, keyP);
  PreciseScores out;
  out.v = v;
  out.k = k;
  out.EQKE = row_dots(query, keyE);
  out.EQKP = row_dots(query, keyP);
  mpfr_free_cache();
  return out;
}

}  // namespace mechcert
