// Builders for emitter tests: real SourceFiles and Diagnostics with spans found by text, so a
// test reads like the runbook it describes.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "compiler/diagnostic.h"
#include "compiler/source.h"

namespace writ::test {

inline SourcePtr make_source(std::string path, std::string text) {
  return std::make_shared<const SourceFile>(std::move(path), std::move(text));
}

// The span of the `nth` occurrence of `needle` in the source text.
inline Span span_of(const SourceFile& source, std::string_view needle, std::size_t nth = 0) {
  std::size_t at = source.text().find(needle);
  for (; nth > 0 && at != std::string::npos; --nth) at = source.text().find(needle, at + 1);
  if (at == std::string::npos) throw std::logic_error("test fixture: text not found: " + std::string(needle));
  return {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at + needle.size())};
}

inline Diagnostic make_diagnostic(Rule rule, SourcePtr source, Span span, std::string message,
                                  std::string runbook = "", std::string step = "") {
  Diagnostic d;
  d.rule = rule;
  d.severity = rule_info(rule).severity;
  d.source = std::move(source);
  d.span = span;
  d.message = std::move(message);
  d.runbook = std::move(runbook);
  d.step = std::move(step);
  return d;
}

inline Diagnostic whole_file(Rule rule, SourcePtr source, std::string message) {
  Diagnostic d = make_diagnostic(rule, std::move(source), {}, std::move(message));
  d.whole_file = true;
  return d;
}

}  // namespace writ::test
