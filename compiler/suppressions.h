// Inline suppressions: `# writ:ignore RULE reason="..." [expires=YYYY-MM-DD]` (or `//` in the
// DSL) on the line before a step, runbook or statement. Scanned from the raw text so both
// front-ends share it. Invalid ones (no reason, unknown rule, bad or past expiry) are
// `invalid-suppression` errors, which cannot themselves be suppressed.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostic.h"

namespace writ {

std::vector<ast::SuppressionComment> scan_suppressions(const SourcePtr& source);

// Reports invalid suppressions (as of `today`, YYYY-MM-DD) and marks every diagnostic a valid
// one covers with suppressed_by = its reason. A suppression covers a diagnostic of its rule
// whose own line, step head line or runbook head line is the suppression's target line.
void apply_suppressions(const ast::File& file, const std::string& today, std::vector<Diagnostic>& diagnostics);

// Today's UTC date as YYYY-MM-DD.
std::string utc_today();

}  // namespace writ
