// The streaming side of the emitters: a diagnostic rendered alone (render_diagnostic) and the
// document put together around rendered diagnostics (emit_rendered). The whole-list emitters
// go through here too, so `writ check` (which streams) and every other caller print the same
// bytes. A JSON or SARIF list is spliced into the document dumped with an empty array: that
// key is a fixed name, and in the dump an unescaped `"key": []` can only be structure (a
// quote inside a string is always escaped).
#include <algorithm>
#include <tuple>

#include "compiler/emit/common.h"
#include "compiler/emit/emit.h"

namespace writ {

namespace emit_detail {

namespace {

// `document` with the array after `"key": ` replaced by `items`, one per line at `indent`.
std::string splice(const std::string& document, std::string_view key, const std::vector<std::string_view>& items,
                   std::size_t indent) {
  const std::string empty = "\"" + std::string(key) + "\": []";
  const std::size_t at = document.find(empty);
  if (at == std::string::npos || items.empty()) return document;
  std::string list = "[\n";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) list += ",\n";
    list += items[i];
  }
  list += "\n" + std::string(indent - 2, ' ') + "]";
  std::string out = document.substr(0, at + empty.size() - 2);
  out += list;
  out += document.substr(at + empty.size());
  return out;
}

Counts count(const std::vector<const RenderedDiagnostic*>& rendered) {
  Counts counts;
  for (const auto* r : rendered) {
    if (r->suppressed) continue;
    if (r->severity == Severity::Error) ++counts.errors;
    if (r->severity == Severity::Warning) ++counts.warnings;
    if (r->severity == Severity::Note) ++counts.notes;
  }
  return counts;
}

// A SARIF body with its fingerprint filled in (see sarif_body).
std::string with_fingerprint(const std::string& body, const std::string& print) {
  static constexpr std::string_view kEmpty = "\"writ/v1\": \"\"";
  std::string out = body;
  const std::size_t at = out.find(kEmpty);
  if (at != std::string::npos) out.insert(at + kEmpty.size() - 1, print);
  return out;
}

}  // namespace

std::string indented(const std::string& text, std::size_t indent) {
  const std::string pad(indent, ' ');
  std::string out = pad;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

void emit_all(std::ostream& out, Format format, const std::vector<Diagnostic>& diagnostics,
              const EmitOptions& options) {
  std::vector<RenderedDiagnostic> rendered;
  rendered.reserve(diagnostics.size());
  for (const auto& d : diagnostics) rendered.push_back(render_diagnostic(d, format, options.color));
  std::vector<const RenderedDiagnostic*> pointers;
  std::vector<std::string_view> identities;
  for (const auto& r : rendered) {
    pointers.push_back(&r);
    identities.push_back(r.identity);
  }
  const std::vector<std::string> prints = format == Format::Sarif ? fingerprints_of(identities)
                                                                   : std::vector<std::string>(rendered.size());
  emit_rendered(out, format, pointers, prints, options);
}

}  // namespace emit_detail

RenderedDiagnostic render_diagnostic(const Diagnostic& d, Format format, bool color) {
  RenderedDiagnostic r;
  r.identity = fingerprint_identity(d);
  r.severity = d.severity;
  r.suppressed = d.suppressed_by.has_value();
  if (d.source) r.path = d.source->path();
  r.whole_file = d.whole_file;
  r.begin = d.span.begin;
  r.rule_id = rule_info(d.rule).id;
  r.message = d.message;
  switch (format) {
    case Format::Text: r.body = format_diagnostic(d, color); break;
    case Format::Json: r.body = emit_detail::json_body(d); break;
    case Format::Sarif: r.body = emit_detail::sarif_body(d); break;
    case Format::Github: r.body = emit_detail::github_body(d); break;
  }
  return r;
}

bool sorts_before(const RenderedDiagnostic& a, const RenderedDiagnostic& b) {
  auto key = [](const RenderedDiagnostic& r) {
    return std::make_tuple(std::string_view(r.path), r.whole_file ? 0u : 1u, r.begin, r.rule_id,
                           std::string_view(r.message));
  };
  return key(a) < key(b);
}

void emit_rendered(std::ostream& out, Format format, const std::vector<const RenderedDiagnostic*>& rendered,
                   const std::vector<std::string>& prints, const EmitOptions& options) {
  const emit_detail::Counts counts = emit_detail::count(rendered);
  std::vector<std::string_view> shown;
  std::vector<std::string> sarif;  // bodies with their fingerprints
  for (std::size_t i = 0; i < rendered.size(); ++i) {
    const auto& r = *rendered[i];
    if (format == Format::Sarif) {
      sarif.push_back(emit_detail::with_fingerprint(r.body, prints[i]));
    } else if (!r.suppressed || (format == Format::Text && options.show_suppressed)) {
      shown.push_back(r.body);
    }
  }
  switch (format) {
    case Format::Text:
      for (const auto body : shown) out << body;
      out << emit_detail::text_summary(counts, options.files);
      break;
    case Format::Github:
      for (const auto body : shown) out << body;
      break;
    case Format::Json:
      out << emit_detail::splice(emit_detail::json_document(options.files, counts), "diagnostics", shown, 4) << "\n";
      break;
    case Format::Sarif:
      shown.assign(sarif.begin(), sarif.end());
      out << emit_detail::splice(emit_detail::sarif_document(options), "results", shown, 8) << "\n";
      break;
  }
}

}  // namespace writ
