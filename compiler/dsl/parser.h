// The DSL front-end (DESIGN §3): parses a .writ file — runbooks and the declarations the
// stdlib is written in — into the AST with exact spans. The grammar is in
// grammar/dsl_grammar.h (documented in grammar/README.md). PEGTL errors never escape: a parse
// failure is a `syntax` diagnostic at the failing position with the rule's message.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostic.h"
#include "common/limits.h"

namespace writ {

ast::File parse_dsl(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits = {});

// Prints runbooks (and declarations) of `file` as canonical .writ text: `writ fmt` and
// `writ convert`. Re-parsing the output yields the same IR digest.
std::string print_dsl(const ast::File& file);

// The runbook ids, step ids and event field names of `file` (from YAML) that .writ cannot
// spell — ids there start with a letter or `_` and hold letters, digits, `_`, `-` and `.`;
// event fields are identifiers — as syntax diagnostics at the name, for `writ convert` to
// refuse rather than print a file that does not parse.
std::vector<Diagnostic> unprintable_names(const ast::File& file);

}  // namespace writ
