// Exact big-integer counting shared by the case lists of the cubic and subcubic strategies
// (SPEC 5.10, 7.8): class sizes C(k-1, c)·s^c and the inputs with a given max, (m+1)^k - m^k.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "checker/exact_matrix.hpp"

namespace mechcert {

inline BigInt int_power(const BigInt& base, int64_t exponent) {
  if (exponent < 0 || exponent > UINT32_MAX) throw std::logic_error("int_power: exponent out of range");
  return boost::multiprecision::pow(base, static_cast<unsigned>(exponent));  // GMP's mpz_pow_ui
}

inline BigInt binomial(int64_t n, int64_t r) {
  BigInt b = 1;
  for (int64_t i = 1; i <= r; ++i) b = b * (n - r + i) / i;  // exact at every step
  return b;
}

// base^exponent in 64 bits, or false if it does not fit (binary powering: <= 2 log2(exponent) steps).
inline bool power_fits_u64(uint64_t base, uint64_t exponent, uint64_t& out) {
  uint64_t result = 1;
  while (exponent > 0) {
    if ((exponent & 1) && __builtin_mul_overflow(result, base, &result)) return false;
    exponent >>= 1;
    if (exponent > 0 && __builtin_mul_overflow(base, base, &base)) return false;
  }
  out = result;
  return true;
}

// Sums the sizes of disjoint classes listed grouped by max token (ascending) and re-checks, as
// code, that each max token's classes fit in the (m+1)^k - m^k inputs with that max and the total
// in v^k. `what` names the strategy in the std::logic_error thrown otherwise. Class sizes that fit
// in 64 bits are summed in 64 bits and carried into the exact sum before it would overflow (a few
// thousand classes per certificate: big-integer work per class was most of the count).
class ClassTally {
 public:
  ClassTally(int64_t v, int64_t k, std::string what) : v_(v), k_(k), what_(std::move(what)) {
    for (int64_t c = 0; c < k; ++c) {
      choose_.push_back(binomial(k - 1, c));
      choose_u64_.push_back(choose_.back() <= UINT64_MAX ? choose_.back().convert_to<uint64_t>() : 0);
    }
  }
  // Adds a class of C(k-1, c)·base^c inputs (0 <= c < k, base >= 0) with max token m.
  void add_class(int64_t m, int64_t base, int64_t c) {
    enter_max(m);
    uint64_t power = 0, size = 0;
    const uint64_t choose = choose_u64_[static_cast<size_t>(c)];
    if (choose != 0 && power_fits_u64(static_cast<uint64_t>(base), static_cast<uint64_t>(c), power) &&
        !__builtin_mul_overflow(power, choose, &size)) {
      if (size > UINT64_MAX - pending_) {  // carry the 64-bit sum into the exact one
        per_max_ += pending_;
        pending_ = 0;
      }
      pending_ += size;
      return;
    }
    per_max_ += choose_[static_cast<size_t>(c)] * int_power(BigInt(base), c);
  }
  BigInt total() {
    close_max();
    if (total_ > int_power(BigInt(v_), k_)) throw std::logic_error(what_ + ": total exceeds v^k");
    return total_;
  }

 private:
  void enter_max(int64_t m) {
    if (m != current_m_) {
      close_max();
      current_m_ = m;
    }
  }
  void close_max() {
    per_max_ += pending_;
    pending_ = 0;
    const int64_t m = current_m_;
    if (m >= 0 && per_max_ > int_power(BigInt(m + 1), k_) - int_power(BigInt(m), k_))
      throw std::logic_error(what_ + ": classes of max " + std::to_string(m) +
                             " exceed the inputs with that max");
    total_ += per_max_;
    per_max_ = 0;
  }
  int64_t v_, k_;
  std::string what_;
  std::vector<BigInt> choose_;
  std::vector<uint64_t> choose_u64_;  // C(k-1, c) when it fits in 64 bits, else 0
  BigInt total_ = 0, per_max_ = 0;
  uint64_t pending_ = 0;  // the current max's classes not yet added to per_max_
  int64_t current_m_ = -1;
};

}  // namespace mechcert
