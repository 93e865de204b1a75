#include "generator/progress_bar.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace mechcert {

ProgressBar::ProgressBar(int64_t total, bool enabled, std::string unit)
    : total_(total), enabled_(enabled), unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()) {
  if (enabled_) {
    std::lock_guard<std::mutex> lock(mutex_);
    draw_locked(true);
  }
}

ProgressBar::~ProgressBar() { finish(); }

bool ProgressBar::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string ProgressBar::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

void ProgressBar::advance(const std::string& label) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  ++done_;
  label_ = label;
  draw_locked(done_ == total_);
}

void ProgressBar::note(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!enabled_) {
    std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  std::fprintf(stderr, "\r\033[K%s\n", line.c_str());
  draw_locked(true);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw_locked(true);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void ProgressBar::draw_locked(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : NAN;
  constexpr int kWidth = 30;
  const int filled =
      total_ > 0 ? static_cast<int>(kWidth * static_cast<double>(done_) / static_cast<double>(total_)) : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::string label = label_.size() > 40 ? label_.substr(0, 37) + "..." : label_;
  std::fprintf(stderr, "\r\033[K[%s] %lld/%lld %s  %.2f/s  elapsed %s  ETA %s  %s", bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), rate,
               format_duration(elapsed).c_str(), format_duration(eta).c_str(), label.c_str());
  std::fflush(stderr);
}

}  // namespace mechcert
