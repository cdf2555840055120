// Output formats for diagnostics (DESIGN §7, contract): text (file:line:col, source line,
// caret, help/note lines; colour only when asked), json, sarif 2.1.0, github workflow
// commands. Emitters only format; they never decide what is an error.
#pragma once

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
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

enum class Format { Text, Json, Sarif, Github };

// Streaming (`writ check` renders a file's findings as soon as the file is compiled, so that
// its source, AST and IR can be released): one diagnostic as the exact bytes `format` prints
// for it, and what the document around it needs. emit_text/json/sarif/github are
// render_diagnostic + emit_rendered, so both paths print the same bytes.
struct RenderedDiagnostic {
  std::string identity;  // what its fingerprint hashes (fingerprint_identity)
  Severity severity = Severity::Error;
  bool suppressed = false;
  // The sort key of sort_diagnostics: path, whole-file first, offset, rule id, message.
  std::string path;
  bool whole_file = false;
  std::uint32_t begin = 0;
  std::string_view rule_id;
  std::string message;
  std::string body;  // SARIF: the result with an empty "writ/v1" fingerprint, filled in by emit_rendered
};

RenderedDiagnostic render_diagnostic(const Diagnostic& diagnostic, Format format, bool color = false);
// sort_diagnostics' order.
bool sorts_before(const RenderedDiagnostic& a, const RenderedDiagnostic& b);
// The document of `format` around `rendered` (sorted, baselined findings already removed);
// `prints` are their fingerprints, in the same order (SARIF prints them).
void emit_rendered(std::ostream& out, Format format, const std::vector<const RenderedDiagnostic*>& rendered,
                   const std::vector<std::string>& prints, const EmitOptions& options);

// One diagnostic in text form (what emit_text prints for it), for other verbs' messages.
std::string format_diagnostic(const Diagnostic& diagnostic, bool color = false);

// Fingerprint for baselines and SARIF partialFingerprints: sha256 over rule, file path,
// runbook, step and message-independent identity — never line numbers, so it survives edits
// that move the finding.
std::string fingerprint(const Diagnostic& diagnostic);
// What a fingerprint hashes: rule, normalised path (none for severity-coverage), runbook, step.
std::string fingerprint_identity(const Diagnostic& diagnostic);

// Baseline file: JSON {"version":1,"fingerprints":[...]} sorted.
// Written whole or not at all (temp file + rename); throws std::runtime_error when it cannot be.
void write_baseline(const std::string& path, const std::vector<Diagnostic>& diagnostics);
// The same file from fingerprints already computed (those of the findings not suppressed).
void write_baseline_fingerprints(const std::string& path, const std::set<std::string>& recorded);
// Throws std::runtime_error with a clear message for an unreadable or malformed baseline.
std::vector<std::string> read_baseline(const std::string& path);

// Fingerprints of a sorted list, in order. Findings that share rule, file, runbook and step are
// told apart by their occurrence index among those in sorted order: the first keeps
// fingerprint(d), each later one also hashes its index (1, 2, ...). Fixing an earlier one
// renumbers the later ones, so a baseline acts as a count of known findings per (rule, file,
// runbook, step). write_baseline records these for the diagnostics that are not suppressed;
// SARIF partialFingerprints use them too.
std::vector<std::string> fingerprints(const std::vector<Diagnostic>& diagnostics);
// The same numbering over fingerprint identities already computed, in sorted order.
std::vector<std::string> fingerprints_of(const std::vector<std::string_view>& identities);

// `--baseline`: the diagnostics of a sorted list whose fingerprint is not in `baseline`.
std::vector<Diagnostic> remove_baselined(const std::vector<Diagnostic>& diagnostics,
                                         const std::vector<std::string>& baseline);

}  // namespace writ
