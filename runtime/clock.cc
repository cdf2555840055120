#include "runtime/clock.h"

#include <charconv>
#include <ctime>
#include <thread>

#include <fmt/format.h>

namespace writ::runtime {

void SystemClock::sleep_for(Millis duration) {
  if (duration.count() > 0) std::this_thread::sleep_for(duration);
}

ManualClock::ManualClock(WallTime start) : wall_(start) {}

WallTime ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return wall_;
}

std::chrono::steady_clock::time_point ManualClock::steady() const {
  std::lock_guard lock(mutex_);
  return steady_;
}

Millis ManualClock::total_slept() const {
  std::lock_guard lock(mutex_);
  return slept_;
}

void ManualClock::advance(Millis duration) {
  if (duration.count() <= 0) return;
  std::lock_guard lock(mutex_);
  wall_ += duration;
  steady_ += duration;
  slept_ += duration;
}

std::string format_rfc3339(WallTime time) {
  using namespace std::chrono;
  const auto since_epoch = time.time_since_epoch();
  auto secs = floor<seconds>(since_epoch);
  const auto ms = duration_cast<milliseconds>(since_epoch - secs).count();
  const sys_days day = floor<days>(sys_seconds{secs});
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day.time_since_epoch()};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), ms);
}

namespace {

// Reads exactly `width` digits at `pos`; advances pos.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, std::string_view chars) {
  if (pos >= text.size() || chars.find(text[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

std::optional<std::chrono::milliseconds> fraction(std::string_view text, std::size_t& pos) {
  if (pos >= text.size() || text[pos] != '.') return std::chrono::milliseconds{0};
  ++pos;
  const std::size_t begin = pos;
  int ms = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (pos - begin < 3) ms = ms * 10 + (text[pos] - '0');
    ++pos;
  }
  if (pos == begin) return std::nullopt;
  for (std::size_t n = pos - begin; n < 3; ++n) ms *= 10;
  return std::chrono::milliseconds{ms};
}

std::optional<std::chrono::minutes> zone(std::string_view text, std::size_t& pos) {
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
    return std::chrono::minutes{0};
  }
  if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return std::nullopt;
  const int sign = text[pos] == '-' ? -1 : 1;
  ++pos;
  auto hours = digits(text, pos, 2);
  if (!hours || !expect(text, pos, ":")) return std::nullopt;
  auto minutes = digits(text, pos, 2);
  if (!minutes || *hours > 23 || *minutes > 59) return std::nullopt;
  return std::chrono::minutes{sign * (*hours * 60 + *minutes)};
}

}  // namespace

std::optional<WallTime> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  auto y = digits(text, pos, 4);
  if (!y || !expect(text, pos, "-")) return std::nullopt;
  auto mo = digits(text, pos, 2);
  if (!mo || !expect(text, pos, "-")) return std::nullopt;
  auto d = digits(text, pos, 2);
  if (!d || !expect(text, pos, "Tt ")) return std::nullopt;
  auto h = digits(text, pos, 2);
  if (!h || !expect(text, pos, ":")) return std::nullopt;
  auto mi = digits(text, pos, 2);
  if (!mi || !expect(text, pos, ":")) return std::nullopt;
  auto s = digits(text, pos, 2);
  if (!s) return std::nullopt;
  auto frac = fraction(text, pos);
  if (!frac) return std::nullopt;
  auto offset = zone(text, pos);
  if (!offset || pos != text.size()) return std::nullopt;
  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  const auto at = sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*s} + *frac - *offset;
  // WallTime counts nanoseconds in 64 bits (about 1678 to 2261): a timestamp outside that
  // range is not one writ can hold, and converting it would overflow.
  if (at < time_point_cast<milliseconds>(WallTime::min()) || at > time_point_cast<milliseconds>(WallTime::max())) {
    return std::nullopt;
  }
  return time_point_cast<WallTime::duration>(at);
}

std::int64_t millis_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
  return ms < 0 ? 0 : ms;
}

}  // namespace writ::runtime
