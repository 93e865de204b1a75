// The floating-point environment the checker's outward-rounded arithmetic relies on.
//
// Every upper bound the checker computes in binary64 is computed with the rounding mode set to
// upward (round toward +inf) and every lower bound as -(upper bound of the negation). That is only
// true if (a) the process really runs in the rounding mode we set, (b) subnormals are neither
// flushed to zero (MXCSR.FTZ) nor read as zero (MXCSR.DAZ) -- `-ffast-math` anywhere in the process
// sets both -- and (c) the compiler did not move floating-point operations across fesetround.
// require_sound_fp_environment() checks (a) and (b) at start-up and runs a self-test of directed
// rounding; UpwardRounding is the only way checker code switches the rounding mode. See SPEC.md
// "Arithmetic".
//
// Rules for code that computes bounds under UpwardRounding (-frounding-math is on for checker/):
//  * Put the loop that relies on the mode in a separate noinline function called after the
//    UpwardRounding object is constructed; do not compute bounds in the same expression that
//    constructs/destroys the guard.
//  * The guard's ctor/dtor contain `asm volatile("" ::: "memory")` barriers so stores and loads
//    are not moved across the mode switch.
#pragma once

namespace mechcert {

// Throws std::runtime_error with a one-line reason if the environment is unsound for the checker:
// the rounding mode is not round-to-nearest on entry, MXCSR has FTZ or DAZ set (x86-64), or the
// directed-rounding self-test fails (e.g. up(1 + 2^-80) must be > 1, down(1 + 2^-80) must be 1,
// a subnormal must survive an addition). Call once at checker start-up, before any bound.
void require_sound_fp_environment();

// RAII: sets the calling thread's rounding mode to FE_UPWARD; restores the previous mode in the
// destructor. Each thread must construct its own (the mode is per thread). Throws
// std::runtime_error if fesetround fails or the mode did not take effect.
class UpwardRounding {
 public:
  UpwardRounding();
  ~UpwardRounding();
  UpwardRounding(const UpwardRounding&) = delete;
  UpwardRounding& operator=(const UpwardRounding&) = delete;

 private:
  int saved_mode_;  // fegetround() at construction
};

// Test hook, used only by tests/checker/test_fp_environment.cpp: returns the reason
// require_sound_fp_environment() would throw, or an empty string. Does not change the mode.
const char* fp_environment_problem();

}  // namespace mechcert
