#include "runtime/evidence/line_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace writ::evidence {

LineReader::LineReader(int fd, std::size_t max_line) : fd_(fd), max_line_(max_line), buffer_(64 * 1024) {}

bool LineReader::refill() {
  if (eof_ || error_) return false;
  for (;;) {
    ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = {errno, std::system_category()};
      return false;
    }
    pos_ = 0;
    end_ = static_cast<std::size_t>(n);
    eof_ = n == 0;
    return n > 0;
  }
}

std::optional<LineReader::Line> LineReader::next() {
  Line line;
  bool any = false;
  for (;;) {
    if (pos_ == end_ && !refill()) break;
    any = true;
    const char* begin = buffer_.data() + pos_;
    const char* stop = buffer_.data() + end_;
    const char* nl = std::find(begin, stop, '\n');
    std::size_t room = max_line_ - std::min(max_line_, line.text.size());
    std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(nl - begin), room);
    line.text.append(begin, take);
    if (static_cast<std::size_t>(nl - begin) > take) line.too_long = true;
    pos_ = static_cast<std::size_t>(nl - buffer_.data());
    if (nl != stop) {
      ++pos_;  // consume the newline
      line.number = ++number_;
      return line;
    }
  }
  if (!any || error_) return std::nullopt;
  line.terminated = false;
  line.number = ++number_;
  return line;
}

}  // namespace writ::evidence
