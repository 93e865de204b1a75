// Whether this test binary is built with AddressSanitizer (gcc defines __SANITIZE_ADDRESS__, clang
// answers __has_feature). Tests that enumerate large spaces sample them there, so that CI's
// sanitizer job stays within its time budget (scripts/sanitize.sh).
#pragma once

namespace mechcert::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

}  // namespace mechcert::test
