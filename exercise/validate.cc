#include "exercise/validate.h"

#include <fmt/format.h>

#include <set>

#include "common/text.h"
#include "runtime/deadlines.h"

namespace writ::exercise {

namespace {

struct Names {
  std::vector<std::string> steps, actions, obligations, tasks;
};

void add(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

Names names_of(const runtime::RunbookSet& set) {
  Names out;
  for (const auto* rb : set.runbooks()) {
    for (const auto& step : rb->steps) {
      add(out.steps, step.id);
      add(out.actions, step.action);
      if (step.task) add(out.tasks, step.id);
      if (step.rollback) add(out.actions, step.rollback->action);
    }
    for (const auto& clock : runtime::start_clocks(*rb, set.catalog(), runtime::WallTime{}))
      add(out.obligations, clock.obligation);
  }
  return out;
}

void check(const Exercise& x, DiagnosticSink& sink, const std::string& name, Span span,
           const std::vector<std::string>& known, std::string_view what) {
  if (std::find(known.begin(), known.end(), name) != known.end()) return;
  Diagnostic& d =
      sink.report(Rule::Syntax, x.source, span, fmt::format("no runbook of {} has {} `{}`", x.runbooks, what, name));
  if (auto near = did_you_mean(name, known)) {
    d.help.push_back(fmt::format("did you mean `{}`?", *near));
  } else if (!known.empty()) {
    d.help.push_back(fmt::format("known: {}", join(known, ", ")));
  }
}

}  // namespace

void check_names(const Exercise& x, const runtime::RunbookSet& set, DiagnosticSink& sink) {
  const auto names = names_of(set);
  for (const auto& f : x.faults) {
    if (!f.action.empty()) check(x, sink, f.action, f.name_span, names.actions, "a step or rollback calling action");
  }
  for (const auto& [step, script] : x.approvals) {
    if (step != "*") check(x, sink, step, script.key_span, names.steps, "a step");
  }
  for (const auto& [step, script] : x.tasks) {
    if (step != "*") check(x, sink, step, script.key_span, names.tasks, "a task step");
  }
  for (const auto& e : x.expect.steps) check(x, sink, e.key, e.key_span, names.steps, "a step");
  for (const auto& e : x.expect.rollbacks) check(x, sink, e.key, e.key_span, names.steps, "a step");
  for (const auto& e : x.expect.deadlines) check(x, sink, e.key, e.key_span, names.obligations, "an obligation");
}

}  // namespace writ::exercise
