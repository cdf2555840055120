#include "compiler/rules/rules.h"

namespace writ::rules {

Diagnostic& Context::report(Rule rule, Span span, std::string message, const std::string& step) const {
  auto& d = sink.report(rule, file.source, span, std::move(message));
  d.runbook = ast.id.value;
  d.step = step;
  return d;
}

void run_all(const Context& ctx) {
  duplicate_step(ctx);
  approval_coverage(ctx);
  approval_timeout(ctx);
  rollback_completeness(ctx);
  regulatory_deadline(ctx);
  evidence_path(ctx);
  dead_step(ctx);
}

}  // namespace writ::rules
