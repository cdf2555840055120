#include "compiler/diagnostic.h"

#include <algorithm>
#include <array>
#include <tuple>

namespace writ {

namespace {
constexpr std::array kRules = {
#define WRIT_RULE(name, id, severity, summary) RuleInfo{Rule::name, id, Severity::severity, summary},
#include "compiler/rules.def"
#undef WRIT_RULE
};
}  // namespace

std::span<const RuleInfo> all_rules() { return kRules; }

const RuleInfo& rule_info(Rule rule) { return kRules[static_cast<std::size_t>(rule)]; }

std::optional<Rule> rule_from_id(std::string_view id) {
  for (const auto& info : kRules) {
    if (info.id == id) return info.rule;
  }
  return std::nullopt;
}

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

Diagnostic& DiagnosticSink::report(Rule rule, SourcePtr source, Span span, std::string message) {
  Diagnostic d;
  d.rule = rule;
  d.severity = rule_info(rule).severity;
  d.source = std::move(source);
  d.span = span;
  d.message = std::move(message);
  diagnostics_.push_back(std::move(d));
  return diagnostics_.back();
}

std::size_t DiagnosticSink::error_count() const {
  return static_cast<std::size_t>(std::count_if(diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& d) {
    return d.severity == Severity::Error && !d.suppressed_by;
  }));
}

void sort_diagnostics(std::vector<Diagnostic>& diagnostics) {
  auto key = [](const Diagnostic& d) {
    return std::make_tuple(d.source ? d.source->path() : std::string(), d.whole_file ? 0u : 1u, d.span.begin,
                           rule_info(d.rule).id, d.message);
  };
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
}

}  // namespace writ
