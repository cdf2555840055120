#include <fmt/format.h>

#include <map>

#include "compiler/rules/rules.h"

namespace writ::rules {

void duplicate_step(const Context& ctx) {
  std::map<std::string, const ast::Step*> seen;
  for (const auto& step : ctx.ast.steps) {
    auto [it, inserted] = seen.emplace(step.id.value, &step);
    if (inserted) continue;
    auto& d = ctx.report(Rule::DuplicateStep, step.id.span,
                         fmt::format("step id `{}` is already used in runbook `{}`", step.id.value, ctx.ast.id.value),
                         step.id.value);
    d.notes.push_back({"the first step with this id is here", ctx.file.source, it->second->id.span});
    if (!step.id_explicit) d.help.push_back("give the step an explicit `id`");
  }
}

}  // namespace writ::rules
