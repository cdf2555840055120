// Text diagnostics in the rustc style (DESIGN §7):
//
//   runbooks/x.yaml:12:20: error[template-binding]: `event` has no field `hostid`
//      |
//   12 |     target: "{{event.hostid}}"
//      |                    ^^^^^^
//      = help: did you mean `host_id`?
//
// followed by a blank line, and after all diagnostics `writ: E errors, W warnings in F files`.
#include <algorithm>
#include <string_view>

#include "compiler/emit/emit.h"
#include "compiler/emit/common.h"

namespace writ {

namespace {

using emit_detail::Region;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD, one code point wide

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) would let a source line
// display in a different order than it reads ("Trojan Source"); show them as U+FFFD.
bool is_bidi_control(std::string_view text, std::size_t i) {
  if (i + 2 >= text.size() || text[i] != '\xE2') return false;
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  const auto b2 = static_cast<unsigned char>(text[i + 2]);
  return (b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) || (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9);
}

// User text must not drive the terminal: control characters (other than tab and newline) and
// bidi controls print as U+FFFD. Each replaces one code point, so columns stay aligned.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      out += kReplacement;
    } else if (is_bidi_control(text, i)) {
      out += kReplacement;
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

class Painter {
 public:
  explicit Painter(bool color) : color_(color) {}

  std::string severity(Severity s, std::string_view text) const {
    switch (s) {
      case Severity::Error: return paint("1;31", text);
      case Severity::Warning: return paint("1;33", text);
      case Severity::Note: return paint("1;36", text);
    }
    return std::string(text);
  }
  std::string gutter(std::string_view text) const { return paint("1;34", text); }
  std::string bold(std::string_view text) const { return paint("1", text); }

 private:
  std::string paint(std::string_view code, std::string_view text) const {
    if (!color_) return std::string(text);
    return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
  }

  bool color_;
};

std::string location(const std::string& path, LineCol at) {
  return printable(path) + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

std::string header(const Diagnostic& d, const std::optional<Region>& region, const Painter& p) {
  std::string out;
  if (d.source) out += region ? location(d.source->path(), region->start) : printable(d.source->path());
  if (!out.empty()) out += ": ";
  const std::string label = std::string(severity_name(d.severity)) + "[" + std::string(rule_info(d.rule).id) + "]";
  return out + p.severity(d.severity, label) + ": " + p.bold(printable(d.message)) + "\n";
}

// The first line of the span, and carets under the part of the span on that line.
std::string snippet(const SourceFile& source, Span span, LineCol start, int width, const Painter& p) {
  const std::string_view line = source.line_text(start.line);
  const std::uint32_t line_begin = source.line_start(start.line);
  const auto line_end = static_cast<std::uint32_t>(line_begin + line.size());
  const std::uint32_t begin = std::clamp(span.begin, line_begin, line_end);
  const std::uint32_t end = std::clamp(span.end, begin, line_end);

  std::string padding;  // tabs kept so the carets line up under what the terminal shows
  for (std::uint32_t i = line_begin; i < begin; ++i) {
    const char c = source.text()[i];
    if (!is_continuation(c)) padding += c == '\t' ? '\t' : ' ';
  }
  std::size_t carets = 0;
  for (std::uint32_t i = begin; i < end; ++i) {
    if (!is_continuation(source.text()[i])) ++carets;
  }
  carets = std::max<std::size_t>(carets, 1);

  const std::string blank(static_cast<std::size_t>(width) + 1, ' ');
  std::string number = std::to_string(start.line);
  number.insert(0, static_cast<std::size_t>(width) - number.size(), ' ');
  std::string out = blank + p.gutter("|") + "\n";
  out += p.gutter(number + " |");
  if (!line.empty()) {  // appended piecewise: GCC 12's -Wrestrict misfires on `" " + temporary` at -O3
    out += ' ';
    out += printable(line);
  }
  out += '\n';
  out += blank + p.gutter("|") + " " + padding + p.gutter(std::string(carets, '^')) + "\n";
  return out;
}

// "= help: text", continuation lines of a multi-line text indented under its first line.
std::string annotation(std::string_view label, std::string_view text, int width, const Painter& p) {
  const std::string indent(static_cast<std::size_t>(width) + 1, ' ');
  const std::string continuation = "\n" + indent + std::string(label.size() + 4, ' ');
  std::string body = printable(text);
  for (std::size_t at = body.find('\n'); at != std::string::npos; at = body.find('\n', at + continuation.size())) {
    body.replace(at, 1, continuation);
  }
  return indent + p.gutter("=") + " " + p.bold(label) + ": " + body + "\n";
}

std::string note_text(const Note& note) {
  if (!note.source) return note.message;
  const Region region = emit_detail::region_of(*note.source, note.span);
  return location(note.source->path(), region.start) + ": " + note.message;
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

std::string format_diagnostic(const Diagnostic& diagnostic, bool color) {
  const Painter p(color);
  const std::optional<Region> region = emit_detail::region_of(diagnostic);
  std::string out = header(diagnostic, region, p);
  int width = 1;
  if (region) {
    width = static_cast<int>(std::to_string(region->start.line).size());
    out += snippet(*diagnostic.source, diagnostic.span, region->start, width, p);
  }
  for (const auto& help : diagnostic.help) out += annotation("help", help, width, p);
  for (const auto& note : diagnostic.notes) out += annotation("note", note_text(note), width, p);
  if (diagnostic.suppressed_by) out += annotation("suppressed", *diagnostic.suppressed_by, width, p);
  return out + "\n";
}

std::string emit_detail::text_summary(const Counts& counts, std::size_t files) {
  return "writ: " + plural(counts.errors, "error") + ", " + plural(counts.warnings, "warning") + " in " +
         plural(files, "file") + "\n";
}

void emit_text(std::ostream& out, const std::vector<Diagnostic>& diagnostics, const EmitOptions& options) {
  emit_detail::emit_all(out, Format::Text, diagnostics, options);
}

}  // namespace writ
