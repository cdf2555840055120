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
  std::string information_uri;  // SARIF driver informationUri (the project's home); omitted when empty
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
// Written whole or not at all (temp file + rename); throws std::runtime_error when it cannot be.
void write_baseline(const std::string& path, const std::vector<Diagnostic>& diagnostics);
// Throws std::runtime_error with a clear message for an unreadable or malformed baseline.
std::vector<std::string> read_baseline(const std::string& path);

// Fingerprints of a sorted list, in order. Findings that share rule, file, runbook and step are
// told apart by their occurrence index among those in sorted order: the first keeps
// fingerprint(d), each later one also hashes its index (1, 2, ...). Fixing an earlier one
// renumbers the later ones, so a baseline acts as a count of known findings per (rule, file,
// runbook, step). write_baseline records these for the diagnostics that are not suppressed;
// SARIF partialFingerprints use them too.
std::vector<std::string> fingerprints(const std::vector<Diagnostic>& diagnostics);

// `--baseline`: the diagnostics of a sorted list whose fingerprint is not in `baseline`.
std::vector<Diagnostic> remove_baselined(const std::vector<Diagnostic>& diagnostics,
                                         const std::vector<std::string>& baseline);

}  // namespace writ
