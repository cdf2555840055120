// Helpers shared by the diagnostic emitters (emit_*.cc, baseline.cc); not part of the public
// interface. Positions follow SourceFile::locate: 1-based lines, columns in code points.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"

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

}  // namespace writ::emit_detail
