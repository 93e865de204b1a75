// Runs the independent checker, `mechcert-check`, as a separate program: the verdict that
// `mechcert sign`, `verify` and `sweep` record is the trusted program's, never the generator's.
// The program is found in this order: an explicit path (--checker), $MECHCERT_CHECK, the
// directory of the running `mechcert` (installed layout), ../checker/ beside it (build tree),
// then $PATH.
#pragma once
#include <string>
#include <vector>

namespace mechcert {

struct ProgramRun {
  int exit_code = -1;   // the child's exit status; 128 + signal number if killed by a signal
  std::string stdout_text;
  std::string stderr_text;
};

// The checker's path; throws std::runtime_error (one line) when none is found.
std::string find_checker_program(const std::string& explicit_path = "");

// Runs `program args...` without a shell, stdin closed, and collects both output streams.
// Throws std::runtime_error if the program cannot be started.
ProgramRun run_program(const std::string& program, const std::vector<std::string>& args);

}  // namespace mechcert
