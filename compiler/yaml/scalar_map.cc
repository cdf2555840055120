#include "compiler/yaml/scalar_map.h"

#include <optional>
#include <string>

namespace writ::yaml_detail {
namespace {

enum class Style { Plain, Single, Double, Block };

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_raw_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// Characters line folding may put into a value where the source has a line break.
bool is_fold(char c) { return c == ' ' || c == '\n'; }

std::uint32_t line_end(std::string_view src, std::uint32_t p) {
  while (p < src.size() && src[p] != '\n') ++p;
  return p;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

struct Escape {
  std::string bytes;
  std::uint32_t length = 0;  // raw bytes, backslash included
  bool line_break = false;   // `\` at the end of a line: the break is dropped
};

std::optional<std::uint32_t> parse_hex(std::string_view src, std::uint32_t p, std::uint32_t digits) {
  if (p + digits > src.size()) return std::nullopt;
  std::uint32_t value = 0;
  for (std::uint32_t k = 0; k < digits; ++k) {
    char c = src[p + k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return std::nullopt;
    value = value * 16 + static_cast<std::uint32_t>(d);
  }
  return value;
}

// The escape sequence at src[r] == '\\' inside a double-quoted scalar (YAML 1.2 §5.7).
std::optional<Escape> decode_escape(std::string_view src, std::uint32_t r) {
  if (r + 1 >= src.size()) return std::nullopt;
  char c = src[r + 1];
  Escape esc{{}, 2, false};
  auto unicode = [&](std::uint32_t digits) -> std::optional<Escape> {
    auto cp = parse_hex(src, r + 2, digits);
    if (!cp || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) return std::nullopt;
    append_utf8(esc.bytes, *cp);
    esc.length = 2 + digits;
    return esc;
  };
  switch (c) {
    case '0':
      esc.bytes = std::string(1, '\0');
      return esc;
    case 'a':
      esc.bytes = "\a";
      return esc;
    case 'b':
      esc.bytes = "\b";
      return esc;
    case 't':
    case '\t':
      esc.bytes = "\t";
      return esc;
    case 'n':
      esc.bytes = "\n";
      return esc;
    case 'v':
      esc.bytes = "\v";
      return esc;
    case 'f':
      esc.bytes = "\f";
      return esc;
    case 'r':
      esc.bytes = "\r";
      return esc;
    case 'e':
      esc.bytes = "\x1b";
      return esc;
    case ' ':
    case '"':
    case '/':
    case '\\':
      esc.bytes = std::string(1, c);
      return esc;
    case 'N':
      append_utf8(esc.bytes, 0x85);
      return esc;
    case '_':
      append_utf8(esc.bytes, 0xa0);
      return esc;
    case 'L':
      append_utf8(esc.bytes, 0x2028);
      return esc;
    case 'P':
      append_utf8(esc.bytes, 0x2029);
      return esc;
    case 'x':
      return unicode(2);
    case 'u':
      return unicode(4);
    case 'U':
      return unicode(8);
    case '\r':
    case '\n': {
      std::uint32_t p = r + 1;
      if (src[p] == '\r' && p + 1 < src.size() && src[p + 1] == '\n') ++p;
      esc.length = p + 1 - r;
      esc.line_break = true;
      return esc;
    }
    default:
      return std::nullopt;
  }
}

// Walks the raw text and the decoded value side by side. Every non-blank value byte must
// appear in order in the raw text (escapes decoded); raw blanks and line breaks that folding
// removed are skipped, and blanks folding created map to the next raw byte.
class Aligner {
 public:
  Aligner(std::string_view src, std::string_view value, Style style)
      : src_(src), value_(value), style_(style), offsets_(value.size() + 1, 0) {}

  // Aligns from `start` (the first content byte); `last_end` is the end if the value is empty.
  bool run(std::uint32_t start, std::uint32_t last_end, std::uint32_t block_indent) {
    r_ = start;
    last_end_ = last_end;
    indent_ = block_indent;
    while (i_ < value_.size()) {
      if (!step()) return false;
    }
    offsets_[value_.size()] = last_end_;
    return true;
  }

  std::vector<std::uint32_t>& offsets() { return offsets_; }
  std::uint32_t last_end() const { return last_end_; }
  std::uint32_t position() const { return r_; }

 private:
  void map(std::size_t count, std::uint32_t raw_length) {
    for (std::size_t k = 0; k < count; ++k) offsets_[i_ + k] = r_;
    i_ += count;
    r_ += raw_length;
    last_end_ = r_;
  }

  bool step() {
    if (style_ == Style::Block && at_line_start_) {
      for (std::uint32_t k = 0; k < indent_ && r_ < src_.size() && src_[r_] == ' '; ++k) ++r_;
      at_line_start_ = false;
    }
    if (r_ >= src_.size()) return false;
    char c = src_[r_];
    char want = value_[i_];
    if (style_ == Style::Double && c == '\\') return escape();
    if (style_ == Style::Double && c == '"') return false;
    if (style_ == Style::Single && c == '\'') {
      if (r_ + 1 < src_.size() && src_[r_ + 1] == '\'' && want == '\'') {
        map(1, 2);
        return true;
      }
      return false;
    }
    if (c == want) {
      at_line_start_ = c == '\n';
      map(1, 1);
      return true;
    }
    if (is_raw_space(c)) {
      at_line_start_ = c == '\n';
      ++r_;
      return true;
    }
    if (is_fold(want)) {
      offsets_[i_++] = r_;
      return true;
    }
    return false;
  }

  bool escape() {
    auto esc = decode_escape(src_, r_);
    if (!esc) return false;
    if (esc->line_break) {
      r_ += esc->length;
      return true;
    }
    if (value_.compare(i_, esc->bytes.size(), esc->bytes) == 0) {
      map(esc->bytes.size(), esc->length);
      return true;
    }
    if (is_fold(value_[i_])) {
      offsets_[i_++] = r_;
      return true;
    }
    return false;
  }

  std::string_view src_;
  std::string_view value_;
  Style style_;
  std::vector<std::uint32_t> offsets_;
  std::size_t i_ = 0;
  std::uint32_t r_ = 0;
  std::uint32_t last_end_ = 0;
  std::uint32_t indent_ = 0;
  bool at_line_start_ = false;
};

// The closing quote at or after `p`, skipping blanks, line breaks and escaped line breaks.
std::optional<std::uint32_t> closing_quote(std::string_view src, std::uint32_t p, char quote) {
  while (p < src.size()) {
    char c = src[p];
    if (c == quote) return p;
    if (is_raw_space(c)) {
      ++p;
    } else if (quote == '"' && c == '\\' && p + 1 < src.size() && (src[p + 1] == '\n' || src[p + 1] == '\r')) {
      p += 2;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// Where a quoted scalar ends when the value could not be aligned: its closing quote.
std::uint32_t scan_quoted_end(std::string_view src, std::uint32_t begin, char quote) {
  std::uint32_t p = begin + 1;
  while (p < src.size()) {
    if (quote == '"' && src[p] == '\\') {
      p += 2;
      continue;
    }
    if (src[p] == quote) {
      if (quote == '\'' && p + 1 < src.size() && src[p + 1] == '\'') {
        p += 2;
        continue;
      }
      return p + 1;
    }
    ++p;
  }
  return static_cast<std::uint32_t>(src.size());
}

struct BlockHeader {
  std::uint32_t end = 0;      // after the indicators
  std::uint32_t content = 0;  // first byte of the next line
  std::uint32_t indent = 0;   // auto-detected content indentation, 0 when explicit
};

BlockHeader parse_block_header(std::string_view src, std::uint32_t begin) {
  BlockHeader h;
  std::uint32_t p = begin + 1;
  bool explicit_indent = false;
  while (p < src.size() && (src[p] == '+' || src[p] == '-' || (src[p] >= '0' && src[p] <= '9'))) {
    explicit_indent = explicit_indent || (src[p] != '+' && src[p] != '-');
    ++p;
  }
  h.end = p;
  p = line_end(src, p);
  h.content = p < src.size() ? p + 1 : p;
  if (explicit_indent) return h;
  // Auto-detected indentation: the first line with content (YAML 1.2 §8.1.1.1).
  for (std::uint32_t q = h.content; q < src.size();) {
    std::uint32_t spaces = 0;
    while (q + spaces < src.size() && src[q + spaces] == ' ') ++spaces;
    std::uint32_t next = q + spaces;
    if (next < src.size() && src[next] != '\n' && src[next] != '\r') {
      h.indent = spaces;
      break;
    }
    q = line_end(src, next) + 1;
  }
  return h;
}

Style style_at(std::string_view src, std::uint32_t begin) {
  if (begin >= src.size()) return Style::Plain;
  switch (src[begin]) {
    case '"':
      return Style::Double;
    case '\'':
      return Style::Single;
    case '|':
    case '>':
      return Style::Block;
    default:
      return Style::Plain;
  }
}

std::uint32_t fallback_end(std::string_view src, std::uint32_t begin, Style style) {
  switch (style) {
    case Style::Double:
      return scan_quoted_end(src, begin, '"');
    case Style::Single:
      return scan_quoted_end(src, begin, '\'');
    case Style::Block:
      return parse_block_header(src, begin).end;
    case Style::Plain:
      break;
  }
  std::uint32_t end = line_end(src, begin);
  for (std::uint32_t p = begin; p < end; ++p) {
    if (src[p] == '#' && p > begin && is_blank(src[p - 1])) {
      end = p;
      break;
    }
  }
  while (end > begin && is_raw_space(src[end - 1])) --end;
  return end;
}

}  // namespace

bool ScalarText::contiguous() const {
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    if (offsets[i] != offsets[0] + i) return false;
  }
  return true;
}

std::uint32_t skip_node_properties(std::string_view source, std::uint32_t pos) {
  while (pos < source.size() && (source[pos] == '&' || source[pos] == '!')) {
    while (pos < source.size() && !is_raw_space(source[pos])) ++pos;
    while (pos < source.size() && is_raw_space(source[pos])) ++pos;
  }
  return pos;
}

ScalarText map_scalar(std::string_view source, std::uint32_t pos, std::string_view value) {
  ScalarText out;
  auto size = static_cast<std::uint32_t>(source.size());
  out.begin = skip_node_properties(source, pos < size ? pos : size);
  Style style = style_at(source, out.begin);

  Aligner aligner(source, value, style);
  bool ok = false;
  if (out.begin < size) {
    if (style == Style::Block) {
      BlockHeader header = parse_block_header(source, out.begin);
      ok = aligner.run(header.content, header.end, header.indent);
      out.end = aligner.last_end();
    } else if (style == Style::Plain) {
      ok = aligner.run(out.begin, out.begin, 0);
      out.end = aligner.last_end();
    } else {
      char quote = source[out.begin];
      ok = aligner.run(out.begin + 1, out.begin + 1, 0);
      auto close = ok ? closing_quote(source, aligner.position(), quote) : std::nullopt;
      ok = ok && close.has_value();
      if (ok) out.end = *close + 1;
    }
  }
  if (ok) {
    out.offsets = std::move(aligner.offsets());
    out.exact = true;
    return out;
  }
  out.end = out.begin < size ? fallback_end(source, out.begin, style) : size;
  out.offsets.assign(value.size() + 1, out.begin);
  out.exact = false;
  return out;
}

}  // namespace writ::yaml_detail
