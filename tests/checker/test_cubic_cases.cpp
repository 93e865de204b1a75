// The cubic case list: parsing and validation (SPEC 5.1) and the exact count with its coverage
// checks (SPEC 5.10, Lemma C7). Checker only.
#include <string>

#include <catch2/catch.hpp>

#include "checker/cubic_cases.hpp"
#include "format/errors.hpp"

using namespace mechcert;
using nlohmann::json;

namespace {

const JsonPath kWhere{"cert.json", "steps[1].cases"};

std::vector<CubicCase> parse(const json& rows, int64_t v = 8, int64_t k = 4) {
  return parse_cubic_cases(rows, v, k, kWhere);
}

std::string all_ones(int64_t m) {  // hex mask with every n < m set
  std::string hex((m + 3) / 4, 'f');
  if (m % 4) hex[0] = "0137"[m % 4];
  return hex;
}

// Every class (m, q, c) with the full set S = {0..m-1}: the whole input space.
json full_list(int64_t v, int64_t k) {
  json rows = json::array();
  for (int64_t m = 0; m < v; ++m)
    for (int64_t q = 0; q <= m; ++q)
      for (int64_t c = 0; c <= (q == m ? k - 1 : k - 2); ++c) {
        if (c > 0 && m == 0) continue;
        rows.push_back({m, q, c, c == 0 ? std::string() : all_ones(m)});
      }
  return rows;
}

BigInt pow_int(int64_t b, int64_t e) {
  BigInt r = 1;
  for (int64_t i = 0; i < e; ++i) r *= b;
  return r;
}

}  // namespace

TEST_CASE("cubic cases: a valid list parses to the right sets", "[cubic]") {
  const auto cases =
      parse(json::array({{0, 0, 0, ""}, {5, 2, 1, "15"}, {5, 5, 3, "10"}, {7, 3, 2, "40"}}));
  REQUIRE(cases.size() == 4);
  CHECK(cases[1].size == 3);  // 0x15 = {0, 2, 4}
  CHECK(cases[1].contains(0));
  CHECK(!cases[1].contains(1));
  CHECK(cases[1].contains(4));
  CHECK(cases[2].size == 1);
  CHECK(cases[2].contains(4));
  CHECK(cases[3].contains(6));
}

TEST_CASE("cubic cases: the full list counts exactly v^k", "[cubic]") {
  for (int64_t k : {2, 3, 4, 5, 10, 20}) {
    for (int64_t v : {2, 5, 8, 64, 128}) {
      if (v == 128 && k == 20)
        continue;  // covered below with fewer rows... still fine, but slow-ish
      const auto cases = parse_cubic_cases(full_list(v, k), v, k, kWhere);
      CHECK(cubic_count(cases, v, k) == pow_int(v, k));
    }
  }
  const auto cases = parse_cubic_cases(full_list(128, 20), 128, 20, kWhere);
  CHECK(cubic_count(cases, 128, 20) == pow_int(128, 20));  // 2^140: far beyond 64 bits
}

TEST_CASE("cubic cases: rows outside the input space or overlapping are rejected", "[cubic]") {
  auto rejects = [](const json& rows, const std::string& what) {
    try {
      parse(rows);
      FAIL("accepted: " << rows.dump());
    } catch (const FormatError& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(msg.find("cert.json: steps[1].cases[") == 0);
      CHECK(msg.find(what) != std::string::npos);
    }
  };
  rejects(json::array({{5, 2, 1, "15"}, {5, 2, 1, "15"}}), "duplicate");
  rejects(json::array({{5, 2, 1, "01"}, {5, 2, 1, "02"}}), "duplicate");
  rejects(json::array({{5, 2, 2, "15"}, {5, 2, 1, "15"}}), "not sorted");
  rejects(json::array({{6, 2, 1, "20"}, {5, 2, 1, "15"}}), "not sorted");
  rejects(json::array({{5, 2, 1, "20"}}), "n = 5 is not < m = 5");  // n = m
  rejects(json::array({{5, 2, 1, "80"}}), "n = 7 is not < m = 5");  // bit beyond m
  rejects(json::array({{5, 2, 1, "015"}}), "hex digits");           // padded
  rejects(json::array({{3, 4, 1, "1"}}), "q = 4 outside");          // q > m
  rejects(json::array({{8, 0, 0, ""}}), "m = 8 outside");           // m >= v
  rejects(json::array({{-1, 0, 0, ""}}), "m = -1 outside");
  rejects(json::array({{5, 2, 3, "15"}}), "c = 3 outside");  // q < m: c <= k-2
  rejects(json::array({{5, 5, 4, "15"}}), "c = 4 outside");  // c <= k-1
  rejects(json::array({{5, 5, -1, "15"}}), "c = -1 outside");
  rejects(json::array({{0, 0, 1, ""}}), "c >= 1 needs");
  rejects(json::array({{5, 2, 0, "1"}}), "must be \"\" when c = 0");
  rejects(json::array({{5, 2, 1, ""}}), "hex digits");
  rejects(json::array({{5, 2, 1, "00"}}), "empty set");
  rejects(json::array({{5, 2, 1, "1F"}}), "not a lowercase hex digit");
  rejects(json::array({{5, 2, 1, "1x"}}), "not a lowercase hex digit");
  rejects(json::array({{5, 2, 1}}), "expected [m, q, c, mask]");
  rejects(json::array({{5, 2, 1, "15", 0}}), "expected [m, q, c, mask]");
  rejects(json::array({{5.0, 2, 1, "15"}}), "expected an integer");
  rejects(json::array({{5, true, 1, "15"}}), "expected an integer");
  rejects(json::array({{5, 2, 1, 21}}), "expected a string");
  rejects(json::array({{uint64_t{1} << 63, 2, 1, "15"}}), "out of range");
  CHECK_THROWS_AS(parse(json::object()), FormatError);
}

TEST_CASE("cubic count: the coverage checks fire on invalid lists built without the parser",
          "[cubic]") {
  const int64_t v = 6, k = 3;
  auto row = [](int64_t m, int64_t q, int64_t c, int64_t size) {
    CubicCase cc;
    cc.m = m, cc.q = q, cc.c = c, cc.size = size;
    return cc;
  };
  CHECK(cubic_count({row(5, 5, 2, 5)}, v, k) == 25);  // C(2,2) 5^2
  CHECK(cubic_count({row(5, 5, 1, 5), row(5, 5, 2, 5)}, v, k) == 2 * 5 + 25);
  CHECK_THROWS_AS(cubic_count({row(5, 5, 2, 6)}, v, k), std::logic_error);  // |S| > m
  CHECK_THROWS_AS(cubic_count({row(5, 6, 1, 1)}, v, k), std::logic_error);  // q > m
  CHECK_THROWS_AS(cubic_count({row(5, 4, 2, 1)}, v, k), std::logic_error);  // c > k-2 for q < m
  CHECK_THROWS_AS(cubic_count({row(6, 0, 0, 1)}, v, k), std::logic_error);  // m >= v
  CHECK_THROWS_AS(cubic_count({row(5, 5, 0, 2)}, v, k), std::logic_error);  // c = 0 is one input
  CHECK_THROWS_AS(cubic_count({row(5, 5, 1, 1), row(5, 5, 1, 1)}, v, k), std::logic_error);  // dup
  CHECK_THROWS_AS(cubic_count({row(5, 5, 1, 1), row(4, 4, 1, 1)}, v, k),
                  std::logic_error);  // order
}
