// Output formats for diagnostics (DESIGN §7, contract): text (file:line:col, source line,
// caret, help/note lines; colour only when asked), json, sarif 2.1.0, github workflow
// commands. Emitters only format; they never decide what is an error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"

namespace writ {

struct EmitOptions {
  bool color = false;           // ANSI colour (the CLI sets it only on a TTY without NO_COLOR)
  std::size_t files = 0;        // number of input files checked (json "files")
  std::string tool_version;     // SARIF driver version
  bool show_suppressed = false; // text: also print suppressed findings (marked as such)
};

// `diagnostics` must be sorted (sort_diagnostics). Suppressed diagnostics are left out of text,
// json and github output and counts; SARIF lists them with suppressions[].justification.
void emit_text(std::ostream& out, const std::vector<Diagnostic>& diagnostics, const EmitOptions& options);
void emit_json(std::ostream& out, const std::vector<Diagnostic>& diagnostics, const EmitOptions& options);
void emit_sarif(std::ostream& out, const std::vector<Diagnostic>& diagnostics, const EmitOptions& options);
void emit_github(std::ostream& out, const std::vector<Diagnostic>& diagnostics, const EmitOptions& options);

// One diagnostic in text form (what emit_text prints for it), for other verbs' messages.
std::string format_diagnostic(const Diagnostic& diagnostic, bool color = false);

// Fingerprint for baselines and SARIF partialFingerprints: sha256 over rule, file path,
// runbook, step and message-independent identity — never line numbers, so it survives edits
// that move the finding.
std::string fingerprint(const Diagnostic& diagnostic);

// Baseline file: JSON {"version":1,"fingerprints":[...]} sorted.
void write_baseline(const std::string& path, const std::vector<Diagnostic>& diagnostics);
// Throws std::runtime_error with a clear message for an unreadable or malformed baseline.
std::vector<std::string> read_baseline(const std::string& path);

}  // namespace writ
