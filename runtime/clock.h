// Time as the runtime sees it. The interpreter, approval gate and connectors never read the
// system clock or sleep directly: they go through a Clock handed to them, so tests drive time
// with ManualClock and never wait. Thread-safety: SystemClock is stateless; ManualClock
// serialises its readings and advances (the branches of a parallel block share the clock).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace writ::runtime {

using WallTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Calendar time for timestamps (journal `at`, started_at, requested_at).
  virtual WallTime now() const = 0;
  // A monotonic reading for durations and deadlines (latency_ms, timeouts).
  virtual std::chrono::steady_clock::time_point steady() const = 0;
  virtual void sleep_for(Millis duration) = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady() const override { return std::chrono::steady_clock::now(); }
  void sleep_for(Millis duration) override;
};

// Starts at `start` (default 2025-12-18T00:00:00Z, i.e. 56 * 365 days after the epoch; tests
// rely on it lying before the sample events' detected_at) and moves only when slept on or
// advanced: a test clock.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime{} + std::chrono::hours(24 * 365 * 56));
  WallTime now() const override;
  std::chrono::steady_clock::time_point steady() const override;
  void sleep_for(Millis duration) override { advance(duration); }
  void advance(Millis duration);
  Millis total_slept() const;

 private:
  mutable std::mutex mutex_;
  WallTime wall_;
  std::chrono::steady_clock::time_point steady_{};
  Millis slept_{0};
};

// "2026-11-27T08:00:00.123Z" (UTC, millisecond precision).
std::string format_rfc3339(WallTime time);

// Parses RFC 3339 ("2026-11-27T08:00:00Z", optional fraction, "Z" or "+hh:mm"). Nothing when
// the text is not such a timestamp.
std::optional<WallTime> parse_rfc3339(std::string_view text);

// Milliseconds between two steady readings, never negative.
std::int64_t millis_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to);

}  // namespace writ::runtime
