// rollback-completeness: a step whose action declares an inverse must declare that inverse as
// its rollback, bound to the same target (DESIGN §6).
#include <fmt/format.h>

#include <algorithm>

#include "compiler/expr/expr.h"
#include "compiler/ir_json.h"
#include "compiler/rules/rule_support.h"
#include "compiler/rules/rules.h"

namespace writ::rules {

namespace {

const ir::Argument* find_arg(const std::vector<ir::Argument>& args, const std::string& name) {
  auto it = std::find_if(args.begin(), args.end(), [&](const ir::Argument& a) { return a.name == name; });
  return it == args.end() ? nullptr : &*it;
}

bool has_error_type(const expr::Node& node) { return node.kind == expr::Node::Kind::Error || node.type.is_error(); }

Span rollback_arg_span(const ast::Rollback& rollback, const std::string& name) {
  for (const auto& arg : rollback.args) {
    if (arg.name.value == name) return arg.span;
  }
  return rollback.span;
}

void check_missing(const Context& ctx, const ast::Step& ast, const ir::Step& step, const std::string& inverse) {
  auto& d = ctx.report(Rule::RollbackCompleteness, ast.head,
                       fmt::format("step `{}` ({}) is reversible but declares no rollback; action `{}` is undone by "
                                   "`{}`",
                                   step.id, step.effect, step.action, inverse),
                       step.id);
  d.help.push_back(is_dsl(ctx) ? fmt::format("add `rollback {}`", inverse)
                               : fmt::format("add `rollback: {}`", inverse));
}

void check_targets(const Context& ctx, const ast::Rollback& ast, const ir::Step& step) {
  for (const auto& arg : step.rollback->args) {
    const ir::Argument* own = find_arg(step.args, arg.name);
    if (!own || !own->value || !arg.value) continue;
    if (has_error_type(*own->value) || has_error_type(*arg.value)) continue;  // already reported
    if (ir::to_json(*own->value) == ir::to_json(*arg.value)) continue;
    auto& d = ctx.report(Rule::RollbackCompleteness, rollback_arg_span(ast, arg.name),
                         fmt::format("rollback binds `{}` to `{}` but the step binds `{}`", arg.name,
                                     expr::to_source(*arg.value), expr::to_source(*own->value)),
                         step.id);
    d.help.push_back(
        fmt::format("bind `{}: {}` so the rollback undoes this step's effect", arg.name, expr::to_source(*own->value)));
  }
}

void check_step(const Context& ctx, const ast::Step& ast, const ir::Step& step) {
  auto action = ctx.catalog.actions.find(step.action);
  if (action == ctx.catalog.actions.end() || !action->second.inverse) return;
  const std::string& inverse = *action->second.inverse;
  if (!step.rollback || !ast.rollback) {
    check_missing(ctx, ast, step, inverse);
    return;
  }
  if (step.rollback->action != inverse) {
    // An unknown rollback action is already an unknown-action finding.
    if (!ctx.catalog.actions.contains(step.rollback->action)) return;
    auto& d = ctx.report(Rule::RollbackCompleteness, ast.rollback->action.span,
                         fmt::format("rollback `{}` does not undo `{}`; its declared inverse is `{}`",
                                     step.rollback->action, step.action, inverse),
                         step.id);
    d.help.push_back(is_dsl(ctx) ? fmt::format("write `rollback {}`", inverse)
                                 : fmt::format("write `rollback: {}`", inverse));
    return;
  }
  check_targets(ctx, *ast.rollback, step);
}

}  // namespace

void rollback_completeness(const Context& ctx) {
  for (std::size_t i = 0; i < ctx.ir.steps.size(); ++i) {
    if (const auto* ast = ast_step(ctx, i)) check_step(ctx, *ast, ctx.ir.steps[i]);
  }
}

}  // namespace writ::rules
