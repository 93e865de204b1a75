#include "generator/sweep_rows.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace mechcert {

const std::vector<std::string>& sweep_row_keys() {
  static const std::vector<std::string> keys = {
      "seed",          "k",              "vocab",          "strategy",
      "group",         "valid",          "certified",      "total",
      "exact_correct", "bound",          "normalized_bound", "paper_flops",
      "checker_ops",   "check_seconds",  "prove_seconds",  "unexplained_dimension",
      "reason",        "checker_exit",   "model_sha256"};
  return keys;
}

bool is_timing_key(const std::string& key) {
  return key.size() >= 8 && key.compare(key.size() - 8, 8, "_seconds") == 0;
}

RowKey row_key(const nlohmann::json& row) {
  if (!row.is_object()) throw std::invalid_argument("a row is not a JSON object");
  for (const char* key : {"seed", "k", "vocab"})
    if (!row.contains(key) || !row[key].is_number_integer())
      throw std::invalid_argument(std::string("row field '") + key + "' is not an integer");
  if (!row.contains("strategy") || !row["strategy"].is_string())
    throw std::invalid_argument("row field 'strategy' is not a string");
  return RowKey{row["seed"].get<uint64_t>(), row["k"].get<int64_t>(), row["vocab"].get<int64_t>(),
                row["strategy"].get<std::string>()};
}

void require_row_keys(const nlohmann::json& row, const std::string& where) {
  for (const std::string& key : sweep_row_keys())
    if (!row.contains(key)) throw std::invalid_argument(where + ": row has no '" + key + "'");
  row_key(row);
}

std::vector<nlohmann::json> read_rows(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return rows;
    throw std::invalid_argument(path + ": cannot read");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  size_t start = 0;
  int64_t line = 0;
  while (start < text.size()) {
    ++line;
    const size_t end = text.find('\n', start);
    const bool torn = end == std::string::npos;
    const std::string body = text.substr(start, torn ? std::string::npos : end - start);
    start = torn ? text.size() : end + 1;
    if (body.empty()) continue;
    nlohmann::json row = nlohmann::json::parse(body, nullptr, false);
    const std::string where = path + ":" + std::to_string(line);
    if (row.is_discarded() || !row.is_object()) {
      if (torn) break;  // the tail of an append that a kill cut short
      throw std::invalid_argument(where + ": not a JSON object");
    }
    if (torn) break;  // complete JSON but no newline: still an unfinished append
    require_row_keys(row, where);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<nlohmann::json> dedupe_rows(std::vector<nlohmann::json> rows) {
  std::map<RowKey, nlohmann::json> by_key;
  for (nlohmann::json& row : rows) by_key.emplace(row_key(row), std::move(row));
  std::vector<nlohmann::json> out;
  out.reserve(by_key.size());
  for (auto& [key, row] : by_key) out.push_back(std::move(row));
  return out;
}

std::vector<nlohmann::json> merge_rows(const std::vector<std::string>& paths) {
  std::vector<nlohmann::json> all;
  for (const std::string& p : paths) {
    std::error_code ec;
    const std::string file =
        std::filesystem::is_directory(p, ec) ? (std::filesystem::path(p) / "rows.jsonl").string() : p;
    if (!std::filesystem::exists(file, ec)) throw std::invalid_argument(file + ": no such file");
    for (nlohmann::json& row : read_rows(file)) all.push_back(std::move(row));
  }
  return dedupe_rows(std::move(all));
}

RowWriter::RowWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  // Cut a torn last line (no trailing newline) so the next row starts on a line of its own.
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  off_t size = st.st_size;
  if (size > 0) {
    std::string text(static_cast<size_t>(size), '\0');
    if (::pread(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error(path + ": cannot read back");
    if (text.back() != '\n') {
      const size_t last = text.rfind('\n');
      const off_t keep = last == std::string::npos ? 0 : static_cast<off_t>(last + 1);
      if (::ftruncate(fd_, keep) != 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    }
  }
  if (::lseek(fd_, 0, SEEK_END) < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
}

RowWriter::~RowWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void RowWriter::append(const nlohmann::json& row) {
  const std::string line = row.dump() + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    throw std::runtime_error(path_ + ": short write: " + std::strerror(errno));
  if (::fsync(fd_) != 0) throw std::runtime_error(path_ + ": fsync: " + std::strerror(errno));
}

}  // namespace mechcert
