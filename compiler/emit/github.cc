// `--format github` (DESIGN §7): one GitHub Actions workflow command per finding,
//   ::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=RULE::message
// (`::warning`, `::notice` for notes). Whole-file findings name only the file, source-less
// ones neither. Help and notes follow the message on their own (escaped) lines, which the
// annotation shows. Escaping follows the Actions toolkit: % \r \n in the message, and also
// : , in property values.
#include "compiler/emit/emit.h"
#include "compiler/emit/common.h"

namespace writ {

namespace {

std::string escape_data(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_property(std::string_view text) {
  std::string out;
  for (char c : escape_data(text)) {
    switch (c) {
      case ':': out += "%3A"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

std::string_view command(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "notice";
  }
  return "error";
}

std::string properties(const Diagnostic& d) {
  std::string out;
  if (d.source) out += "file=" + escape_property(d.source->path()) + ",";
  if (const auto region = emit_detail::region_of(d)) {
    out += "line=" + std::to_string(region->start.line) + ",col=" + std::to_string(region->start.column) +
           ",endLine=" + std::to_string(region->end.line) + ",endColumn=" + std::to_string(region->end.column) + ",";
  }
  return out + "title=" + escape_property(rule_info(d.rule).id);
}

std::string message(const Diagnostic& d) {
  std::string text = d.message;
  for (const auto& help : d.help) text += "\nhelp: " + help;
  for (const auto& note : d.notes) {
    text += "\nnote: ";
    if (note.source) {
      const LineCol at = emit_detail::region_of(*note.source, note.span).start;
      text += note.source->path() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": ";
    }
    text += note.message;
  }
  return escape_data(text);
}

}  // namespace

std::string emit_detail::github_body(const Diagnostic& d) {
  return "::" + std::string(command(d.severity)) + " " + properties(d) + "::" + message(d) + "\n";
}

void emit_github(std::ostream& out, const std::vector<Diagnostic>& diagnostics, const EmitOptions& options) {
  emit_detail::emit_all(out, Format::Github, diagnostics, options);
}

}  // namespace writ
