// Policy and structural rules, each a small pass in its own file over one runbook (its AST
// for positions, its IR for meaning). A pass only appends diagnostics.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast.h"
#include "compiler/catalog.h"
#include "compiler/diagnostic.h"
#include "compiler/ir.h"

namespace writ::rules {

struct Context {
  const ast::File& file;
  const ast::Runbook& ast;
  const ir::Runbook& ir;
  const Catalog& catalog;
  DiagnosticSink& sink;

  // Reports at `span` in this runbook (and `step`, when given).
  Diagnostic& report(Rule rule, Span span, std::string message, const std::string& step = {}) const;
};

void duplicate_step(const Context& ctx);
void approval_coverage(const Context& ctx);
void approval_timeout(const Context& ctx);
void rollback_completeness(const Context& ctx);
void regulatory_deadline(const Context& ctx);
void evidence_path(const Context& ctx);
void dead_step(const Context& ctx);

// Runs every per-runbook rule above in a fixed order.
void run_all(const Context& ctx);

// Across the runbooks of one `writ check` call: a policy severity without a playbook.
// `severities` are the severities of every runbook checked. The findings are whole-file
// findings of `anchor` (the policy file, else the first file checked; SARIF consumers such as
// GitHub want a location), or of no file when it is null.
void severity_coverage(const Catalog& catalog, const std::vector<std::string>& severities, const SourcePtr& anchor,
                       DiagnosticSink& sink);

}  // namespace writ::rules
