#include "checker/interval_matrix.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "checker/fp_environment.hpp"

// (glibc's header declares _Bool, which only GCC accepts in C++; clang builds are the sanitizer ones)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __has_include(<sys/platform/x86.h>)
#define MECHCERT_GLIBC_CPU_FEATURES 1
#include <sys/platform/x86.h>
#endif

namespace mechcert {

namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("interval arithmetic: ") + what);
}
bool consistent(const Matrix& a) { return a.data.size() == static_cast<size_t>(a.rows * a.cols); }
bool consistent(const IntervalMatrix& a) {
  return a.lo.size() == static_cast<size_t>(a.rows * a.cols) && a.hi.size() == a.lo.size();
}

// Every value finite. Inputs: NaN/Inf never enter. Results: with finite inputs no NaN can arise
// (a lower bound is never +inf, an upper bound never -inf), and an overflow is an error.
void require_finite(const std::vector<double>& values) {
  for (const double x : values)
    if (!std::isfinite(x))
      throw std::runtime_error("interval arithmetic: value overflows binary64");
}
void require_finite(const IntervalMatrix& a) {
  require_finite(a.lo);
  require_finite(a.hi);
}

// Lemma A1 (SPEC 3.1). Needs FE_UPWARD. Row i of c accumulates, for l = 0..k-1, the term
// a(i,l)·b(l,·): for a >= 0 the real term lies in [a·b.lo, a·b.hi], for a < 0 in [a·b.hi, a·b.lo];
// mul_down/add_down only move the lower sum down, mul_up/add_up only move the upper sum up.
// Compiled twice (below): with AVX2 the compiler may use 4-wide vector instructions, which round
// each lane as the scalar ones do (both follow MXCSR), so the result is bit for bit the same.
template <int>
inline void multiply_upward_body(const Matrix& a, const IntervalMatrix& b, IntervalMatrix& c) {
  const auto m = static_cast<size_t>(b.cols);
  for (int64_t i = 0; i < a.rows; ++i) {
    double* lo = c.lo.data() + static_cast<size_t>(i) * m;
    double* hi = c.hi.data() + static_cast<size_t>(i) * m;
    for (int64_t l = 0; l < a.cols; ++l) {
      const double x = a(i, l);
      const double* b_lo = b.lo.data() + static_cast<size_t>(l) * m;
      const double* b_hi = b.hi.data() + static_cast<size_t>(l) * m;
      if (x >= 0) {
        for (size_t j = 0; j < m; ++j) {
          lo[j] = add_down(lo[j], mul_down(x, b_lo[j]));
          hi[j] = add_up(hi[j], mul_up(x, b_hi[j]));
        }
      } else {
        for (size_t j = 0; j < m; ++j) {
          lo[j] = add_down(lo[j], mul_down(x, b_hi[j]));
          hi[j] = add_up(hi[j], mul_up(x, b_lo[j]));
        }
      }
    }
  }
}
#if defined(__x86_64__)
// glibc's record of the CPU's features (it ran CPUID at startup); libgcc's __builtin_cpu_supports
// would run CPUID again, ~20 of them at ~1.6 µs each on our virtual machines.
bool has_avx2() {
#if defined(MECHCERT_GLIBC_CPU_FEATURES)
  return CPU_FEATURE_ACTIVE(AVX2);
#else
  return __builtin_cpu_supports("avx2");
#endif
}
__attribute__((noinline, target("avx2"))) void multiply_upward_avx2(const Matrix& a, const IntervalMatrix& b,
                                                                   IntervalMatrix& c) {
  multiply_upward_body<1>(a, b, c);  // (no FMA: contraction is off, and "fma" is not targeted)
}
#endif
__attribute__((noinline)) void multiply_upward(const Matrix& a, const IntervalMatrix& b,
                                               IntervalMatrix& c) {
#if defined(__x86_64__)
  if (has_avx2()) return multiply_upward_avx2(a, b, c);
#endif
  multiply_upward_body<0>(a, b, c);
}

// Needs FE_UPWARD.
__attribute__((noinline)) void add_row_upward(const Matrix& a, const Matrix& b, int64_t row,
                                              IntervalMatrix& c) {
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) {
      const auto n = static_cast<size_t>(i * a.cols + j);
      c.lo[n] = add_down(a(i, j), b(row, j));
      c.hi[n] = add_up(a(i, j), b(row, j));
    }
}

}  // namespace

IntervalMatrix point_matrix(const Matrix& a) {
  require_finite(a.data);
  IntervalMatrix out;
  out.rows = a.rows;
  out.cols = a.cols;
  out.lo = a.data;
  out.hi = a.data;
  return out;
}

IntervalMatrix transpose(const IntervalMatrix& a) {
  IntervalMatrix out(a.cols, a.rows);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) {
      const auto from = static_cast<size_t>(i * a.cols + j);
      const auto to = static_cast<size_t>(j * a.rows + i);
      out.lo[to] = a.lo[from];
      out.hi[to] = a.hi[from];
    }
  return out;
}

Matrix transpose(const Matrix& a) {
  Matrix out(a.cols, a.rows);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) out(j, i) = a(i, j);
  return out;
}

IntervalMatrix add_row_broadcast(const Matrix& a, const Matrix& b, int64_t row) {
  require(consistent(a) && consistent(b) && a.cols == b.cols && row >= 0 && row < b.rows,
          "add_row_broadcast: bad shape or row");
  require_finite(a.data);
  require_finite(b.data);
  IntervalMatrix out(a.rows, a.cols);
  {
    UpwardRounding up;
    add_row_upward(a, b, row, out);
  }
  require_finite(out);
  return out;
}

IntervalMatrix multiply(const Matrix& a, const IntervalMatrix& b) {
  require(consistent(a) && consistent(b) && a.cols == b.rows, "multiply: shapes do not match");
  require_finite(a.data);
  require_finite(b);
  IntervalMatrix out(a.rows, b.cols);
  {
    UpwardRounding up;
    multiply_upward(a, b, out);
  }
  require_finite(out);
  return out;
}

IntervalMatrix multiply(const IntervalMatrix& a, const Matrix& b) {
  return transpose(multiply(transpose(b), transpose(a)));
}

}  // namespace mechcert
