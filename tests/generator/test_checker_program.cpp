// generator/checker_program: finding the independent checker program and running a child process
// with both output streams captured (the verdict that sign, verify and sweep record).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "generator/checker_program.hpp"

using namespace mechcert;

namespace {
const std::string kChecker = std::string(MECHCERT_BINARY_DIR) + "/checker/mechcert-check";
}

TEST_CASE("run_program: exit code and both streams, large output does not block", "[checker_program]") {
  const ProgramRun run = run_program("/bin/sh", {"-c", "head -c 300000 /dev/zero | tr '\\0' a; echo oops >&2; exit 3"});
  CHECK(run.exit_code == 3);
  CHECK(run.stdout_text.size() == 300000);
  CHECK(run.stderr_text == "oops\n");
}

TEST_CASE("run_program: a killed child reports 128 + signal; a missing program throws", "[checker_program]") {
  CHECK(run_program("/bin/sh", {"-c", "kill -9 $$"}).exit_code == 128 + 9);
  CHECK_THROWS_AS(run_program("/nonexistent/program", {}), std::runtime_error);
}

TEST_CASE("find_checker_program: explicit path, $MECHCERT_CHECK, errors", "[checker_program]") {
  CHECK(find_checker_program(kChecker) == kChecker);
  CHECK_THROWS_WITH(find_checker_program("/nonexistent/mechcert-check"),
                    Catch::Contains("not an executable"));
  ::setenv("MECHCERT_CHECK", kChecker.c_str(), 1);
  CHECK(find_checker_program() == kChecker);
  ::setenv("MECHCERT_CHECK", "/nonexistent", 1);
  CHECK_THROWS_WITH(find_checker_program(), Catch::Contains("MECHCERT_CHECK"));
  ::unsetenv("MECHCERT_CHECK");
  const ProgramRun version = run_program(kChecker, {"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.stdout_text.find("mechcert-check") != std::string::npos);
}
