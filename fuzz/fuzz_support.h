// What every fuzz target shares: invariant checks that abort (so libFuzzer records the input
// as a finding) and the stdlib catalog, loaded once. A violated invariant prints
// "writ fuzz invariant violated: <what>" before aborting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "compiler/ast.h"
#include "compiler/catalog.h"
#include "compiler/diagnostic.h"
#include "compiler/pipeline.h"

namespace writ::fuzz {

[[noreturn]] void fail(std::string_view what);
inline void require(bool ok, std::string_view what) {
  if (!ok) fail(what);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// begin <= end <= size of the span's file, and both ends map to line, column >= 1.
void check_span(const SourceFile& source, Span span, std::string_view where);

// Every diagnostic (and note) with a source has a span inside it; a rule id it knows.
void check_diagnostics(std::span<const Diagnostic> diagnostics);

// Every span in the AST (runbooks, steps, arguments, expression trees, declarations) lies
// inside `source`.
void check_ast(const ast::File& file, const SourceFile& source);

// Every span of an expression tree lies inside `source`.
void check_expression(const expr::Node& node, const SourceFile& source);

// For a file that parsed with no diagnostics, compiled with suppressions off: print_dsl of its
// AST re-parses with no diagnostics, prints identically again, and compiles to runbooks with
// the same IR digests, in the same order, and the same findings (rule, runbook, step).
// (`writ fmt` and `writ convert` rely on this.)
void check_print_round_trip(const CompiledFile& compiled);

// The front-end invariants fuzz_yaml and fuzz_dsl share, for `data` read as the file `name`:
// `parse` never throws and every diagnostic and AST span lies in the source; a file that
// parses with no diagnostics compiles, and — when it has no errors or `with_errors` is set, and
// `writ convert` can spell its ids — passes check_print_round_trip. `what` names the front-end
// in the failure message.
using FrontEnd = ast::File (*)(const SourcePtr&, DiagnosticSink&, const Limits&);
void check_front_end(const std::uint8_t* data, std::size_t size, const std::string& name, FrontEnd parse,
                     bool with_errors, std::string_view what);

// The stdlib catalog, loaded on first use from $WRIT_STDLIB or the source tree's stdlib/.
// Aborts when the stdlib itself does not load cleanly: the targets would test nothing.
const Catalog& catalog();

// Options for fuzzing: a fixed date (so a suppression's expiry does not depend on the day).
CompileOptions compile_options(bool inline_suppressions);

}  // namespace writ::fuzz
