// Helpers shared by the diagnostic emitters (emit_*.cc, baseline.cc); not part of the public
// interface. Positions follow SourceFile::locate: 1-based lines, columns in code points.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/emit/emit.h"

namespace writ::emit_detail {

// Start and end of a span; the end is exclusive (the position just after the last character,
// like SARIF's endColumn), so an empty span has start == end.
struct Region {
  LineCol start;
  LineCol end;
};

// The region of `span` in `source`, the span clamped to the text.
Region region_of(const SourceFile& source, Span span);
// A diagnostic's region, or nothing for a whole-file or source-less finding.
std::optional<Region> region_of(const Diagnostic& diagnostic);

// Findings that count: not suppressed. Notes are neither errors nor warnings.
struct Counts {
  std::size_t errors = 0;
  std::size_t warnings = 0;
  std::size_t notes = 0;
};
Counts count_reported(const std::vector<Diagnostic>& diagnostics);

// A path lexically normalised ("./a/../b.yaml" -> "b.yaml"); fingerprints and SARIF URIs
// use it so that spelling the same relative path differently changes nothing.
std::string normalized_path(const std::string& path);
// The normalised path of a diagnostic's source, or "" without a source.
std::string normalized_path(const Diagnostic& diagnostic);

// The pieces of each format that the streaming emitter (rendered.cc) puts together: one
// diagnostic's bytes (JSON and SARIF indented for their place in the document, SARIF with an
// empty "writ/v1" fingerprint), and the document around the list.
std::string json_body(const Diagnostic& diagnostic);
std::string json_document(std::size_t files, const Counts& counts);  // "diagnostics": [] to fill
std::string sarif_body(const Diagnostic& diagnostic);
std::string sarif_document(const EmitOptions& options);  // "results": [] to fill
std::string github_body(const Diagnostic& diagnostic);
std::string text_summary(const Counts& counts, std::size_t files);

// emit_text/json/sarif/github: render every diagnostic, fingerprint them, emit_rendered.
void emit_all(std::ostream& out, Format format, const std::vector<Diagnostic>& diagnostics,
              const EmitOptions& options);

// `text` with `indent` spaces before each of its lines.
std::string indented(const std::string& text, std::size_t indent);

}  // namespace writ::emit_detail
