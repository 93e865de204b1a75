// libFuzzer target: the exact-number parsers of certificates (format/exact_numbers.hpp).
// Properties: each parser either throws FormatError or returns a value that its formatter prints
// back in a form the parser reads to the same value (hex floats: the same binary64 bits; decimal
// integers and rationals: the same exact value). The first input byte selects the parser.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "format/errors.hpp"
#include "format/exact_numbers.hpp"

namespace {

void require(bool ok, const char* what, const std::string& input) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_exact_numbers: %s for input '%s'\n", what, input.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const mechcert::JsonPath where{"fuzz.json", "x"};
  try {
    switch (data[0] % 4) {
      case 0: {
        const double x = mechcert::parse_hex_double(text, where);
        require(std::isfinite(x), "non-finite hex float accepted", text);
        const std::string back = mechcert::format_hex_double(x);
        const double y = mechcert::parse_hex_double(back, where);
        require(std::memcmp(&x, &y, sizeof x) == 0, "hex float does not round-trip", text);
        break;
      }
      case 1: {
        const mechcert::BigInt x = mechcert::parse_decimal_integer(text, where, true);
        require(mechcert::parse_decimal_integer(mechcert::format_decimal_integer(x), where, true) == x,
                "integer does not round-trip", text);
        break;
      }
      case 2: {
        const mechcert::Rational x = mechcert::parse_rational(text, where);
        require(mechcert::parse_rational(mechcert::format_rational(x), where) == x,
                "rational does not round-trip", text);
        break;
      }
      default: {
        const mechcert::Rational x = mechcert::parse_exact_number(text, where);
        require(mechcert::parse_exact_number(mechcert::format_rational(x), where) == x,
                "exact number does not round-trip", text);
        break;
      }
    }
  } catch (const mechcert::FormatError&) {
  }
  return 0;
}
