// The checker refuses an unsound floating-point environment, and UpwardRounding really rounds up.
#include <catch2/catch.hpp>

#include <cfenv>
#include <stdexcept>
#include <string>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "checker/fp_environment.hpp"

using namespace mechcert;

TEST_CASE("sound environment passes the start-up check") {
  REQUIRE(std::fegetround() == FE_TONEAREST);
  REQUIRE_NOTHROW(require_sound_fp_environment());
  REQUIRE(std::string(fp_environment_problem()).empty());
}

TEST_CASE("a rounding mode changed before start-up is refused") {
  for (int mode : {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO}) {
    REQUIRE(std::fesetround(mode) == 0);
    std::string message;
    try {
      require_sound_fp_environment();
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    std::fesetround(FE_TONEAREST);
    REQUIRE(message.find("rounding mode is not round-to-nearest") != std::string::npos);
  }
}

#if defined(__x86_64__)
TEST_CASE("flush-to-zero and denormals-are-zero are refused") {
  const unsigned saved = _mm_getcsr();
  for (unsigned bit : {0x8000u, 0x0040u}) {
    _mm_setcsr(saved | bit);
    const std::string problem = fp_environment_problem();
    _mm_setcsr(saved);
    REQUIRE(problem.find(bit == 0x8000u ? "FTZ" : "DAZ") != std::string::npos);
  }
  REQUIRE_NOTHROW(require_sound_fp_environment());
}
#endif

TEST_CASE("UpwardRounding sets and restores the mode") {
  volatile double one = 1.0, tiny = 0x1p-80;
  double up_sum = 0;
  {
    UpwardRounding guard;
    REQUIRE(std::fegetround() == FE_UPWARD);
    up_sum = one + tiny;
  }
  REQUIRE(std::fegetround() == FE_TONEAREST);
  REQUIRE(up_sum > 1.0);
  REQUIRE(one + tiny == 1.0);
}
