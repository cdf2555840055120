// Diagnostics: user mistakes are data. Every phase appends Diagnostic values to a
// DiagnosticSink; nothing throws for a bad runbook. Rules come from rules.def.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/source.h"

namespace writ {

enum class Severity { Error, Warning, Note };

enum class Rule {
#define WRIT_RULE(name, id, severity, summary) name,
#include "compiler/rules.def"
#undef WRIT_RULE
};

struct RuleInfo {
  Rule rule;
  std::string_view id;
  Severity severity;
  std::string_view summary;
};

std::span<const RuleInfo> all_rules();
const RuleInfo& rule_info(Rule rule);
std::optional<Rule> rule_from_id(std::string_view id);
std::string_view severity_name(Severity severity);

// A related place: "note: the rollback is declared here".
struct Note {
  std::string message;
  SourcePtr source;  // null: a note without a location
  Span span;
};

struct Suppression;

struct Diagnostic {
  Rule rule = Rule::Syntax;
  Severity severity = Severity::Error;
  SourcePtr source;  // null only for findings about no particular file
  Span span;         // empty span at offset 0 with whole_file: a whole-file finding
  bool whole_file = false;
  std::string message;
  std::vector<std::string> help;  // "did you mean `host_id`?"
  std::vector<Note> notes;
  std::string runbook;  // runbook id, empty when not inside one
  std::string step;     // step id, empty when not inside a step
  // Set by the suppression pass: the suppression's reason (justification).
  std::optional<std::string> suppressed_by;
};

class DiagnosticSink {
 public:
  // Appends a diagnostic with the rule's default severity; returns it for adding help/notes.
  Diagnostic& report(Rule rule, SourcePtr source, Span span, std::string message);
  void add(Diagnostic diagnostic) { diagnostics_.push_back(std::move(diagnostic)); }

  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  // Errors that are not suppressed.
  std::size_t error_count() const;
  bool has_errors() const { return error_count() != 0; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Stable order for output: by file path, then position, then rule id, then message.
void sort_diagnostics(std::vector<Diagnostic>& diagnostics);

}  // namespace writ
