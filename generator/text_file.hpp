// Whole text files for the sweep and the report, on top of format/'s byte-file helpers: a file
// appears under its final name only when complete (temporary name + rename, so a kill never
// leaves half of one), and reads are bounded.
#pragma once
#include <string>

namespace mechcert {

// Throws FormatError (one line naming the file) on failure.
void write_text_file(const std::string& path, const std::string& text);

// Throws FormatError if the file cannot be read or exceeds 1 GiB.
std::string read_text_file(const std::string& path);

}  // namespace mechcert
