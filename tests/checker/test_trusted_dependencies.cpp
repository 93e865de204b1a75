// The trust boundary, enforced: the checker's sources (checker/, format/) never include Eigen or
// generator code, and the mechcert-check link line names no generator library.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("checker/ and format/ include neither Eigen nor generator headers") {
  const std::regex forbidden(R"(#\s*include\s*[<"](Eigen|unsupported/Eigen|generator/)[^>"]*[>"])");
  int files = 0;
  for (const char* dir : {"checker", "format"})
    for (const auto& e : fs::directory_iterator(fs::path(MECHCERT_SOURCE_DIR) / dir)) {
      const auto ext = e.path().extension();
      if (ext != ".cpp" && ext != ".hpp" && ext != ".h") continue;
      ++files;
      INFO(e.path().string());
      REQUIRE_FALSE(std::regex_search(slurp(e.path()), forbidden));
    }
  REQUIRE(files > 5);
}

TEST_CASE("mechcert-check links no generator code and no Eigen") {
  const fs::path link = fs::path(MECHCERT_BINARY_DIR) / "checker/CMakeFiles/mechcert-check.dir/link.txt";
  if (!fs::exists(link)) {
    WARN("no link.txt (non-Makefile generator?): " << link.string());
    return;
  }
  const std::string line = slurp(link);
  REQUIRE(line.find("mechcert_gen") == std::string::npos);
  REQUIRE(line.find("generator") == std::string::npos);
  REQUIRE(line.find("eigen") == std::string::npos);
  REQUIRE(line.find("Eigen") == std::string::npos);
  // The object files compiled into the checker library come only from checker/ and format/.
  const std::string flags = slurp(fs::path(MECHCERT_BINARY_DIR) / "checker/CMakeFiles/mechcert_checker.dir/flags.make");
  REQUIRE(flags.find("eigen3") == std::string::npos);
}
