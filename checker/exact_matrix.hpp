// Exact arithmetic on matrices of model weights.
//
// Every weight is a binary64 (widened from float32 or read as float64), i.e. an exact dyadic
// rational m * 2^e. Sums and products of dyadic rationals are dyadic, so matrix products of
// weights are computed *exactly* as GMP integers with one power-of-two exponent per matrix:
//     value(i, j) = data[i * cols + j] * 2^exponent.
// Nothing is rounded here; rounding happens only in enclose(), which returns for each entry the
// nearest binary64 values below and above the exact value. Cost: one mpz multiply-add per scalar
// multiply-add (products of float32 weights stay around 50-150 bits), e.g. 64x32 * 32x64 in
// well under a millisecond; v = 512, d = 32 products in a few hundred milliseconds.
// See SPEC.md "Arithmetic".
#pragma once
#include <cstdint>
#include <vector>

#include <boost/multiprecision/gmp.hpp>

#include "checker/interval.hpp"
#include "format/model_weights.hpp"

namespace mechcert {

using BigInt = boost::multiprecision::mpz_int;

struct ExactMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  long exponent = 0;          // every entry is data[i] * 2^exponent
  std::vector<BigInt> data;   // rows * cols integers, row-major

  ExactMatrix() = default;
  ExactMatrix(int64_t r, int64_t c, long e = 0);  // all zeros
  const BigInt& at(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
  BigInt& at(int64_t r, int64_t c) { return data[static_cast<size_t>(r * cols + c)]; }
};

// Exact conversion (every finite double is dyadic). Throws std::runtime_error on NaN/Inf.
ExactMatrix exact_from(const Matrix& m);
// A 1 x n or n x 1 matrix from a vector (row vector if `as_row`).
ExactMatrix exact_from_vector(const std::vector<double>& v, bool as_row = true);

// All results exact. Shapes must agree (std::invalid_argument otherwise: internal misuse).
ExactMatrix multiply(const ExactMatrix& a, const ExactMatrix& b);   // a * b
ExactMatrix add(const ExactMatrix& a, const ExactMatrix& b);        // a + b
ExactMatrix subtract(const ExactMatrix& a, const ExactMatrix& b);   // a - b
ExactMatrix transpose(const ExactMatrix& a);
ExactMatrix select_rows(const ExactMatrix& a, const std::vector<int64_t>& rows);
ExactMatrix select_cols(const ExactMatrix& a, const std::vector<int64_t>& cols);
// a + (row `row` of b broadcast to every row of a); b.cols == a.cols.
ExactMatrix add_row_broadcast(const ExactMatrix& a, const ExactMatrix& b, int64_t row);
// The same matrix with its exponent lowered to `exponent` (<= a.exponent); exact.
ExactMatrix with_exponent(const ExactMatrix& a, long exponent);

// Sign of (a(i,j) - b(k,l)) exactly: -1, 0 or +1.
int compare_entries(const ExactMatrix& a, int64_t i, int64_t j, const ExactMatrix& b, int64_t k,
                    int64_t l);

// Nearest binary64 <= x and >= x for x = z * 2^e. Throws std::runtime_error if |x| overflows
// binary64 (the checker never works with infinite endpoints). lo may be a subnormal or 0.
double dyadic_down(const BigInt& z, long e);
double dyadic_up(const BigInt& z, long e);
Interval enclose(const BigInt& z, long e);

// Per entry: the nearest binary64 values below and above the exact entry (equal when exact).
IntervalMatrix enclose(const ExactMatrix& a);

}  // namespace mechcert
