#include "checker/cubic_cases.hpp"

#include <stdexcept>
#include <tuple>

#include "checker/counting.hpp"

namespace mechcert {
namespace {

template <typename MakePath>
int64_t read_index(const nlohmann::json& x, const MakePath& row, const char* name, int64_t lo,
                   int64_t hi) {
  if (const auto valid = json_integer_if_valid(x, lo, hi)) return *valid;
  if (!x.is_number_integer()) row().fail(std::string(name) + ": expected an integer");
  if (x.is_number_unsigned() && x.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    row().fail(std::string(name) + ": out of range");
  const int64_t value = x.get<int64_t>();
  if (value < lo || value > hi)
    row().fail(std::string(name) + " = " + std::to_string(value) + " outside [" + std::to_string(lo) +
             ", " + std::to_string(hi) + "]");
  return value;
}

}  // namespace

std::vector<CubicCase> parse_cubic_cases(const nlohmann::json& cases, int64_t v, int64_t k,
                                         const JsonPath& where) {
  if (!cases.is_array()) where.fail("expected an array of case rows");
  std::vector<CubicCase> out;
  out.reserve(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const nlohmann::json& row = cases[i];
    const auto name = [&] { return where.index(i); };  // formed only to report a failure
    if (!row.is_array() || row.size() != 4) name().fail("expected [m, q, c, mask]");
    CubicCase cc;
    cc.m = read_index(row[0], name, "m", 0, v - 1);
    cc.q = read_index(row[1], name, "q", 0, cc.m);
    cc.c = read_index(row[2], name, "c", 0, cc.q == cc.m ? k - 1 : k - 2);
    if (cc.c >= 1 && cc.m == 0) name().fail("c >= 1 needs a non-max value < m = 0");
    if (!row[3].is_string()) name().fail("mask: expected a string");
    const std::string& mask = row[3].get_ref<const std::string&>();
    if (cc.c == 0) {
      if (!mask.empty()) name().fail("mask: must be \"\" when c = 0");
    } else {
      const size_t digits = static_cast<size_t>((cc.m + 3) / 4);
      if (mask.size() != digits)
        name().fail("mask: " + std::to_string(mask.size()) + " hex digits, expected " +
                  std::to_string(digits) + " for m = " + std::to_string(cc.m));
      cc.bits.assign(static_cast<size_t>((cc.m + 63) / 64), 0);
      cc.size = 0;
      for (size_t d = 0; d < digits; ++d) {
        const char ch = mask[digits - 1 - d];  // d = digit index from the least significant end
        unsigned value;
        if (ch >= '0' && ch <= '9')
          value = static_cast<unsigned>(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
          value = static_cast<unsigned>(ch - 'a' + 10);
        else
          name().fail("mask: '" + std::string(1, ch) + "' is not a lowercase hex digit");
        for (unsigned b = 0; b < 4; ++b) {
          if (!((value >> b) & 1u)) continue;
          const int64_t n = static_cast<int64_t>(4 * d + b);
          if (n >= cc.m)
            name().fail("mask: value n = " + std::to_string(n) +
                      " is not < m = " + std::to_string(cc.m));
          cc.bits[static_cast<size_t>(n >> 6)] |= uint64_t{1} << (n & 63);
          ++cc.size;
        }
      }
      if (cc.size == 0) name().fail("mask: empty set of non-max values");
    }
    if (!out.empty()) {
      const CubicCase& prev = out.back();
      const auto a = std::make_tuple(prev.m, prev.q, prev.c);
      const auto b = std::make_tuple(cc.m, cc.q, cc.c);
      if (a == b) name().fail("duplicate case (m, q, c): same class as the previous row");
      if (b < a) name().fail("rows not sorted by (m, q, c)");
    }
    out.push_back(std::move(cc));
  }
  return out;
}

BigInt cubic_count(const std::vector<CubicCase>& cases, int64_t v, int64_t k) {
  ClassTally tally(v, k, "cubic count");
  for (size_t i = 0; i < cases.size(); ++i) {
    const CubicCase& cc = cases[i];
    if (cc.m < 0 || cc.m >= v || cc.q < 0 || cc.q > cc.m || cc.c < 0 ||
        cc.c > (cc.q == cc.m ? k - 1 : k - 2) || cc.size < 1 || (cc.c > 0 && cc.size > cc.m) ||
        (cc.c == 0 && cc.size != 1) ||
        (i > 0 &&
         std::tie(cases[i - 1].m, cases[i - 1].q, cases[i - 1].c) >= std::tie(cc.m, cc.q, cc.c))) {
      throw std::logic_error("cubic count: row " + std::to_string(i) + " is not a valid class");
    }
    // Class size: C(k-1, c) positions times size^c values (for c = 0 the single input); within
    // its class of C(k-1, c)·m^c inputs since 1 <= size <= m was required above.
    tally.add_class(cc.m, cc.size, cc.c);
  }
  return tally.total();
}

}  // namespace mechcert
