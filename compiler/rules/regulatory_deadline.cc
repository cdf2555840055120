// regulatory-deadline: every obligation a runbook's compliance tags bring in must be met by a
// step whose promised deadline and worst-case arrival fit the obligation's deadline
// (DESIGN §6, reference/regulations.md). The timing itself lives in worst_case.h.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/text.h"
#include "compiler/expr/expr.h"
#include "compiler/rules/rule_support.h"
#include "compiler/rules/rules.h"
#include "compiler/rules/worst_case.h"

namespace writ::rules {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string describe(const ObligationInfo& ob) { return fmt::format("{} {} ({})", ob.regime, ob.title, ob.id); }

std::int64_t bound_of(const Context& ctx, const ObligationInfo& ob) {
  return ob.deadline_seconds.value_or(ctx.catalog.policy().asap_seconds);
}

// "within 24h", "within 4bd (counted as 96h 0m)", "without undue delay (policy bound 24h 0m)".
std::string due(const Context& ctx, const ObligationInfo& ob) {
  if (!ob.deadline_seconds) {
    return fmt::format("without undue delay (asap; policy bound {})", format_duration(bound_of(ctx, ob)));
  }
  std::string text = ob.deadline_text.empty() ? format_duration(*ob.deadline_seconds) : ob.deadline_text;
  if (!text.empty() && text.back() != 'h')
    text += fmt::format(" (counted as {})", format_duration(*ob.deadline_seconds));
  return "within " + text;
}

// The bound as a short limit: "24h", "4bd", "24h 0m asap bound".
std::string limit(const Context& ctx, const ObligationInfo& ob) {
  if (!ob.deadline_seconds) return format_duration(bound_of(ctx, ob)) + " asap bound";
  return ob.deadline_text.empty() ? format_duration(*ob.deadline_seconds) : ob.deadline_text;
}

bool known_tag(const Catalog& catalog, const std::string& tag) {
  if (!catalog.obligations_for_tag(tag).empty()) return true;
  if (tag.find('.') != std::string::npos) return false;
  return std::any_of(catalog.regulations.begin(), catalog.regulations.end(), [&](const auto& entry) {
    const auto& tags = entry.second.tags;
    return std::any_of(tags.begin(), tags.end(), [&](const std::string& t) { return lower(t) == lower(tag); });
  });
}

void check_tags(const Context& ctx) {
  for (const auto& tag : ctx.ast.compliance) {
    if (known_tag(ctx.catalog, tag.value)) continue;
    auto& d = ctx.report(Rule::RegulatoryDeadline, tag.span,
                         fmt::format("unknown compliance tag `{}`: no regulation in the catalog names it", tag.value));
    std::vector<std::string> candidates;
    for (const auto& [name, regulation] : ctx.catalog.regulations) {
      candidates.insert(candidates.end(), regulation.tags.begin(), regulation.tags.end());
    }
    if (tag.value.find('.') != std::string::npos) {
      for (const auto& [id, ob] : ctx.catalog.obligations) candidates.push_back(id);
    }
    if (auto hint = did_you_mean(tag.value, candidates)) d.help.push_back(fmt::format("did you mean `{}`?", *hint));
  }
}

// Each `satisfies` must name a catalog obligation, and the step's deadline must not exceed it.
void check_satisfies(const Context& ctx, const ast::Step& ast, const ir::Step& step) {
  for (const auto& name : ast.satisfies) {
    auto it = ctx.catalog.obligations.find(name.value);
    if (it == ctx.catalog.obligations.end()) {
      auto& d = ctx.report(
          Rule::RegulatoryDeadline, name.span,
          fmt::format("step `{}` satisfies `{}`, which is not an obligation in the catalog", step.id, name.value),
          step.id);
      std::vector<std::string> ids;
      for (const auto& [id, ob] : ctx.catalog.obligations) ids.push_back(id);
      if (auto hint = did_you_mean(name.value, ids)) d.help.push_back(fmt::format("did you mean `{}`?", *hint));
      continue;
    }
    const auto& ob = it->second;
    if (!step.deadline_seconds || !ast.deadline_seconds || *step.deadline_seconds <= bound_of(ctx, ob)) continue;
    auto& d = ctx.report(Rule::RegulatoryDeadline, ast.deadline_seconds->span,
                         fmt::format("{} is due {} ({}) but step `{}` promises {}", describe(ob), due(ctx, ob),
                                     ob.citation, step.id, dsl_duration(*step.deadline_seconds)),
                         step.id);
    d.help.push_back(fmt::format("promise at most {}", dsl_duration(bound_of(ctx, ob))));
  }
}

Span tag_span(const Context& ctx, const std::string& tag) {
  for (const auto& name : ctx.ast.compliance) {
    if (name.value == tag) return name.span;
  }
  return ctx.ast.head;
}

// "sec.8k" -> "sec_8k": a valid step id for the suggested step.
std::string step_name(std::string id) {
  std::replace(id.begin(), id.end(), '.', '_');
  return lower(id);
}

std::string add_step_help(const Context& ctx, const ObligationInfo& ob) {
  std::int64_t bound = bound_of(ctx, ob);
  if (is_dsl(ctx)) {
    return fmt::format(
        "add a step that notifies in time, e.g. `step {} = notify_regulatory_contact(channels: "
        "[secure_portal]) {{ deadline {}; satisfies {} }}` before any long approval",
        step_name(ob.id), dsl_duration(bound), ob.id);
  }
  return fmt::format(
      "add a step that notifies in time, e.g. `- action: notify_regulatory_contact` with "
      "`channels: [secure_portal]`, `deadline_hours: {}` and `satisfies: [{}]`, before any long "
      "approval",
      bound / 3600, ob.id);
}

void report_unsatisfied(const Context& ctx, const ObligationStatus& status, const ObligationInfo& ob) {
  Span at = tag_span(ctx, status.tag);
  if (status.follow_up) {
    auto& d = ctx.report(Rule::RegulatoryDeadline, at,
                         fmt::format("{} is a follow-up due {} ({}); no step satisfies it, so `writ report` lists it "
                                     "as open",
                                     describe(ob), due(ctx, ob), ob.citation));
    d.severity = Severity::Note;
    return;
  }
  auto& d = ctx.report(
      Rule::RegulatoryDeadline, at,
      fmt::format("no step satisfies {} {} ({}, {}, {})", ob.regime, ob.title, ob.id, limit(ctx, ob), ob.citation));
  d.help.push_back(add_step_help(ctx, ob));
}

void report_late_deadline(const Context& ctx, const ast::Step& ast, const ir::Step& step, const ObligationInfo& ob) {
  Span at = ast.deadline_seconds ? ast.deadline_seconds->span : ast.head;
  auto& d = ctx.report(Rule::RegulatoryDeadline, at,
                       fmt::format("{} is due {} ({}) but step `{}` promises {}", describe(ob), due(ctx, ob),
                                   ob.citation, step.id, dsl_duration(step.deadline_seconds.value_or(0))),
                       step.id);
  d.help.push_back(fmt::format("add a step that satisfies `{}` within {}, or promise {} here", ob.id, limit(ctx, ob),
                               dsl_duration(bound_of(ctx, ob))));
}

// A run part that is a task's wait for its assignee (its `within`), not a connector call.
bool task_wait(const Context& ctx, const PathPart& part) {
  const auto& task = ctx.ir.steps[part.step].task;
  return !part.approval && task && task->within_seconds > 0;
}

std::string path_summary(const Context& ctx, const Arrival& arrival) {
  std::vector<std::string> waits;
  std::int64_t run_time = 0;
  for (const auto& part : arrival.path) {
    const std::string& id = ctx.ir.steps[part.step].id;
    if (part.approval) {
      waits.push_back(fmt::format("`{}` approval up to {}", id, format_duration(part.seconds)));
    } else if (task_wait(ctx, part)) {
      waits.push_back(fmt::format("`{}` task up to {}", id, format_duration(part.seconds)));
    } else {
      run_time += part.seconds;
    }
  }
  if (run_time > 0) waits.push_back(fmt::format("steps before it up to {}", format_duration(run_time)));
  return waits.empty() ? "no wait" : join(waits, ", ");
}

std::string path_note(const Context& ctx, const PathPart& part) {
  const auto& step = ctx.ir.steps[part.step];
  std::string branch = step.parallel_block > 0 ? " (the longest branch of its parallel block)" : "";
  if (part.approval) {
    return fmt::format("+{}: `{}` waits up to this long for approval{}", format_duration(part.seconds), step.id, branch);
  }
  if (task_wait(ctx, part)) {
    return fmt::format("+{}: `{}` waits up to this long for its assignee (its `within`){}", format_duration(part.seconds),
                       step.id, branch);
  }
  return fmt::format("+{}: `{}` may run this long (its timeout){}", format_duration(part.seconds), step.id, branch);
}

void add_path_notes(const Context& ctx, Diagnostic& d, const Arrival& arrival) {
  for (const auto& part : arrival.path) {
    const auto* ast = ast_step(ctx, part.step);
    Span at = ast ? ast->head : ctx.ast.head;
    if (ast && part.approval && ast->approval) at = ast->approval->span;
    if (ast && task_wait(ctx, part) && ast->within_seconds) at = ast->within_seconds->span;
    d.notes.push_back({path_note(ctx, part), ctx.file.source, at});
  }
}

void report_late_arrival(const Context& ctx, const ast::Step& ast, const Candidate& best, const ObligationInfo& ob) {
  const auto& step = ctx.ir.steps[best.step];
  auto& d = ctx.report(
      Rule::RegulatoryDeadline, ast.head,
      fmt::format("{} → step `{}` reached at {} > {} for {} {} ({}, {})", path_summary(ctx, best.arrival), step.id,
                  format_duration(best.arrival.seconds), limit(ctx, ob), ob.regime, ob.title, ob.id, ob.citation),
      step.id);
  add_path_notes(ctx, d, best.arrival);
  d.help.push_back(
      fmt::format("move the step before long approvals or shorten the timeouts on its path; the worst "
                  "case must stay within {}",
                  format_duration(bound_of(ctx, ob))));
}

// The best candidate is in time but runs under a `when`: the obligation is met only when
// that condition holds, and an obligation needs a step that always runs.
void report_conditional(const Context& ctx, const ast::Step& ast, const Candidate& best, const ObligationInfo& ob) {
  const auto& step = ctx.ir.steps[best.step];
  Span at = ast.when ? ast.when->span : ast.head;
  auto& d = ctx.report(Rule::RegulatoryDeadline, at,
                       fmt::format("{} is met only when {}: step `{}` runs only then", describe(ob),
                                   run_condition(step), step.id),
                       step.id);
  d.help.push_back(fmt::format("an obligation needs a step that always runs: add one without `when`{} that "
                               "satisfies `{}` within {}, or drop this step's condition",
                               may_be_empty(step) ? " or `for`" : "", ob.id, dsl_duration(bound_of(ctx, ob))));
}

void check_obligation(const Context& ctx, const ObligationStatus& status) {
  if (status.met()) return;
  const auto& ob = ctx.catalog.obligations.at(status.obligation);
  if (status.candidates.empty()) {
    report_unsatisfied(ctx, status, ob);
    return;
  }
  const auto& best = status.candidates.front();
  const auto* ast = ast_step(ctx, best.step);
  if (!ast) return;
  if (best.in_time() && best.conditional) {
    report_conditional(ctx, *ast, best, ob);
    return;
  }
  if (!best.deadline_ok) {
    // A step that names the obligation was already told its deadline is too late.
    if (!best.named) report_late_deadline(ctx, *ast, ctx.ir.steps[best.step], ob);
    return;
  }
  report_late_arrival(ctx, *ast, best, ob);
}

}  // namespace

void regulatory_deadline(const Context& ctx) {
  check_tags(ctx);
  for (std::size_t i = 0; i < ctx.ir.steps.size(); ++i) {
    if (const auto* ast = ast_step(ctx, i)) check_satisfies(ctx, *ast, ctx.ir.steps[i]);
  }
  for (const auto& status : evaluate_obligations(ctx.ir, ctx.catalog)) check_obligation(ctx, status);
}

}  // namespace writ::rules
