// Exact numbers in certificate files. Nothing the checker reads is a decimal that must be rounded:
//   * binary64 values are hex floats, "0x1.8p-3", "-0x1p+0", "0x0p+0" (C99 %a); the digits must
//     denote a binary64 exactly (no rounding on the way in), never NaN or Inf;
//   * rationals are "p/q" strings (or "p"), q > 0, in decimal digits;
//   * big integers (counts such as v^k) are decimal strings without sign, leading zeros or spaces.
// Every parser throws FormatError naming the file and the JSON path. See SPEC.md "Certificates".
#pragma once
#include <string>

#include <boost/multiprecision/gmp.hpp>

#include "format/json_fields.hpp"

namespace mechcert {

using BigInt = boost::multiprecision::mpz_int;
using Rational = boost::multiprecision::mpq_rational;

inline constexpr size_t kMaxNumberDigits = 4096;  // longest decimal/hex digit string accepted

// "0x1.8p-3" -> 0.1875 exactly; rejects anything that is not exactly one binary64.
double parse_hex_double(const std::string& text, const JsonPath& where);
// The shortest exact hex form of a finite double (printf "%a"); throws on NaN/Inf.
std::string format_hex_double(double x);

// "123" -> 123; "-5" only if allow_negative. No '+', no leading zeros, at most kMaxNumberDigits.
BigInt parse_decimal_integer(const std::string& text, const JsonPath& where,
                             bool allow_negative = false);
std::string format_decimal_integer(const BigInt& x);

// "p/q" or "p" (p may be negative, q > 0) -> exact rational in lowest terms.
Rational parse_rational(const std::string& text, const JsonPath& where);
std::string format_rational(const Rational& x);  // "p/q", or "p" when q == 1

// A JSON string field holding a hex float or a rational, as an exact rational.
Rational parse_exact_number(const std::string& text, const JsonPath& where);

}  // namespace mechcert
