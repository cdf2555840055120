// approval-coverage: the policy level of the runbook's severity names the effects that need
// approval and the roles that must give it (DESIGN §6).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "compiler/rules/rule_support.h"
#include "compiler/rules/rules.h"

namespace writ::rules {

namespace {

// A reversible contain step that declares its rollback may run without approval: "never let
// uncertainty delay isolation", with rollback capability.
bool may_contain_unapproved(const Context& ctx, const ir::Step& step) {
  if (step.effect != "contain" || !step.rollback) return false;
  auto action = ctx.catalog.actions.find(step.action);
  return action != ctx.catalog.actions.end() && action->second.inverse.has_value();
}

std::string approve_help(const Context& ctx, const std::vector<std::string>& roles, std::int64_t timeout) {
  if (is_dsl(ctx)) return fmt::format("write `approve {} within {}`", fmt::join(roles, ", "), dsl_duration(timeout));
  return fmt::format("write `requires_approval: [{}]`", fmt::join(roles, ", "));
}

void report_missing_approval(const Context& ctx, const ast::Step& ast, const ir::Step& step,
                             const PolicyInfo::Level& level) {
  const auto& policy = ctx.catalog.policy();
  auto& d =
      ctx.report(Rule::ApprovalCoverage, ast.head,
                 fmt::format("step `{}` ({}) has no approval, but policy `{}` requires approval by {} for {} "
                             "steps at severity {}",
                             step.id, step.effect, policy.name, backticked(level.roles), step.effect, ctx.ir.severity),
                 step.id);
  d.help.push_back(approve_help(ctx, level.roles, policy.approval_timeout_seconds));
  auto action = ctx.catalog.actions.find(step.action);
  if (step.effect == "contain" && action != ctx.catalog.actions.end() && action->second.inverse) {
    const auto& inverse = *action->second.inverse;
    d.help.push_back(
        fmt::format("or declare its rollback (`{}`): a reversible contain step with a rollback may run "
                    "without approval",
                    is_dsl(ctx) ? "rollback " + inverse : "rollback: " + inverse));
  }
}

// The exemption is silent in effect (the step runs unapproved), so it is said once, as a note:
// an author who expected an approval learns why none is asked.
void report_exemption(const Context& ctx, const ast::Step& ast, const ir::Step& step, const PolicyInfo::Level& level) {
  const auto& policy = ctx.catalog.policy();
  auto& d = ctx.report(
      Rule::ApprovalCoverage, ast.head,
      fmt::format("step `{}` (contain) runs without approval: policy `{}` requires approval by {} for contain "
                  "steps at severity {}, but a reversible contain step with its rollback (`{}`) is exempt",
                  step.id, policy.name, backticked(level.roles), ctx.ir.severity, step.rollback->action),
      step.id);
  d.severity = Severity::Note;
  d.help.push_back("to ask for approval anyway, " + approve_help(ctx, level.roles, policy.approval_timeout_seconds));
}

void report_missing_roles(const Context& ctx, const ast::Step& ast, const ir::Step& step,
                          const std::vector<std::string>& missing, const std::vector<std::string>& required) {
  const auto& approval = *step.approval;
  std::set<std::string> all(approval.roles.begin(), approval.roles.end());
  all.insert(required.begin(), required.end());
  Span at = ast.approval ? ast.approval->span : ast.head;
  auto& d = ctx.report(Rule::ApprovalCoverage, at,
                       fmt::format("step `{}` ({}) needs approval by {} at severity {}; it names {}", step.id,
                                   step.effect, backticked(missing), ctx.ir.severity, backticked(approval.roles)),
                       step.id);
  d.help.push_back(approve_help(ctx, {all.begin(), all.end()}, approval.timeout_seconds));
}

void check_step(const Context& ctx, const ast::Step& ast, const ir::Step& step, const PolicyInfo::Level& level) {
  if (!level.effects.contains(step.effect) || level.roles.empty()) return;
  if (!step.approval) {
    if (may_contain_unapproved(ctx, step)) {
      report_exemption(ctx, ast, step, level);
    } else {
      report_missing_approval(ctx, ast, step, level);
    }
    return;
  }
  // A misspelt role is already an approval-coverage finding of lowering; the role it missed
  // would only repeat it.
  auto roles = ctx.catalog.enums.find("role");
  if (roles != ctx.catalog.enums.end() &&
      std::any_of(step.approval->roles.begin(), step.approval->roles.end(),
                  [&](const std::string& role) { return !roles->second.contains(role); })) {
    return;
  }
  std::vector<std::string> missing;
  for (const auto& role : level.roles) {
    if (std::find(step.approval->roles.begin(), step.approval->roles.end(), role) == step.approval->roles.end()) {
      missing.push_back(role);
    }
  }
  if (!missing.empty()) report_missing_roles(ctx, ast, step, missing, level.roles);
}

}  // namespace

void approval_coverage(const Context& ctx) {
  const auto& severities = ctx.catalog.policy().severities;
  auto level = severities.find(ctx.ir.severity);
  if (level == severities.end()) return;  // an unknown severity is reported by lowering
  for (std::size_t i = 0; i < ctx.ir.steps.size(); ++i) {
    if (const auto* ast = ast_step(ctx, i)) check_step(ctx, *ast, ctx.ir.steps[i], level->second);
  }
}

}  // namespace writ::rules
