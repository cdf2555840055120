// The YAML front-end (DESIGN §2): loads the seed's runbook format into the AST with exact
// spans. yaml-cpp's exceptions never escape: a parse failure is a `syntax` diagnostic at
// yaml-cpp's mark; unknown keys are `unknown-key` with a did-you-mean; limits (size, depth,
// alias expansion) are `input-limit`. Heavy headers stay in the .cc.
#pragma once

#include "compiler/ast.h"
#include "compiler/diagnostic.h"
#include "compiler/limits.h"

namespace writ {

// Loads one YAML runbook file. Always returns a File (possibly with no runbooks).
ast::File load_yaml(const SourcePtr& source, DiagnosticSink& sink, const Limits& limits = {});

}  // namespace writ
