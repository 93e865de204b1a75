// Certificate format v1: strict parsing. Every malformed input class is rejected with a one-line
// FormatError naming the file and the JSON path; syntax and I/O problems are UnreadableInput.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "format/certificate.hpp"
#include "format/exact_numbers.hpp"
#include "format/json_fields.hpp"
#include "format/sha256.hpp"

using namespace mechcert;
using nlohmann::json;

namespace {

json valid_doc() {
  return json::parse(R"({
    "format": "mechcert-certificate", "version": 1,
    "task": {"name": "max-of-k", "vocab": 5, "k": 3},
    "model": {"sha256": "0000000000000000000000000000000000000000000000000000000000000000",
              "d_model": 4, "d_head": 3, "d_vocab_out": 5},
    "strategy": "brute-force",
    "steps": [{"kind": "brute-force"}],
    "claim": {"correct": "100", "total": "125"}})");
}

std::string error_of(const std::string& text, const std::string& dir = "") {
  try {
    parse_certificate(text, "cert.json", dir);
  } catch (const UnreadableInput& e) {
    return std::string("UNREADABLE ") + e.what();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

std::string error_of_doc(const json& doc) { return error_of(doc.dump()); }

}  // namespace

TEST_CASE("a valid certificate parses") {
  const Certificate c = parse_certificate(valid_doc().dump(), "cert.json", "");
  REQUIRE(c.version == 1);
  REQUIRE(c.task.vocab == 5);
  REQUIRE(c.claim_correct == 100);
  REQUIRE(c.claim_total == 125);
  REQUIRE(c.steps.size() == 1);
  REQUIRE(c.step_kind(0) == "brute-force");
  // Round trip through the writer.
  REQUIRE(certificate_to_json(c) == valid_doc());
}

TEST_CASE("malformed certificates are rejected with the JSON path") {
  json d;
  CHECK(error_of("{\"format\": ").find("UNREADABLE cert.json: invalid JSON") == 0);
  CHECK(error_of("[1, 2]").find("expected an object") != std::string::npos);
  CHECK(error_of("{\"a\": NaN}").find("UNREADABLE") == 0);

  d = valid_doc(); d["version"] = 2;
  CHECK(error_of_doc(d) == "cert.json: version: unsupported certificate version 2 (this checker reads version 1)");
  d = valid_doc(); d["version"] = "1";
  CHECK(error_of_doc(d) == "cert.json: version: expected an integer, found string");
  d = valid_doc(); d["format"] = "other";
  CHECK(error_of_doc(d).find("cert.json: format: expected \"mechcert-certificate\"") == 0);
  d = valid_doc(); d["task"]["vocab"] = "5";
  CHECK(error_of_doc(d) == "cert.json: task.vocab: expected an integer, found string");
  d = valid_doc(); d["task"]["vocab"] = 5.5;
  CHECK(error_of_doc(d).find("cert.json: task.vocab: expected an integer, found number") == 0);
  d = valid_doc(); d["task"]["k"] = -3;
  CHECK(error_of_doc(d) == "cert.json: task.k: integer -3 out of range [1,1024]");
  d = valid_doc(); d["model"]["d_model"] = 1000000000000LL;
  CHECK(error_of_doc(d) == "cert.json: model.d_model: integer 1000000000000 out of range [1,16384]");
  d = valid_doc(); d["model"]["d_head"] = json::parse("18446744073709551615");
  CHECK(error_of_doc(d).find("cert.json: model.d_head: integer 18446744073709551615 out of range") == 0);
  d = valid_doc(); d["model"]["sha256"] = "ABC";
  CHECK(error_of_doc(d) == "cert.json: model.sha256: expected 64 lowercase hex digits");
  d = valid_doc(); d["extra"] = 1;
  CHECK(error_of_doc(d) == "cert.json: unknown field 'extra'");
  d = valid_doc(); d["task"]["seed"] = 1;
  CHECK(error_of_doc(d) == "cert.json: task: unknown field 'seed'");
  d = valid_doc(); d.erase("claim");
  CHECK(error_of_doc(d) == "cert.json: missing required field 'claim'");
  d = valid_doc(); d["claim"]["total"] = "124";
  CHECK(error_of_doc(d) == "cert.json: claim.total: total 124 is not vocab^k = 125");
  d = valid_doc(); d["claim"]["correct"] = "126";
  CHECK(error_of_doc(d) == "cert.json: claim.correct: claims 126 correct of only 125 inputs");
  d = valid_doc(); d["claim"]["correct"] = "0100";
  CHECK(error_of_doc(d).find("cert.json: claim.correct: \"0100\" is not a decimal integer") == 0);
  d = valid_doc(); d["claim"]["correct"] = "-1";
  CHECK(error_of_doc(d).find("is not a decimal integer >= 0") != std::string::npos);
  d = valid_doc(); d["claim"]["correct"] = 100;
  CHECK(error_of_doc(d) == "cert.json: claim.correct: expected a string, found number");
  d = valid_doc(); d["steps"] = json::object();
  CHECK(error_of_doc(d) == "cert.json: steps: expected an array, found object");
  d = valid_doc(); d["steps"][1] = json::object();
  CHECK(error_of_doc(d) == "cert.json: steps[1]: missing required field 'kind'");
  d = valid_doc(); d["steps"][0]["kind"] = 7;
  CHECK(error_of_doc(d) == "cert.json: steps[0].kind: expected a string, found number");
  d = valid_doc(); d["sidecar"] = {{"file", "../x.bin"}, {"sha256", std::string(64, '0')}, {"bytes", 0}};
  CHECK(error_of_doc(d).find("cert.json: sidecar.file: sidecar must be a bare file name") == 0);
}

TEST_CASE("duplicate keys are rejected at any depth") {
  CHECK(error_of(R"({"format": "mechcert-certificate", "format": "x"})") ==
        "cert.json: format: duplicate key 'format'");
  std::string t = valid_doc().dump();
  t.replace(t.find("\"kind\":\"brute-force\""), 20, "\"kind\":\"brute-force\",\"kind\":\"x\"");
  CHECK(error_of(t) == "cert.json: steps[0].kind: duplicate key 'kind'");
  t = valid_doc().dump();
  t.replace(t.find("\"k\":3"), 5, "\"k\":3,\"k\":4");
  CHECK(error_of(t) == "cert.json: task.k: duplicate key 'k'");
}

TEST_CASE("the streaming pass rejects overflowing numbers, deep nesting and too many values") {
  std::string t = valid_doc().dump();
  t.replace(t.find("\"d_head\":3"), 10, "\"d_head\":1e400");  // nlohmann: a syntax error
  CHECK(error_of(t).find("UNREADABLE cert.json: invalid JSON") == 0);
  CHECK(error_of(t).find("overflow parsing '1e400'") != std::string::npos);
  // 63 arrays inside "steps": the last one is the 65th container.
  t = valid_doc().dump();
  t.replace(t.find("[{\"kind\""), 1, "[" + std::string(63, '[') + std::string(63, ']') + ",");
  std::string path = "steps[0]";
  for (int i = 0; i < 62; ++i) path += "[0]";
  CHECK(error_of(t) == "cert.json: " + path + ": nesting deeper than 64");
  try {
    parse_json_strict(R"({"a": [0, 1, {"b": null}]})", "cert.json", 6, 64);
    FAIL("accepted");
  } catch (const FormatError& e) {
    CHECK(std::string(e.what()) == "cert.json: a[2].b: exceeds the limit of 6 JSON values and object keys");
  }
}

TEST_CASE("both parse paths build nlohmann's tree and reject the same documents") {
  // parse_json_strict builds the tree in one checking pass when the text has at most max_values
  // bytes (it cannot then hold more values), and counts first otherwise (SPEC 6.2). Both paths
  // must give the tree nlohmann's own parser gives, and the same rejections.
  const std::vector<std::string> texts = {
      "0", "-7", "18446744073709551615", "-9223372036854775808", "1.5e-300", "\"\"", "null",
      "[]", "{}", "[[], {}, [[]], {\"a\": {}}]", R"({"b": [1, -2, 3.25, true, false, null], "a": "\u00e9\n"})",
      R"([{"m": 1, "rows": [[0, 1], [1, 2]]}, {"m": 2, "rows": []}, "0x1.8p-1"])",
      valid_doc().dump(), valid_doc().dump(2)};
  for (const std::string& text : texts) {
    INFO(text);
    const json expected = json::parse(text);
    CHECK(parse_json_strict(text, "c.json", 1 << 20, 64) == expected);                 // one pass
    if (text.size() > 1)  // (a text of n > 1 bytes here holds at most n - 1 values)
      CHECK(parse_json_strict(text, "c.json", text.size() - 1, 64) == expected);  // counted first
    CHECK(parse_json_strict(text, "c.json", 1 << 20, 64).dump() == expected.dump());  // same types
  }
  const auto both = [](const std::string& text) {
    std::string one, two;
    try { parse_json_strict(text, "c.json", 1 << 20, 64); } catch (const FormatError& e) { one = e.what(); }
    try { parse_json_strict(text, "c.json", text.size() - 1, 64); } catch (const FormatError& e) { two = e.what(); }
    CHECK(one == two);
    return one;
  };
  CHECK(both(R"({"a": [0, {"b": 1, "c": 2, "b": 3}]})") == "c.json: a[1].b: duplicate key 'b'");
  // (nlohmann's lexer already refuses numbers that overflow binary64)
  CHECK(both(R"([0, {"x": 1e999}])").find("c.json: invalid JSON") == 0);
  CHECK(both(std::string(65, '[') + std::string(65, ']')) ==
        "c.json: " + [] { std::string p; for (int i = 0; i < 64; ++i) p += "[0]"; return p; }() +
            ": nesting deeper than 64");
  CHECK(both(std::string(64, '[') + std::string(64, ']')).empty());
  CHECK(both("[1, 2").find("c.json: invalid JSON") == 0);
}

TEST_CASE("sidecar: named, sized and hashed") {
  const auto dir = std::filesystem::temp_directory_path() / "mechcert_test_sidecar";
  std::filesystem::create_directories(dir);
  const std::vector<uint8_t> bytes = {0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 1, 0, 0, 0, 0, 0, 0, 0};
  { std::ofstream(dir / "s.bin", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), 16); }
  json d = valid_doc();
  d["sidecar"] = {{"file", "s.bin"}, {"sha256", sha256_hex(bytes)}, {"bytes", 16}};
  const Certificate c = parse_certificate(d.dump(), "cert.json", dir.string());
  REQUIRE(c.sidecar_data == bytes);
  const json ref = {{"offset", 0}, {"count", 1}, {"dtype", "f64le"}};
  REQUIRE(read_sidecar_f64(c, ref, {"cert.json", "steps[0].values"}, 1) == std::vector<double>{1.0});
  const json iref = {{"offset", 8}, {"count", 1}, {"dtype", "i64le"}};
  REQUIRE(read_sidecar_i64(c, iref, {"cert.json", "x"}, 1) == std::vector<int64_t>{1});
  const json past = {{"offset", 8}, {"count", 2}, {"dtype", "f64le"}};
  REQUIRE_THROWS_WITH(read_sidecar_f64(c, past, {"cert.json", "x"}, 2),
                      Catch::Contains("runs past the end of the sidecar"));

  d["sidecar"]["sha256"] = std::string(64, 'a');
  CHECK(error_of(d.dump(), dir.string()).find("cert.json: sidecar.sha256: sidecar s.bin has SHA-256") == 0);
  d["sidecar"]["bytes"] = 17;
  CHECK(error_of(d.dump(), dir.string()).find("has 16 bytes, the certificate says 17") != std::string::npos);
  d["sidecar"]["file"] = "missing.bin";
  CHECK(error_of(d.dump(), dir.string()).find("UNREADABLE") == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("exact numbers: hex floats, rationals, decimal integers") {
  const JsonPath p{"cert.json", "x"};
  REQUIRE(parse_hex_double("0x1.8p-3", p) == 0.1875);
  REQUIRE(parse_hex_double("-0x1p-1074", p) == -0x1p-1074);
  REQUIRE(parse_hex_double("0x1.fffffffffffffp+1023", p) == 0x1.fffffffffffffp+1023);
  REQUIRE(parse_hex_double(format_hex_double(0.1), p) == 0.1);
  REQUIRE_THROWS_WITH(parse_hex_double("0x1p+1024", p), Catch::Contains("overflows"));
  REQUIRE_THROWS_WITH(parse_hex_double("0x1.00000000000001p+0", p), Catch::Contains("53"));
  REQUIRE_THROWS_WITH(parse_hex_double("0x1p-1075", p), Catch::Contains("subnormal"));
  for (const char* bad : {"nan", "inf", "0x", "1.5", "0x1.p1", "0x1p", " 0x1p0", "0x1p0 "})
    REQUIRE_THROWS_AS(parse_hex_double(bad, p), FormatError);
  REQUIRE(parse_rational("-6/4", p) == Rational(-3, 2));
  REQUIRE(parse_exact_number("0x1.8p-3", p) == Rational(3, 16));
  REQUIRE_THROWS_WITH(parse_rational("1/0", p), Catch::Contains("zero denominator"));
  REQUIRE_THROWS_AS(parse_rational("1/-2", p), FormatError);
  REQUIRE(parse_decimal_integer("16777216", p) == BigInt(16777216));
  REQUIRE_THROWS_AS(parse_decimal_integer(std::string(kMaxNumberDigits + 1, '9'), p), FormatError);
}

TEST_CASE("path-carrying error messages for indices") {
  const JsonPath p = JsonPath{"cert.json", "steps"}.index(3).field("cases").index(17);
  REQUIRE_THROWS_WITH(json_integer(json(70), p, 0, 63),
                      "cert.json: steps[3].cases[17]: index 70 out of range [0,64)");
}
