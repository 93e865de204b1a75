#include "format/file_read.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mechcert {

template <class Buffer>
FileReadResult read_whole_file(const std::string& path, uint64_t max_bytes, Buffer& out) {
  FileReadResult r;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.error = std::string("cannot open file: ") + std::strerror(errno);
    return r;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    r.error = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
    ::close(fd);
    return r;
  }
  r.size = static_cast<uint64_t>(st.st_size);
  if (r.size > max_bytes) {
    r.over_limit = true;
    ::close(fd);
    return r;
  }
  out.resize(static_cast<size_t>(r.size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, reinterpret_cast<char*>(out.data()) + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r.error = n == 0 ? "short read" : std::string("read error: ") + std::strerror(errno);
      ::close(fd);
      return r;
    }
    done += static_cast<size_t>(n);
  }
  // The file must not have grown meanwhile: one more byte would mean we did not read all of it.
  char extra;
  ssize_t n;
  do n = ::read(fd, &extra, 1); while (n < 0 && errno == EINTR);
  if (n != 0) r.error = "file changed while being read";
  ::close(fd);
  return r;
}

template FileReadResult read_whole_file(const std::string&, uint64_t, std::string&);
template FileReadResult read_whole_file(const std::string&, uint64_t, std::vector<uint8_t>&);

}  // namespace mechcert
