// Whole-file reads with POSIX calls. std::ifstream's first use costs ~0.2 ms per process on our
// virtual machines (stream buffers, locale facets), a sizeable part of a 5 ms check that reads two
// files. One-line errors: the caller prefixes them with the path and what the file is.
#pragma once
#include <cstdint>
#include <string>

namespace mechcert {

// Why a read failed ("" = it did not).
struct FileReadResult {
  std::string error;  // e.g. "cannot open file: No such file or directory", "file changed while being read"
  uint64_t size = 0;  // the file's size (set once known; also when it is over the limit)
  bool over_limit = false;
};

// Reads the whole regular file at `path` into `out` (resized to the file's size) if it has at most
// `max_bytes` bytes; a file that is not regular, unreadable, shorter than its size or longer (grew
// while read) is an error.
template <class Buffer>
FileReadResult read_whole_file(const std::string& path, uint64_t max_bytes, Buffer& out);

}  // namespace mechcert
