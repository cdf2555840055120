// Lowering: resolves names against the catalog and type-checks the AST into the IR. Reports
// unknown-action, action-arguments and template-binding findings (and syntax findings for
// unknown severities or event types); a step with errors is still lowered (with error-typed
// nodes) so later rules see every step and nothing cascades.
#pragma once

#include <vector>

#include "compiler/ast.h"
#include "compiler/catalog.h"
#include "compiler/diagnostic.h"
#include "compiler/ir.h"

namespace writ {

// The expression scope a runbook's templates are checked in: `event` (its effective
// schema), `run` (id, runbook, severity), and the catalog's enumerations.
expr::Scope runbook_scope(const ast::Runbook& runbook, const std::vector<ir::EventField>& event,
                          const Catalog& catalog);

ir::Runbook lower_runbook(const ast::Runbook& runbook, const ast::File& file, const Catalog& catalog,
                          DiagnosticSink& sink);

}  // namespace writ
