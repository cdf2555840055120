// approval-timeout (warning): an approval without a declared timeout waits the policy's
// default, which the author should state rather than inherit silently. The YAML loader reports
// the converse under this rule too, as an error: `approval_timeout_minutes` on a step that asks
// for no approval (compiler/yaml/step.cc).
#include <fmt/format.h>

#include "compiler/rules/rule_support.h"
#include "compiler/rules/rules.h"

namespace writ::rules {

namespace {

// Approval timeouts read best in minutes, the unit of `approval_timeout_minutes`: "60m".
std::string minutes(std::int64_t seconds) {
  return seconds % 60 == 0 ? std::to_string(seconds / 60) + "m" : dsl_duration(seconds);
}

std::string approve_statement(const std::vector<ast::Name>& roles) {
  std::string out = "approve";
  for (std::size_t i = 0; i < roles.size(); ++i) out += (i == 0 ? " " : ", ") + roles[i].value;
  return out;
}

}  // namespace

void approval_timeout(const Context& ctx) {
  const auto& policy = ctx.catalog.policy();
  for (const auto& step : ctx.ast.steps) {
    if (!step.approval || step.approval->timeout_seconds) continue;
    std::int64_t seconds = policy.approval_timeout_seconds;
    auto& d = ctx.report(Rule::ApprovalTimeout, step.approval->span,
                         fmt::format("the approval of step `{}` has no timeout; the default of policy `{}` ({}) is "
                                     "assumed",
                                     step.id.value, policy.name, minutes(seconds)),
                         step.id.value);
    d.help.push_back(
        is_dsl(ctx) ? fmt::format("state it: `{} within {}`", approve_statement(step.approval->roles), minutes(seconds))
                    : fmt::format("state it: `approval_timeout_minutes: {}`", (seconds + 59) / 60));
  }
}

}  // namespace writ::rules
