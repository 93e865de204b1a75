#include "generator/seed_list.hpp"

#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

namespace mechcert {
namespace {

uint64_t parse_seed(const std::string& s, const std::string& where) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    throw std::invalid_argument(where + ": '" + s + "' is not a seed (a non-negative integer)");
  return value;
}

// Largest range we expand: a typo such as 1-1000000000 should be an error, not an hour of work.
constexpr uint64_t kMaxSeeds = 1000000;

}  // namespace

const std::vector<uint64_t>& paper_seeds() {
  static const std::vector<uint64_t> seeds = {
      50,    104,   123,   519,   742,   913,   1185,  1283,  1412,  1490,  1681,  1696,  1895,
      1951,  2236,  2306,  2345,  2549,  2743,  2773,  3175,  3254,  3284,  4157,  4305,  4430,
      4647,  4729,  4800,  4810,  5358,  5615,  5781,  5928,  6082,  6155,  6159,  6204,  6532,
      6549,  6589,  6910,  7098,  7238,  7310,  7467,  7790,  7884,  8048,  8299,  8721,  8745,
      8840,  8893,  9132,  9134,  9504,  9816,  10248, 11124, 11130, 11498, 11598, 11611, 12141,
      12287, 12457, 12493, 12552, 12561, 13036, 13293, 13468, 13654, 13716, 14095, 14929, 15043,
      15399, 15622, 15662, 16069, 16149, 16197, 16284, 17080, 17096, 17194, 17197, 18146, 18289,
      18668, 19004, 19093, 19451, 19488, 19538, 19917, 20013, 20294, 20338, 20415, 20539, 20751,
      20754, 20976, 21317, 21598, 22261, 22286, 22401, 22545, 23241, 23367, 23447, 23633, 23696,
      24144, 24173, 24202, 24262, 24438, 24566, 25516, 26278, 26374, 26829, 26932, 27300, 27484,
      27584, 27671, 27714, 28090, 28716, 28778, 29022, 29052, 29110, 29195, 29565, 29725, 29726,
      30371, 30463, 30684, 30899, 31308, 32103, 32374, 32382};
  return seeds;
}

std::vector<uint64_t> parse_seed_items(const std::string& text, const std::string& where) {
  std::vector<uint64_t> seeds;
  std::unordered_set<uint64_t> seen;
  std::string item;
  auto flush = [&] {
    if (item.empty()) return;
    const size_t dash = item.find('-');
    uint64_t lo = 0, hi = 0;
    if (dash == std::string::npos) {
      lo = hi = parse_seed(item, where);
    } else {
      lo = parse_seed(item.substr(0, dash), where);
      hi = parse_seed(item.substr(dash + 1), where);
      if (hi < lo) throw std::invalid_argument(where + ": range '" + item + "' is reversed");
      if (hi - lo >= kMaxSeeds)
        throw std::invalid_argument(where + ": range '" + item + "' has more than 10^6 seeds");
    }
    for (uint64_t s = lo;; ++s) {
      if (!seen.insert(s).second)
        throw std::invalid_argument(where + ": seed " + std::to_string(s) + " is listed twice");
      seeds.push_back(s);
      if (seeds.size() > kMaxSeeds) throw std::invalid_argument(where + ": more than 10^6 seeds");
      if (s == hi) break;
    }
    item.clear();
  };
  bool in_comment = false;
  for (const char c : text) {
    if (c == '\n') in_comment = false;
    if (in_comment) continue;
    if (c == '#') {
      in_comment = true;
      flush();
    } else if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else {
      item.push_back(c);
    }
  }
  flush();
  if (seeds.empty()) throw std::invalid_argument(where + ": no seeds");
  return seeds;
}

std::vector<uint64_t> parse_seed_list(const std::string& spec) {
  if (spec == "paper") return paper_seeds();
  std::error_code ec;
  if (std::filesystem::is_regular_file(spec, ec)) {
    std::ifstream in(spec, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (!in && !in.eof()) throw std::invalid_argument(spec + ": cannot read the seed file");
    return parse_seed_items(buffer.str(), spec);
  }
  return parse_seed_items(spec, "--seeds");
}

}  // namespace mechcert
