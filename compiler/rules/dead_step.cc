// dead-step: a step whose `when` is constantly false (`when false`, `when 1 > 2`,
// `when false && event.x`) never runs, so it contains, collects and notifies nothing and
// meets no obligation (DESIGN §17). A warning: the runbook is valid, the step is dead weight.
#include <fmt/format.h>

#include "compiler/expr/expr.h"
#include "compiler/rules/rule_support.h"
#include "compiler/rules/rules.h"
#include "compiler/rules/worst_case.h"

namespace writ::rules {

void dead_step(const Context& ctx) {
  for (std::size_t i = 0; i < ctx.ir.steps.size(); ++i) {
    const auto& step = ctx.ir.steps[i];
    const auto* ast = ast_step(ctx, i);
    if (!ast || !ast->when || !never_runs(step)) continue;
    auto& d = ctx.report(Rule::DeadStep, ast->when->span,
                         fmt::format("step `{}` never runs: its condition `{}` is always false", step.id,
                                     expr::to_source(*step.when)),
                         step.id);
    if (!step.satisfies.empty()) {
      d.notes.push_back({fmt::format("so it meets none of the obligations it names ({})", backticked(step.satisfies)),
                         ctx.file.source, ast->head});
    }
    d.help.push_back("remove the step, or give it a condition that can hold");
  }
}

}  // namespace writ::rules
