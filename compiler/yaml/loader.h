// The YAML front-end (DESIGN §2): loads the seed's runbook format into the AST with exact
// spans. yaml-cpp's exceptions never escape: a parse failure is a `syntax` diagnostic at
// yaml-cpp's mark; unknown keys are `unknown-key` with a did-you-mean; limits (size, depth,
// alias expansion) are `input-limit`. Heavy headers stay in the .cc.
#pragma once

#include <string_view>

#include "compiler/ast.h"
#include "compiler/diagnostic.h"
#include "common/limits.h"

namespace writ {

// True when `text` reads as YAML rather than DSL: its first line that is neither blank nor a
// comment (`#`, `//`) starts a YAML document: a `key:` (plain or quoted), a `- ` entry, a flow
// collection, `---`, a `%` directive, an anchor, tag, alias or complex key. No DSL file starts
// that way (a declaration is a keyword and a name), so `writ fmt` can refuse YAML whatever the
// file is called.
bool looks_like_yaml(std::string_view text);

// Loads one YAML runbook file. Always returns a File (possibly with no runbooks).
ast::File load_yaml(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits = {});

}  // namespace writ
