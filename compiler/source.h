// A loaded input file and byte-offset spans into it. Line and column are computed only when
// printing (1-based; the column counts UTF-8 code points, so a caret lines up under the
// character a terminal shows). SourceFile is immutable once built and shared by pointer
// between the AST, diagnostics and emitters; it is safe to read from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace writ {

struct Span {
  std::uint32_t begin = 0;  // byte offset of the first character
  std::uint32_t end = 0;    // one past the last byte; end == begin for a point

  bool empty() const { return begin == end; }
  static Span merge(Span a, Span b) { return {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end}; }
};

struct LineCol {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in code points
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }

  LineCol locate(std::uint32_t offset) const;
  // The text of a 1-based line without its newline (empty past the end).
  std::string_view line_text(int line) const;
  int line_count() const { return static_cast<int>(line_starts_.size()); }
  std::uint32_t line_start(int line) const;  // byte offset of a 1-based line's first character

 private:
  std::string path_;
  std::string text_;
  std::vector<std::uint32_t> line_starts_;
};

using SourcePtr = std::shared_ptr<const SourceFile>;

}  // namespace writ
