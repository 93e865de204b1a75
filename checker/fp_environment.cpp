#include "checker/fp_environment.hpp"

#include <cfenv>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define MECHCERT_HAVE_MXCSR 1
#endif

namespace mechcert {

namespace {

// Compiler barrier: no memory operation (and no FP op whose operands live in memory) is moved
// across it. Used around every rounding-mode switch.
inline void fp_barrier() { asm volatile("" ::: "memory"); }

// The self-test's operations go through volatile variables so that they are evaluated at run time,
// in the mode that is active, and never constant-folded.
__attribute__((noinline)) const char* directed_rounding_self_test() {
  volatile double one = 1.0;
  volatile double tiny = 0x1p-80;
  volatile double three = 3.0;
  volatile double smallest_normal = 0x1p-1022;
  volatile double half = 0.5;
  volatile double min_subnormal = 0x1p-1074;
  volatile double up_sum, down_sum, up_third, down_third, subnormal_product, subnormal_sum;
  {
    UpwardRounding up;
    fp_barrier();
    up_sum = one + tiny;
    down_sum = -((-one) - tiny);
    up_third = one / three;
    down_third = -((-one) / three);
    subnormal_product = smallest_normal * half;
    subnormal_sum = min_subnormal + min_subnormal;
    fp_barrier();
  }
  if (!(up_sum > 1.0)) return "self-test failed: up(1 + 2^-80) is not > 1";
  if (!(down_sum == 1.0)) return "self-test failed: down(1 + 2^-80) is not 1";
  if (!(up_third > down_third)) return "self-test failed: up(1/3) is not > down(1/3)";
  if (!(subnormal_product == 0x1p-1023)) return "self-test failed: subnormal results are flushed";
  if (!(subnormal_sum == 0x1p-1073)) return "self-test failed: subnormal inputs are read as zero";
  volatile double nearest_sum = one + tiny;
  if (!(nearest_sum == 1.0)) return "self-test failed: rounding mode not restored to nearest";
  return "";
}

}  // namespace

const char* fp_environment_problem() {
  if (std::fegetround() != FE_TONEAREST)
    return "floating-point rounding mode is not round-to-nearest at start-up";
#ifdef MECHCERT_HAVE_MXCSR
  const unsigned csr = _mm_getcsr();
  if (csr & 0x8000u) return "MXCSR flush-to-zero (FTZ) is set (was the process built with -ffast-math?)";
  if (csr & 0x0040u) return "MXCSR denormals-are-zero (DAZ) is set (was the process built with -ffast-math?)";
#endif
  return directed_rounding_self_test();
}

void require_sound_fp_environment() {
  const std::string problem = fp_environment_problem();
  if (!problem.empty()) throw std::runtime_error("unsound floating-point environment: " + problem);
}

UpwardRounding::UpwardRounding() : saved_mode_(std::fegetround()) {
  fp_barrier();
  if (std::fesetround(FE_UPWARD) != 0 || std::fegetround() != FE_UPWARD)
    throw std::runtime_error("cannot set the floating-point rounding mode to upward");
  fp_barrier();
}

UpwardRounding::~UpwardRounding() {
  fp_barrier();
  std::fesetround(saved_mode_);
  fp_barrier();
}

}  // namespace mechcert
