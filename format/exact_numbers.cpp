#include "format/exact_numbers.hpp"

#include <cmath>
#include <cstdio>

namespace mechcert {

namespace {

bool is_decimal_digits(const std::string& s, size_t begin, size_t end) {
  if (begin >= end) return false;
  for (size_t i = begin; i < end; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

double parse_hex_double(const std::string& text, const JsonPath& where) {
  auto bad = [&](const char* why) -> double {
    where.fail("\"" + text.substr(0, 64) + "\" is not an exact binary64 hex float (" + why + ")");
  };
  if (text.size() > kMaxNumberDigits) bad("too long");
  size_t i = 0;
  const bool negative = i < text.size() && text[i] == '-';
  if (negative) ++i;
  if (text.compare(i, 2, "0x") != 0) bad("expected 0x");
  i += 2;
  BigInt mantissa = 0;
  long exponent = 0;
  size_t digits = 0;
  for (; i < text.size() && hex_value(text[i]) >= 0; ++i, ++digits) mantissa = mantissa * 16 + hex_value(text[i]);
  if (digits == 0) bad("no digits");
  if (i < text.size() && text[i] == '.') {
    ++i;
    size_t frac = 0;
    for (; i < text.size() && hex_value(text[i]) >= 0; ++i, ++frac) {
      mantissa = mantissa * 16 + hex_value(text[i]);
      exponent -= 4;
    }
    if (frac == 0) bad("no digits after '.'");
  }
  if (i >= text.size() || text[i] != 'p') bad("expected a binary exponent 'p'");
  ++i;
  bool exp_negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
  if (!is_decimal_digits(text, i, text.size()) || text.size() - i > 5) bad("bad exponent");
  const long e = std::stol(text.substr(i));
  exponent += exp_negative ? -e : e;
  if (mantissa == 0) return negative ? -0.0 : 0.0;
  // Normalise to an odd mantissa; representable iff it has <= 53 bits and fits the exponent range.
  const auto tz = static_cast<long>(boost::multiprecision::lsb(mantissa));
  mantissa >>= static_cast<unsigned>(tz);
  exponent += tz;
  const auto bits = static_cast<long>(boost::multiprecision::msb(mantissa)) + 1;
  if (bits > 53) bad("more than 53 significant bits");
  if (exponent < -1074) bad("below the smallest subnormal");
  if (exponent + bits > 1024) bad("overflows binary64");
  const double m = mantissa.convert_to<double>();  // exact: <= 53 bits
  const double x = std::ldexp(m, static_cast<int>(exponent));
  return negative ? -x : x;
}

std::string format_hex_double(double x) {
  if (!std::isfinite(x)) throw FormatError("cannot write a non-finite number");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", x);
  return buf;
}

BigInt parse_decimal_integer(const std::string& text, const JsonPath& where, bool allow_negative) {
  size_t i = 0;
  if (allow_negative && !text.empty() && text[0] == '-') i = 1;
  const bool ok = is_decimal_digits(text, i, text.size()) && text.size() - i <= kMaxNumberDigits &&
                  (text[i] != '0' || text.size() == i + 1) && !(i == 1 && text == "-0");
  if (!ok)
    where.fail(std::string("\"").append(text.substr(0, 64)).append("\" is not a decimal integer").append(allow_negative ? "" : " >= 0").append(" (digits only, no leading zeros)"));
  return BigInt(text);
}

std::string format_decimal_integer(const BigInt& x) { return x.str(); }

Rational parse_rational(const std::string& text, const JsonPath& where) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return Rational(parse_decimal_integer(text, where, true));
  const BigInt p = parse_decimal_integer(text.substr(0, slash), where, true);
  const BigInt q = parse_decimal_integer(text.substr(slash + 1), where, false);
  if (q == 0) where.fail("\"" + text.substr(0, 64) + "\": zero denominator");
  return Rational(p, q);
}

std::string format_rational(const Rational& x) {
  const BigInt p = boost::multiprecision::numerator(x), q = boost::multiprecision::denominator(x);
  return q == 1 ? p.str() : p.str() + "/" + q.str();
}

Rational parse_exact_number(const std::string& text, const JsonPath& where) {
  if (text.find("0x") != std::string::npos) {
    // Hex float: exact value of the binary64.
    const double d = parse_hex_double(text, where);
    int e = 0;
    const double m = std::frexp(d, &e);
    BigInt mant(static_cast<int64_t>(std::ldexp(m, 53)));
    e -= 53;
    Rational r(mant);
    if (e >= 0) return r * Rational(BigInt(1) << static_cast<unsigned>(e));
    return r / Rational(BigInt(1) << static_cast<unsigned>(-e));
  }
  return parse_rational(text, where);
}

}  // namespace mechcert
