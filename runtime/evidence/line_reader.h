// Reads custody.jsonl line by line in bounded memory: a line longer than the limit is
// reported as too long (its excess is skipped, not buffered), and a last line without its
// newline is flagged so a torn append is visible. Internal to runtime/evidence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace writ::evidence {

// A record is a few hundred bytes; paths make it longer, never this long.
inline constexpr std::size_t kMaxRecordLine = 64 * 1024;

class LineReader {
 public:
  struct Line {
    std::uint64_t number = 0;  // 1-based
    std::string text;          // without the newline; cut at the limit when too_long
    bool terminated = true;    // false for a last line missing its newline
    bool too_long = false;
  };

  explicit LineReader(int fd, std::size_t max_line = kMaxRecordLine);

  // The next line, or nothing at end of file or on a read error (see error()).
  std::optional<Line> next();
  std::error_code error() const { return error_; }

 private:
  bool refill();

  int fd_;
  std::size_t max_line_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  std::uint64_t number_ = 0;
  std::error_code error_;
};

}  // namespace writ::evidence
