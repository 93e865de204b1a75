// A one-line progress bar on stderr for long runs (`mechcert sweep`): done/total, a bar, the
// rate and the estimated time left, redrawn in place with '\r' at most a few times a second.
// Quiet (draws nothing) when disabled, e.g. when stderr is not a terminal or with --quiet, so
// logs and CI output stay clean. Thread-safe: workers call advance() concurrently.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace mechcert {

class ProgressBar {
 public:
  // `enabled` false: every call is a no-op.
  ProgressBar(int64_t total, bool enabled, std::string unit = "jobs");
  ~ProgressBar();

  // One more item done; `label` (e.g. "seed 50 cubic") is shown at the end of the line.
  void advance(const std::string& label = "");
  // Prints a line above the bar (warnings) without garbling it.
  void note(const std::string& line);
  // Final redraw and newline.
  void finish();

  // True when stderr is a terminal.
  static bool stderr_is_terminal();

  // "1:02:03", "4:05", "7s": for ETA and elapsed time.
  static std::string format_duration(double seconds);

 private:
  void draw_locked(bool force);

  int64_t total_;
  int64_t done_ = 0;
  bool enabled_;
  bool finished_ = false;
  std::string unit_;
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::mutex mutex_;
};

}  // namespace mechcert
