// Exact big-integer counting shared by the case lists of the cubic and subcubic strategies
// (SPEC 5.10, 7.8): class sizes C(k-1, c)·s^c and the inputs with a given max, (m+1)^k - m^k.
#pragma once
#include <cstdint>

#include "checker/exact_matrix.hpp"

namespace mechcert {

inline BigInt int_power(const BigInt& base, int64_t exponent) {
  BigInt r = 1;
  for (int64_t i = 0; i < exponent; ++i) r *= base;
  return r;
}

inline BigInt binomial(int64_t n, int64_t r) {
  BigInt b = 1;
  for (int64_t i = 1; i <= r; ++i) b = b * (n - r + i) / i;  // exact at every step
  return b;
}

}  // namespace mechcert
