#include "compiler/emit/common.h"

#include <algorithm>
#include <filesystem>

namespace writ::emit_detail {

Region region_of(const SourceFile& source, Span span) {
  const auto size = static_cast<std::uint32_t>(source.text().size());
  const std::uint32_t begin = std::min(span.begin, size);
  const std::uint32_t end = std::clamp(span.end, begin, size);
  return {source.locate(begin), source.locate(end)};
}

std::optional<Region> region_of(const Diagnostic& diagnostic) {
  if (!diagnostic.source || diagnostic.whole_file) return std::nullopt;
  return region_of(*diagnostic.source, diagnostic.span);
}

Counts count_reported(const std::vector<Diagnostic>& diagnostics) {
  Counts counts;
  for (const auto& d : diagnostics) {
    if (d.suppressed_by) continue;
    if (d.severity == Severity::Error) ++counts.errors;
    if (d.severity == Severity::Warning) ++counts.warnings;
    if (d.severity == Severity::Note) ++counts.notes;
  }
  return counts;
}

std::string normalized_path(const std::string& path) {
  if (path.empty()) return {};
  std::string normal = std::filesystem::path(path).lexically_normal().generic_string();
  return normal.empty() ? path : normal;
}

std::string normalized_path(const Diagnostic& diagnostic) {
  return diagnostic.source ? normalized_path(diagnostic.source->path()) : std::string();
}

}  // namespace writ::emit_detail
