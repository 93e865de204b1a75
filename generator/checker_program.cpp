#include "generator/checker_program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace mechcert {
namespace {

namespace fs = std::filesystem;

bool is_executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// Directory of the running executable (Linux: /proc/self/exe), empty if unknown.
fs::path own_directory() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

std::string find_checker_program(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    if (!is_executable(explicit_path))
      throw std::runtime_error("checker program '" + explicit_path + "' is not an executable file");
    return explicit_path;
  }
  if (const char* env = std::getenv("MECHCERT_CHECK"); env && *env) {
    if (!is_executable(env))
      throw std::runtime_error(std::string("$MECHCERT_CHECK='") + env +
                               "' is not an executable file");
    return env;
  }
  const fs::path dir = own_directory();
  if (!dir.empty()) {
    for (const fs::path& candidate :
         {dir / "mechcert-check", dir.parent_path() / "checker" / "mechcert-check"}) {
      if (is_executable(candidate)) return candidate.string();
    }
  }
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      const size_t end = std::min(p.find(':', start), p.size());
      const fs::path candidate = fs::path(p.substr(start, end - start)) / "mechcert-check";
      if (end > start && is_executable(candidate)) return candidate.string();
      start = end + 1;
    }
  }
  throw std::runtime_error(
      "cannot find the checker program mechcert-check (give --checker PATH or set $MECHCERT_CHECK)");
}

ProgramRun run_program(const std::string& program, const std::vector<std::string>& args) {
  std::array<int, 2> out_pipe{}, err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  std::vector<std::string> argv_strings;
  argv_strings.push_back(program);
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  const int spawn_error = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawn_error != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot run " + program + ": " + std::strerror(spawn_error));
  }

  // Drain both pipes together so that neither child stream can fill up and block the child.
  ProgramRun run;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&run.stdout_text, &run.stderr_text};
  int open_streams = 2;
  char buffer[65536];
  while (open_streams > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

}  // namespace mechcert
