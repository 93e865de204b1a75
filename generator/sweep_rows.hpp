// The rows of a sweep (`DIR/rows.jsonl`): one JSON object per (seed, k, vocab, strategy), one
// line each. Appending is one write(2) of the whole line followed by fsync, so a killed sweep
// leaves at most a torn last line, which readers skip and the next append cuts off. Reading
// several files merges them: the first row of a key wins, later duplicates are dropped, and the
// result is sorted by key, so shards and resumed runs give the same list as one whole run.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace mechcert {

// Every key a row has (docs/sweep.md): a value may be null (e.g. normalized_bound when the
// exact accuracy is unknown), but the key is there. `reason` is null when valid.
const std::vector<std::string>& sweep_row_keys();

// Keys whose values are measured times (ignored when two runs are compared).
bool is_timing_key(const std::string& key);

struct RowKey {
  uint64_t seed = 0;
  int64_t k = 0;
  int64_t vocab = 0;
  std::string strategy;
  auto operator<=>(const RowKey&) const = default;
};

// Throws std::invalid_argument if `row` lacks a key field or has one of the wrong type.
RowKey row_key(const nlohmann::json& row);

// Throws std::invalid_argument naming the first missing key.
void require_row_keys(const nlohmann::json& row, const std::string& where);

// Rows of one rows.jsonl, in file order. A missing file is empty. A malformed *last* line
// without its newline is a torn append and skipped; any other malformed line is an error
// (std::invalid_argument "FILE:LINE: ...").
std::vector<nlohmann::json> read_rows(const std::string& path);

// Rows of several files (or directories holding rows.jsonl), deduplicated and sorted by key.
std::vector<nlohmann::json> merge_rows(const std::vector<std::string>& paths);

// Same, for rows already in memory.
std::vector<nlohmann::json> dedupe_rows(std::vector<nlohmann::json> rows);

// Appends rows to one file from several threads.
class RowWriter {
 public:
  // Opens (creating) `path` for appending; cuts a torn last line left by a killed run.
  explicit RowWriter(const std::string& path);
  ~RowWriter();
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;

  // One line, one write(2), then fsync; throws std::runtime_error on failure.
  void append(const nlohmann::json& row);

 private:
  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
};

}  // namespace mechcert
