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

// Sums the sizes of disjoint classes listed grouped by max token (ascending) and re-checks, as
// code, that each max token's classes fit in the (m+1)^k - m^k inputs with that max and the total
// in v^k. `what` names the strategy in the std::logic_error thrown otherwise.
class ClassTally {
 public:
  ClassTally(int64_t v, int64_t k, std::string what) : v_(v), k_(k), what_(std::move(what)) {
    for (int64_t c = 0; c < k; ++c) choose_.push_back(binomial(k - 1, c));
  }
  const BigInt& choose(int64_t c) const { return choose_[static_cast<size_t>(c)]; }  // C(k-1, c)
  void add(int64_t m, const BigInt& members) {
    if (m != current_m_) {
      close_max();
      current_m_ = m;
    }
    per_max_ += members;
    total_ += members;
  }
  BigInt total() {
    close_max();
    if (total_ > int_power(BigInt(v_), k_)) throw std::logic_error(what_ + ": total exceeds v^k");
    return total_;
  }

 private:
  void close_max() {
    const int64_t m = current_m_;
    if (m >= 0 && per_max_ > int_power(BigInt(m + 1), k_) - int_power(BigInt(m), k_))
      throw std::logic_error(what_ + ": classes of max " + std::to_string(m) +
                             " exceed the inputs with that max");
    per_max_ = 0;
  }
  int64_t v_, k_;
  std::string what_;
  std::vector<BigInt> choose_;
  BigInt total_ = 0, per_max_ = 0;
  int64_t current_m_ = -1;
};

}  // namespace mechcert
