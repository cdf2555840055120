// approval-timeout (warning): an approval without a declared timeout waits the policy's
// default, which the author should state rather than inherit silently.
#include <fmt/format.h>

#include "common/text.h"
#include "compiler/rules/rule_support.h"
#include "compiler/rules/rules.h"

namespace writ::rules {

void approval_timeout(const Context& ctx) {
  const auto& policy = ctx.catalog.policy();
  for (const auto& step : ctx.ast.steps) {
    if (!step.approval || step.approval->timeout_seconds) continue;
    auto& d = ctx.report(Rule::ApprovalTimeout, step.approval->span,
                         fmt::format("the approval of step `{}` has no timeout; policy `{}`'s default ({}) is assumed",
                                     step.id.value, policy.name, format_duration(policy.approval_timeout_seconds)),
                         step.id.value);
    std::int64_t seconds = policy.approval_timeout_seconds;
    d.help.push_back(is_dsl(ctx) ? fmt::format("state it: `approve ... within {}`", dsl_duration(seconds))
                                 : fmt::format("state it: `approval_timeout_minutes: {}`", seconds / 60));
  }
}

}  // namespace writ::rules
